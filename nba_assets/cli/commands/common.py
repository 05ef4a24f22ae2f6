"""What every `nba-lake` command shares: the Typer apps, the consoles, operator errors, and the
environment (settings, DAGSTER_HOME, the instance, the definitions). Commands live one per module.

Importing the CLI imports no Dagster, pandera, polars or LightGBM: each command imports what it uses
when it runs, so `nba-lake sql` never loads Dagster and `status` never loads the asset definitions
(docs/architecture.md, "CLI latency"). Keep module-level imports here and in the command modules light.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console

from nba_assets import tables
from resources.settings import PROJECT_ROOT, ConfigError, settings

# typer vendors its own click: catch its exceptions and plain click's.
CLICK_ERRORS = tuple({next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
                       click.ClickException})
ABORTS = (KeyboardInterrupt, click.Abort, typer.Abort)

# Plain click help (rich_markup_mode=None): typer's rich panels print `<bool>` beside flags such as
# --debug, as if they took a value.
app = typer.Typer(
    help="NBA Props Lake: backfill, inspect and serve the lake.",
    rich_markup_mode=None,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sim_app = typer.Typer(help="Drive the simulated league's clock (NBA_LAKE_SOURCE=sim only).", no_args_is_help=True,
                      rich_markup_mode=None)
app.add_typer(sim_app, name="sim")
# Piped output (CI, logs) gets a fixed width so the tables are not squeezed to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 130, highlight=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200, highlight=False)
DEBUG = {"on": False}
LAYERS = tables.LAYERS
# Dagster's notices about beta/preview APIs we chose deliberately (single-run backfills, partitioned
# checks), matched by their text so that silencing them does not import Dagster.
_DAGSTER_NOTICES = r".*is currently in (beta|preview)"


class CliError(Exception):
    """An error the operator can act on: one line, a hint, an exit code (2 = bad input/config)."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 2):
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks (a flag; also accepted after the command).")] = False) -> None:
    DEBUG["on"] = debug
    if not debug:
        # Beta/preview notices about APIs we chose deliberately are noise for an operator; --debug
        # shows them.
        warnings.filterwarnings("ignore", message=_DAGSTER_NOTICES)
        # Single retried requests are routine (the run's event log keeps them); the terminal shows
        # progress and what failed for good.
        logging.getLogger("resources").setLevel(logging.ERROR)


# ------------------------------------------------------------------------------------ environment
def cli_settings():
    try:
        return settings()
    except ConfigError as exc:
        raise CliError(str(exc), "fix the environment variable (see README.md, 'Configuration')") from exc


def ensure_dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(PROJECT_ROOT / ".dagster_home")
        os.environ["DAGSTER_HOME"] = home
    p = Path(home)
    if not p.is_absolute():
        raise CliError(f"DAGSTER_HOME={home!r} is not an absolute path", f"export DAGSTER_HOME={p.resolve()}")
    if p.exists() and not p.is_dir():
        raise CliError(f"DAGSTER_HOME={home} is a file, not a folder", "point DAGSTER_HOME at a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
        cfg = p / "dagster.yaml"
        if not cfg.exists() and not cfg.is_symlink():
            cfg.symlink_to(PROJECT_ROOT / "dagster.yaml")
    except OSError as exc:
        raise CliError(
            f"cannot prepare DAGSTER_HOME={home}: {exc.strerror or exc}",
            "make it writable, or export DAGSTER_HOME=<a writable folder>",
        ) from exc
    if not os.access(p, os.W_OK):
        raise CliError(f"DAGSTER_HOME={home} is not writable", "export DAGSTER_HOME=<a writable folder>")
    return p


_INSTANCES: dict[Any, Any] = {}


def instance_view():
    """What `status` and `checks` read from the instance: the local instance's SQLite files without
    importing Dagster when DAGSTER_HOME holds that layout (and no run of a killed process is left to
    mark FAILED), else Dagster's storage API on `instance()` (nba_assets/dagster_internals/instance_view.py)."""
    from nba_assets.dagster_internals.instance_view import DagsterView
    from nba_assets.dagster_internals.instance_view import instance_view as pick

    return pick(ensure_dagster_home(), lambda: DagsterView(instance()))


def instance():
    """The Dagster instance of DAGSTER_HOME, opened (and its dead runs failed) once per process: a
    backfill and the demo ask for it once per run."""
    from nba_assets.cli.guard import fail_dead_backfills, fail_dead_runs, open_instance

    home = ensure_dagster_home()
    key = (str(home), home.stat().st_ino)  # a DAGSTER_HOME removed and made again is a new instance
    if key in _INSTANCES:
        return _INSTANCES[key]
    try:
        inst = open_instance(home)
        for run_id in fail_dead_runs(inst):
            err_console.print(f"[yellow]note:[/yellow] run {run_id[:8]} was left STARTED by a killed "
                              f"process; marked FAILED")
        for backfill_id in fail_dead_backfills(inst):
            err_console.print(f"[yellow]note:[/yellow] backfill {backfill_id} was left in progress by a killed "
                              f"process; marked FAILED")
        _INSTANCES.clear()
        _INSTANCES[key] = inst
        return inst
    except Exception as exc:  # a broken dagster.yaml, an unreadable storage, ...
        if DEBUG["on"]:
            raise
        raise CliError(
            f"cannot open the Dagster instance in {home}: {type(exc).__name__}: {first_line(str(exc))}",
            f"check {home / 'dagster.yaml'} (it should link to {PROJECT_ROOT / 'dagster.yaml'})",
        ) from exc


_DEFS: dict[Any, Any] = {}


def defs():
    """Definitions wired to the CURRENT settings (data dir, source). `nba_assets.definitions.defs` binds
    its resources at import time, which is wrong for a process whose environment changed since
    (tests, embedding); rebuilding costs ~40 ms."""
    from nba_assets.definitions import build_definitions

    key = cli_settings()
    if key not in _DEFS:
        _DEFS.clear()
        _DEFS[key] = build_definitions()
    return _DEFS[key]


def first_line(text: str) -> str:
    from nba_assets.cli.runner import one_line

    return one_line(text)


def parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CliError(f"{name} {value!r} is not a date", "use YYYY-MM-DD, e.g. 2025-12-08") from exc


def sources_today(s) -> dt.date:
    """Today's game date for the sources: the sim clock's ET date in sim mode, the real one otherwise.
    Read with the standard library (preflight.sources_today) wherever the sim's state folder is known:
    importing the sources resource loads the simulated league (~0.5 s), only to read a clock file."""
    from nba_assets.cli.preflight import sources_today as local_today

    try:
        if s.source != "sim" or s.sim_state_dir is not None:
            return local_today()
        from resources.env import sources_resource

        return sources_resource(s).today()
    except ValueError as exc:  # a malformed NBA_LAKE_SIM_NOW or clock.json
        raise CliError(f"cannot read the sim clock: {exc}", "nba-lake sim reset, or fix NBA_LAKE_SIM_NOW") from exc


def parquet_rows(path) -> int | None:
    """Row count from the Parquet footer (no data read); None when the file is unreadable."""
    from resources.files import parquet_rows as footer_rows

    try:
        return footer_rows(path)
    except Exception:
        return None


def no_lake_error(data_dir: str) -> CliError:
    return CliError(
        f"no lake yet under {data_dir} (NBA_LAKE_DATA_DIR)",
        "run `make demo`, or `nba-lake backfill --start YYYY-MM-DD --end YYYY-MM-DD`",
        exit_code=1,
    )


def age_text(seconds: float) -> str:
    """'12 min', '3.4 h', '2.1 d'."""
    h = seconds / 3600
    return f"{seconds / 60:.0f} min" if h < 1 else (f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} d")
