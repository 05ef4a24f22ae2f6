"""Shared fixtures: a temporary lake on the simulated league with a fixed sim clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

# The tests replay days of three seasons (2023-24 onwards): the partitions must start there. Set before
# any nba_assets module builds its partitions; subprocesses the tests start inherit it.
os.environ.setdefault("NBA_LAKE_FIRST_GAME_DATE", "2023-10-24")

import dagster as dg
import pytest
import yaml

# Real API responses, trimmed to what the tests use (tests/fixtures/README.md says where each came from).
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The sim clock for pipeline tests: noon ET on 2025-12-12, mid-season 2025-26. The sim's default
# faults (seed 7) put a late boxscore on 2025-12-10 (released 2025-12-12 23:58 UTC), a zero-prop game
# on 2025-12-10, a stat correction on 2025-12-14 and a null-points record on 2025-11-15.
SIM_NOW = dt.datetime(2025, 12, 12, 17, 0, tzinfo=dt.UTC)


def samples_dir() -> Path:
    return FIXTURES


@pytest.fixture
def sim_lake(tmp_path, monkeypatch):
    """Environment for a fresh lake in tmp_path on the sim league at SIM_NOW; returns the data dir."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(data))
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    return data


# The event log storage the repo's dagster.yaml selects (nba_assets/dagster_internals/event_log.py), so the tests'
# runs store their events the way an operator's do (batches in one transaction), not through Dagster's
# default sqlite storage. Its `instance_dir` reads DAGSTER_HOME, which `instance_for_test` points at its
# temporary folder.
REPO_EVENT_LOG = yaml.safe_load((Path(__file__).resolve().parents[1] / "dagster.yaml").read_text())[
    "event_log_storage"]


@contextlib.contextmanager
def lake_instance_for_test(temp_dir: str | None = None) -> Iterator[dg.DagsterInstance]:
    """`dg.instance_for_test` with the repo's event log storage (dagster.yaml's `event_log_storage`)."""
    with dg.instance_for_test(temp_dir=temp_dir, overrides={"event_log_storage": REPO_EVENT_LOG}) as inst:
        yield inst


@pytest.fixture
def instance():
    with lake_instance_for_test() as inst:
        yield inst


def range_tags(start: str, end: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("*.parquet"))
    }


# Files whose tests take minutes, longest first (make test on a fresh clone, 2 quiet cores: the per-source
# outage replays 116 s, the late-boxscore and NBA.com outage scenario 103 s, the month 233 s, the short
# soak 178 s, the prod week 77 s to set up; the rest under a minute each). `make test` runs
# `-n 2 --dist loadfile --no-loadscope-reorder`: each file goes to one worker whole (the e2e stack and the
# month-scale lakes are built once per file), files in collection order, so these start at once
# instead of one of them running alone at the end while the other worker idles.
LONG_FIRST = (
    "tests/sensors/test_source_outage.py",
    "tests/sensors/test_late_boxscore_scenario.py",
    "tests/prod/test_soak.py",
    "tests/reliability/test_idempotence.py",
    "tests/assets/test_season_backfill.py",
    "tests/e2e/test_tour.py",
    "tests/reliability/test_network_faults.py",
    "tests/e2e/test_browser.py",
    "tests/e2e/test_exports_page.py",
    "tests/reliability/test_crash_and_concurrency.py",
    "tests/e2e/test_graphql.py",
    "tests/prod/test_postgres_topology.py",
    "tests/prod/test_gcs_bigquery.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_FIRST.index(path) if path in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)  # stable: every other test keeps its order


@pytest.fixture(autouse=True)
def _sigterm_not_ignored() -> Iterator[None]:
    """A test's children stop on SIGTERM. Dagster's interrupt capture (every `execute_in_process` on the
    main thread) leaves SIGTERM with SIGINT's handler when it is done; where SIGINT is ignored (a test
    run a non-interactive shell started in the background, as CI may), SIGTERM is then ignored too,
    every later child of this process inherits that, and `proc.terminate()` does nothing. Set back
    before each test, and after it for the fixtures that outlive it."""
    main = threading.current_thread() is threading.main_thread()
    if main and signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    if main and signal.getsignal(signal.SIGTERM) == signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
