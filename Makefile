# The two promises of the README: `make demo` and `make test`, each safe to re-run on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv.lock pins every dependency (`uv lock` after editing pyproject.toml; `uv sync --locked` refuses a stale
# lock). The stamp names both files' checksum, so editing either re-installs. "bc": the venv is byte-compiled.
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-bc-$(shell cat pyproject.toml uv.lock | cksum | cut -d' ' -f1)
export DAGSTER_HOME := $(CURDIR)/.dagster_home
# No __pycache__ in the work tree. The dependencies are byte-compiled once at install (compileall
# below, ~30 s): without their .pyc every `nba-lake` command would compile Dagster, pandas and polars
# from source again (seconds per command; docs/architecture.md, "CLI latency").
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup chromium postgresql nginx lint demo test fuzz ui scenario-late-boxscore scenario-outage soak bench clean-data

# uv sync installs exactly the lock's versions (the project editable, extra dev); --inexact keeps pip and
# uv themselves in the venv. The image installs from the same lock (deploy/Dockerfile).
$(STAMP): pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv==$(UV_VERSION)
	$(BIN)/uv sync -q --locked --inexact --extra dev --python $(BIN)/python
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') >/dev/null
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@ln -sf $(CURDIR)/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

setup: $(STAMP) $(DAGSTER_HOME)/dagster.yaml

demo: setup
	$(BIN)/nba-lake demo

# The browser test drives Debian's chromium + chromedriver: install them when missing (we are root on
# dev machines and CI); without them the browser test skips and says why.
chromium:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium + chromium-driver for the browser test (log: /tmp/nba-lake-apt.log)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	      >/tmp/nba-lake-apt.log 2>&1 || echo "chromium install failed: the browser test will skip"; \
	  else echo "no chromium and no apt-get as root: the browser test will skip"; fi; \
	fi

# The prod tests run a private cluster of Debian's postgresql (initdb + pg_ctl, no system service):
# install it when missing; without it those tests skip and say why.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing postgresql for the prod tests (log: /tmp/nba-lake-apt-pg.log)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
	      >/tmp/nba-lake-apt-pg.log 2>&1 || echo "postgresql install failed: the Postgres tests will skip"; \
	  else echo "no postgresql and no apt-get as root: the Postgres tests will skip"; fi; \
	fi

# The UI proxy test puts Debian's nginx (basic auth) in front of a real webserver: install it when
# missing; without it that test skips and says why.
nginx:
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing nginx for the UI proxy test (log: /tmp/nba-lake-apt-nginx.log)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx) \
	      >/tmp/nba-lake-apt-nginx.log 2>&1 || echo "nginx install failed: the UI proxy test will skip"; \
	  else echo "no nginx and no apt-get as root: the UI proxy test will skip"; fi; \
	fi

# Lint first (seconds): the import-order contract in pyproject.toml, then ruff; then the suite.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check .

test: setup chromium postgresql nginx lint
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -q --durations=15

# The parser fuzz harness (docs/reliability.md, "Fuzz harness") with a random seed and many examples
# per endpoint; `make test` runs it with a fixed seed and few. E.g. make fuzz FUZZ_EXAMPLES=20000.
FUZZ_EXAMPLES ?= 3000
fuzz: setup
	NBA_LAKE_FUZZ=long NBA_LAKE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

ui: setup
	$(BIN)/nba-lake ui

scenario-late-boxscore: setup
	$(BIN)/python -m nba_assets.cli.scenario

# NBA.com down for today's game-day run, then back: the daemons reconcile the days by themselves
# (nba_assets/cli/outage_scenario.py).
scenario-outage: setup
	$(BIN)/python -m nba_assets.cli.outage_scenario

# The soak of the production topology through a simulated game day with faults (docs/production.md,
# "The soak"): prints a timeline and one line of figures ending in OK or FAIL. SOAK_ARGS=--short: one morning.
soak: setup postgresql
	$(BIN)/python -m tests.prod.soak $(SOAK_ARGS)

# The benchmark (bench/README.md): every part, median of 3. E.g. make bench BENCH_ARGS="--only a,e --repeat 1".
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean-data:
	rm -rf data/lake data/landing data/models data/sim data/lake.duckdb $(DAGSTER_HOME)
