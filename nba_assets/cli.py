"""`nba-lake`: the operator's command line.

    nba-lake backfill --start D1 --end D2 [--select layer|layer/table]   one run per job, live progress
    nba-lake status [--date D] [--days N]      tables x days: rows, missing files, failing checks, freshness
    nba-lake checks --date D [--failed]        every check evaluation of a day, with its metadata
    nba-lake sim status|advance|reset|release-late|withhold   drive the simulated league's clock
    nba-lake sql [QUERY]                       DuckDB over the lake, one view per table
    nba-lake trace GAME:PLAYER[:SYSTEM] [--json]   a prediction or summary row back to its API responses
    nba-lake ui [--port P]                     Dagster UI + daemons on 127.0.0.1
    nba-lake demo                              backfill the sim league end to end

Errors print one line and a hint (no traceback) unless --debug is given. Exit codes: 0 ok, 1 a run or
check failed / nothing to show, 2 bad input or configuration, 130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import click
import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from nba_assets.check_history import CheckHistory
from nba_assets.check_history import meta_text as _meta_text
from nba_assets.check_history import partition_for as _partition_for
from resources.env import PROJECT_ROOT, ConfigError, settings

# typer vendors its own click: catch its exceptions and plain click's.
_CLICK_ERRORS = tuple({next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
                       click.ClickException})
_ABORTS = (KeyboardInterrupt, click.Abort, typer.Abort)

app = typer.Typer(
    help="NBA Props Lake: backfill, inspect and serve the lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sim_app = typer.Typer(help="Drive the simulated league's clock (NBA_LAKE_SOURCE=sim only).", no_args_is_help=True)
app.add_typer(sim_app, name="sim")
# Piped output (CI, logs) gets a fixed width so the tables are not squeezed to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 130, highlight=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200, highlight=False)
DEBUG = {"on": False}
ET = ZoneInfo("America/New_York")
STALE_AFTER = dt.timedelta(hours=26)  # same window as ops/pipeline_health:game_day_run_recent
GAME_DAY_JOB = "game_day"

LAYER_JOBS = {
    "raw": "ingest_and_features",
    "analytics": "ingest_and_features",
    "features": "ingest_and_features",
    "predictions": "predict_and_grade",
    "grading": "predict_and_grade",
}
LAYERS = tuple(LAYER_JOBS)


class CliError(Exception):
    """An error the operator can act on: one line, a hint, an exit code (2 = bad input/config)."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 2):
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False) -> None:
    DEBUG["on"] = debug
    if not debug:
        # Beta/preview notices about APIs we chose deliberately (single-run backfills, partitioned
        # checks) are noise for an operator; --debug shows them.
        import dagster as dg

        for category in (dg.BetaWarning, dg.PreviewWarning):
            warnings.filterwarnings("ignore", category=category)
        # Single retried requests are routine (the run's event log keeps them); the terminal shows
        # progress and what failed for good.
        logging.getLogger("resources").setLevel(logging.ERROR)


# ------------------------------------------------------------------------------------ environment
def _settings():
    try:
        return settings()
    except ConfigError as exc:
        raise CliError(str(exc), "fix the environment variable (see README.md, 'Configuration')") from exc


def _ensure_dagster_home() -> Path:
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


def _instance():
    import dagster as dg

    home = _ensure_dagster_home()
    try:
        return dg.DagsterInstance.get()
    except Exception as exc:  # a broken dagster.yaml, an unreadable storage, ...
        if DEBUG["on"]:
            raise
        raise CliError(
            f"cannot open the Dagster instance in {home}: {type(exc).__name__}: {_first_line(str(exc))}",
            f"check {home / 'dagster.yaml'} (it should link to {PROJECT_ROOT / 'dagster.yaml'})",
        ) from exc


_DEFS: dict[Any, Any] = {}


def _defs():
    """Definitions wired to the CURRENT settings (data dir, source). `nba_assets.definitions.defs` binds
    its resources at import time, which is wrong for a process whose environment changed since
    (tests, embedding); rebuilding costs ~40 ms."""
    from nba_assets.definitions import build_definitions

    key = _settings()
    if key not in _DEFS:
        _DEFS.clear()
        _DEFS[key] = build_definitions()
    return _DEFS[key]


def _first_line(text: str) -> str:
    from nba_assets.runner import one_line

    return one_line(text)


def _parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CliError(f"{name} {value!r} is not a date", "use YYYY-MM-DD, e.g. 2025-12-08") from exc


def _sources_today(s) -> dt.date:
    """Today's game date for the sources: the sim clock's ET date in sim mode, the real one otherwise."""
    from resources.sources import SourcesResource

    try:
        return SourcesResource(mode=s.source, data_dir=s.data_dir, sim_seed=s.sim_seed).today()
    except ValueError as exc:  # a malformed NBA_LAKE_SIM_NOW or clock.json
        raise CliError(f"cannot read the sim clock: {exc}", "nba-lake sim reset, or fix NBA_LAKE_SIM_NOW") from exc


def _no_lake_error(data_dir: str) -> CliError:
    return CliError(
        f"no lake yet under {data_dir} (NBA_LAKE_DATA_DIR)",
        "run `make demo`, or `nba-lake backfill --start YYYY-MM-DD --end YYYY-MM-DD`",
        exit_code=1,
    )


# ---------------------------------------------------------------------------------------- backfill
_ICONS = {"pending": "·", "running": "…", "success": "✓", "failed": "✗", "skipped": "-"}
_STYLES = {"success": "green", "failed": "red", "skipped": "yellow", "pending": "dim"}


def _progress_view(summary, final: bool = False):
    t = Table(title=f"{summary.job}  {summary.start}..{summary.end}  run {summary.run_id[:8]}", expand=False)
    t.add_column("asset", no_wrap=True, min_width=34)
    for col in ("status", "rows", "seconds", "checks ok", "checks failed"):
        t.add_column(col, no_wrap=True, justify="left" if col == "status" else "right")
    now = time.time()
    for s in summary.steps.values():
        if s.status == "running" and not final:
            status = Spinner("dots", text="running", style="cyan")
        else:
            status = Text(f"{_ICONS.get(s.status, '?')} {s.status}", style=_STYLES.get(s.status, ""))
        t.add_row(
            s.asset,
            status,
            "" if s.rows is None else f"{s.rows:,}",
            f"{s.elapsed(now):.1f}",
            str(s.checks_passed),
            Text(str(s.checks_failed), style="red" if s.checks_failed else ""),
        )
    if final:
        return t
    total = max(1, len(summary.steps))
    bar = Table.grid(padding=(0, 1))
    bar.add_row(ProgressBar(total=total, completed=summary.done_steps, width=40),
                f"{summary.done_steps}/{len(summary.steps)} assets")
    return Group(t, bar)


def _run(job: str, start: str, end: str, selection=None) -> bool:
    from nba_assets.runner import run_range

    defs, instance = _defs(), _instance()
    live_ok = console.is_terminal
    with Live(console=console, refresh_per_second=8, transient=True) if live_ok else _nullcontext() as live:
        summary = run_range(
            defs,
            job,
            start,
            end,
            instance=instance,
            selection=selection,
            on_update=(lambda s: live.update(_progress_view(s))) if live_ok else None,
            # Dagster's console logger would print stack traces; the event log (UI) keeps them all.
            log_level="CRITICAL",
        )
    console.print(_progress_view(summary, final=True))
    if summary.success:
        console.print(f"run {summary.run_id[:8]} [green]succeeded[/green] in {summary.seconds:.1f}s")
    else:
        err_console.print(
            f"[red]error:[/red] run {summary.run_id[:8]} ({job} {start}..{end}) FAILED after "
            f"{summary.seconds:.1f}s: {escape(summary.error or 'unknown error')}",
            soft_wrap=True,
        )
        err_console.print(
            f"[dim]hint: `nba-lake checks --date {start}` for check results; the run's event log is in the UI "
            f"(nba-lake ui, run {summary.run_id})[/dim]",
            soft_wrap=True,
        )
    return summary.success


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _plan(select: str | None, d0: dt.date, d1: dt.date) -> list[tuple[str, str, str, list | None]]:
    import dagster as dg

    from nba_assets.runner import week_range

    start, end = str(d0), str(d1)
    model = dg.AssetKey(["predictions", "points_model"])
    if select is None:
        w0, w1 = week_range(d0, d1)
        return [
            ("ingest_and_features", start, end, None),
            ("train_points_model", w0, w1, None),
            ("predict_and_grade", start, end, None),
        ]
    select = select.strip().strip("/")
    if select in LAYER_JOBS:
        keys = sorted(
            (a.key for a in _defs().resolve_all_asset_specs()
             if a.group_name == select and a.partitions_def is not None and a.key != model),
            key=lambda k: k.path,
        )
        return [(LAYER_JOBS[select], start, end, keys)]
    parts = select.replace(".", "/").split("/")
    if len(parts) == 2 and parts[0] in LAYER_JOBS:
        key = dg.AssetKey(parts)
        known = {a.key for a in _defs().resolve_all_asset_specs() if a.partitions_def is not None}
        if key not in known:
            tables = sorted("/".join(k.path) for k in known if k.path[0] == parts[0])
            raise CliError(f"--select {select!r}: no such asset", f"{parts[0]} tables: {', '.join(tables)}")
        if key == model:
            w0, w1 = week_range(d0, d1)
            return [("train_points_model", w0, w1, None)]
        return [(LAYER_JOBS[parts[0]], start, end, [key])]
    raise CliError(
        f"--select {select!r} is not a layer or layer/table",
        f"layers: {', '.join(LAYERS)}; or one table, e.g. raw/bdl_boxscores",
    )


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="first game date (YYYY-MM-DD)")],
    end: Annotated[str, typer.Option("--end", help="last game date (YYYY-MM-DD)")],
    select: Annotated[
        str | None,
        typer.Option("--select", help="a layer (raw, analytics, features, predictions, grading) or layer/table"),
    ] = None,
) -> None:
    """Materialize game days START..END in one single-run backfill per job, with live progress."""
    from nba_assets.partitions import FIRST_GAME_DATE

    d0, d1 = _parse_date(start, "--start"), _parse_date(end, "--end")
    if d1 < d0:
        raise CliError(f"--end {end} is before --start {start}", "swap them")
    if d0 < dt.date.fromisoformat(FIRST_GAME_DATE):
        raise CliError(f"--start {start} is before the first partition {FIRST_GAME_DATE}",
                       f"use --start {FIRST_GAME_DATE} or later")
    _settings()
    plan = _plan(select, d0, d1)
    for job, s, e, sel in plan:
        if not _run(job, s, e, sel):
            raise typer.Exit(1)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="game days of history to backfill, ending today")] = 0,
) -> None:
    """Backfill the embedded simulated league through every asset and say where everything is."""
    from nba_assets.demo import demo_window

    s = _settings()
    start, end = demo_window(days or None)
    console.print(
        f"[bold]NBA Props Lake demo[/bold]: source={s.source}, lake={s.data_dir}, "
        f"game days {start}..{end}"
    )
    backfill(start=str(start), end=str(end), select=None)
    _report()
    console.print(f"\nlake:     {Path(s.data_dir) / 'lake'}  (one Parquet file per table per day)")
    console.print(f"landing:  {Path(s.data_dir) / 'landing'}")
    console.print(f"models:   {Path(s.data_dir) / 'models'}")
    console.print("status:   .venv/bin/nba-lake status")
    console.print("query:    .venv/bin/nba-lake sql")
    console.print("UI:       make ui   (then open http://127.0.0.1:3000)")


def _report() -> None:
    res = _defs().resolve_job_def("season_report").execute_in_process(
        instance=_instance(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    console.print("season report " + ("[green]built[/green]" if res.success else "[red]FAILED[/red]"))


# ------------------------------------------------------------------------------------------ status
def _parquet_rows(path) -> int | None:
    """Row count from the Parquet footer (no data read); None when the file is unreadable."""
    import pyarrow.parquet as pq

    try:
        if hasattr(path, "protocol") and path.protocol not in ("", "file", "local"):
            with path.open("rb") as fh:
                return pq.ParquetFile(fh).metadata.num_rows
        return pq.read_metadata(os.fspath(path)).num_rows
    except Exception:
        return None


def _age(seconds: float) -> str:
    h = seconds / 3600
    return f"{seconds / 60:.0f} min" if h < 1 else (f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} d")


@app.command()
def status(
    date: Annotated[str | None, typer.Option("--date", help="last day shown (default: today on the sources' clock)")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=62, help="days shown, ending at --date")] = 7,
) -> None:
    """Per table and day: rows (file footers), missing days, failing checks; then freshness."""
    import dagster as dg
    from upath import UPath

    from io_managers.lake import LAKE_DIR

    s = _settings()
    end = _parse_date(date, "--date") if date else _sources_today(s)
    lake = UPath(s.data_dir) / LAKE_DIR
    if not lake.exists() or not any(p.is_dir() for p in lake.iterdir()):
        raise _no_lake_error(s.data_dir)
    day_list = [end - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    defs, instance = _defs(), _instance()
    specs = [a for a in defs.resolve_all_asset_specs() if a.partitions_def is not None and a.group_name in LAYERS]
    specs.sort(key=lambda a: (LAYERS.index(a.group_name), a.key.path))
    history = CheckHistory(instance, defs)
    checks_by_day = {d: history.for_day(d) for d in day_list}

    clock = f"{end} (today on the {s.source} clock)" if not date else str(end)
    t = Table(title=f"lake {s.data_dir}  ·  {days} day(s) to {clock}", expand=False, title_justify="left")
    t.add_column("layer/table", no_wrap=True)
    for d in day_list:
        t.add_column(d.strftime("%a %m-%d"), justify="right", no_wrap=True)
    totals = {"missing": 0, "failing": 0}
    layer = None
    for spec in specs:
        if layer is not None and spec.group_name != layer:
            t.add_section()
        layer = spec.group_name
        label = "/".join(spec.key.path)
        weekly = _partition_for(spec.partitions_def, day_list[0]) != str(day_list[0])
        cells = []
        for d in day_list:
            if weekly:  # the model: one file per week, <data_dir>/models/<table>/<monday>.txt
                f = UPath(s.data_dir) / "models" / spec.key.path[-1] / f"{_partition_for(spec.partitions_def, d)}.txt"
                cell = Text("model", style="green") if f.exists() else Text("·", style="dim")
                rows = None if f.exists() else -1
            else:
                f = lake.joinpath(*spec.key.path, f"{d}.parquet")
                rows = _parquet_rows(f) if f.exists() else -1
                if rows == -1:
                    cell = Text("·", style="dim")
                elif rows is None:
                    cell = Text("unreadable", style="red")
                else:
                    cell = Text(f"{rows:,}")
            if rows == -1 and not weekly:
                totals["missing"] += 1
            failing = [c for c in checks_by_day[d] if c.asset == label and c.failed]
            if failing:
                totals["failing"] += len(failing)
                mark = f" ✗{len(failing)}"
                worst = "red" if any(c.severity == "ERROR" for c in failing) else "yellow"
                cell.append(mark, style=worst)
            cells.append(cell)
        t.add_row(label, *cells)
    console.print(t)
    console.print(
        "[dim]cells: rows in the day's Parquet file · [/dim]·[dim] = no file · [/dim][red]✗n[/red][dim] = n failing "
        "checks (red ERROR, yellow WARN) · details: nba-lake checks --date D --failed[/dim]"
    )

    # ---- freshness (wall clock: materializations and runs are stamped with real time)
    now = time.time()
    f = Table(title="freshness (wall clock; STALE after 26 h)", expand=False, title_justify="left")
    for col in ("what", "last success", "age", ""):
        f.add_column(col, no_wrap=True)
    raw_keys = [a.key for a in specs if a.group_name == "raw"]
    for key in raw_keys:
        ev = instance.get_latest_materialization_event(key)
        if ev is None:
            f.add_row("/".join(key.path) + " materialized", "never", "", Text("NEVER", style="yellow"))
            continue
        age = now - ev.timestamp
        flag = Text("STALE", style="bold red") if age > STALE_AFTER.total_seconds() else Text("fresh", style="green")
        when = dt.datetime.fromtimestamp(ev.timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        f.add_row("/".join(key.path) + " materialized", when, _age(age), flag)
    recs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=GAME_DAY_JOB, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    end_time = recs[0].end_time if recs else None
    if end_time:
        age = now - end_time
        flag = Text("STALE", style="bold red") if age > STALE_AFTER.total_seconds() else Text("fresh", style="green")
        f.add_row(f"{GAME_DAY_JOB} run succeeded", dt.datetime.fromtimestamp(end_time, dt.UTC).strftime(
            "%Y-%m-%d %H:%M UTC"), _age(age), flag)
    else:
        f.add_row(f"{GAME_DAY_JOB} run succeeded", "never", "",
                  Text("NEVER (the daily schedule runs it under `nba-lake ui`)", style="yellow"))
    console.print(f)
    console.print(
        f"{totals['missing']} missing table-day(s), {totals['failing']} failing check result(s) in the window"
    )


@app.command()
def checks(
    date: Annotated[str, typer.Option("--date", help="the game date (YYYY-MM-DD)")],
    failed: Annotated[bool, typer.Option("--failed", help="only failed checks")] = False,
    rows: Annotated[int, typer.Option("--rows", min=0, help="offending sample rows shown per failed check")] = 5,
) -> None:
    """Every check evaluation for one day (per-day runs and range runs covering it), with metadata."""
    day = _parse_date(date, "--date")
    s = _settings()
    history = CheckHistory(_instance(), _defs())
    found = history.for_day(day)
    if not found:
        raise CliError(
            f"no check evaluations recorded for {day} (DAGSTER_HOME={os.environ.get('DAGSTER_HOME')})",
            f"materialize it: nba-lake backfill --start {day} --end {day}",
            exit_code=1,
        )
    shown = [c for c in found if c.failed] if failed else found
    n_failed = sum(c.failed for c in found)
    t = Table(title=f"checks for {day}  ·  {len(found)} evaluated, {n_failed} failed  ·  lake {s.data_dir}",
              expand=False, title_justify="left")
    for col in ("asset", "check", "result", "severity", "scope"):
        t.add_column(col, no_wrap=True)
    t.add_column("summary", min_width=30, overflow="fold")  # the only column that wraps
    styles = {"passed": "green", "failed": "red", "skipped": "yellow", "planned": "dim"}
    for c in shown:
        t.add_row(c.asset, c.check, Text(c.status.upper(), style=styles.get(c.status, "")),
                  Text(c.severity, style="red" if c.severity == "ERROR" and c.failed else ""),
                  c.scope, escape(c.description))
    if shown:
        console.print(t)
    else:
        console.print(f"no failed checks for {day} ({len(found)} evaluated)")
    for c in shown:
        if not c.failed or not c.metadata:
            continue
        console.print(f"\n[bold red]✗ {c.asset}:{c.check}[/bold red]  {c.severity}  {c.scope}  run {c.run_id[:8]} "
                      f"at {dt.datetime.fromtimestamp(c.timestamp, dt.UTC):%Y-%m-%d %H:%M UTC}")
        for key in ("summary", "n_offending", "failing_dates", "evaluated_dates"):
            if key in c.metadata:
                console.print(f"  {key}: {escape(_meta_text(c.metadata[key]))}")
        for key, v in c.metadata.items():
            if key in ("summary", "n_offending", "failing_dates", "evaluated_dates", "offending_sample"):
                continue
            text = _meta_text(v)
            console.print(f"  {key}: {escape(text if len(text) <= 200 else text[:199] + '…')}")
        if "offending_sample" in c.metadata and rows:
            lines = _meta_text(c.metadata["offending_sample"]).splitlines()
            table_lines = [ln for ln in lines if ln.startswith("|")]
            console.print("  offending rows (sample):")
            for ln in table_lines[: 2 + rows]:
                console.print("    " + escape(ln))
            more = len(table_lines) - 2 - rows
            if more > 0:
                console.print(f"    [dim]… {more} more in the sample (n_offending is the full count)[/dim]")


# --------------------------------------------------------------------------------------------- sim
def _sim_env():
    """(settings, state_dir, clock) for the sim commands; refuses outside sim mode."""
    from upath import UPath
    from upath.implementations.local import LocalPath

    from resources.sim.clock import SimClock

    s = _settings()
    if s.source != "sim":
        raise CliError(
            f"the sim commands drive the simulated league, but NBA_LAKE_SOURCE={s.source}",
            "unset NBA_LAKE_SOURCE (or set it to sim) to use them",
        )
    if not isinstance(UPath(s.data_dir), LocalPath):
        raise CliError(f"the sim keeps its clock on local disk; NBA_LAKE_DATA_DIR={s.data_dir} is not local",
                       "use a local NBA_LAKE_DATA_DIR with NBA_LAKE_SOURCE=sim")
    state_dir = Path(s.data_dir) / "sim"
    return s, state_dir, SimClock(state_dir)


def _clock_now(clock) -> dt.datetime:
    try:
        return clock.now()
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CliError(f"cannot read the sim clock: {exc}", "nba-lake sim reset (or fix NBA_LAKE_SIM_NOW)") from exc


def _clock_source(clock) -> str:
    from resources.sim.clock import ENV_VAR

    if os.environ.get(ENV_VAR):
        return f"env {ENV_VAR} (overrides {clock.state_dir / 'clock.json'})"
    f = clock.state_dir / "clock.json"
    if f.exists():
        return f"override file {f}"
    return "real clock (no override)"


def _refuse_env_override() -> None:
    from resources.sim.clock import ENV_VAR

    if os.environ.get(ENV_VAR):
        raise CliError(
            f"{ENV_VAR}={os.environ[ENV_VAR]} is set and wins over the clock file this command writes",
            f"unset {ENV_VAR} to drive the sim clock with `nba-lake sim`",
        )


def _fmt_ts(ts: dt.datetime) -> str:
    return f"{ts.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC ({ts.astimezone(ET):%a %m-%d %H:%M} ET)"


def _league(s):
    from resources.sources import _sim_league

    return _sim_league(s.sim_seed)


def _games(league, now: dt.datetime):
    """Schedule rows of the current and previous simulated seasons (game_id, date, teams)."""
    import polars as pl

    season = league.season_of(now.astimezone(ET).date())
    frames = []
    for y in (season, season - 1 if season else None):
        if y is None:
            continue
        try:
            frames.append(league.schedule(y).select("game_id", "game_date", "home_team", "away_team"))
        except Exception:  # a season the league does not simulate
            continue
    if not frames:
        return pl.DataFrame(schema={"game_id": pl.Utf8, "game_date": pl.Date, "home_team": pl.Utf8,
                                    "away_team": pl.Utf8})
    return pl.concat(frames)


def _pending(s, state_dir, clock):
    import polars as pl

    from resources.sim.control import pending_releases

    league = _league(s)
    pending = pending_releases(league, clock, state_dir)
    games = _games(league, _clock_now(clock))
    return (
        pending.join(games, on="game_id", how="left", suffix="_sched")
        .with_columns(pl.coalesce("game_date", "game_date_sched").alias("game_date"))
        .drop("game_date_sched")
        .sort("release_ts", "game_id")
    )


def _pending_table(pending, now: dt.datetime) -> Table:
    t = Table(expand=False)
    for col in ("game_id", "game_date", "matchup", "released at", "in", "why"):
        t.add_column(col, no_wrap=True)
    for r in pending.iter_rows(named=True):
        matchup = f"{r['away_team']} @ {r['home_team']}" if r.get("home_team") else ""
        t.add_row(r["game_id"], str(r["game_date"] or ""), matchup, _fmt_ts(r["release_ts"]),
                  _age((r["release_ts"] - now).total_seconds()), r["why"])
    return t


@sim_app.command("status")
def sim_status() -> None:
    """The sim clock, where it comes from, and the late boxscores it has not released yet."""
    s, state_dir, clock = _sim_env()
    now = _clock_now(clock)
    console.print(f"sim clock: {_fmt_ts(now)}  ·  game date {now.astimezone(ET).date()}")
    console.print(f"source:    {_clock_source(clock)}")
    pending = _pending(s, state_dir, clock)
    if pending.height == 0:
        console.print("pending late boxscores: none")
        return
    console.print(f"pending late boxscores: {pending.height} (next: `nba-lake sim release-late`)")
    console.print(_pending_table(pending, now))


@sim_app.command("advance")
def sim_advance(
    to: Annotated[str | None, typer.Option("--to", help="ISO timestamp (Z/offset; naive = UTC)")] = None,
    hours: Annotated[float | None, typer.Option("--hours", help="hours to move forward from the sim now")] = None,
) -> None:
    """Move the sim clock (persisted in <data_dir>/sim/clock.json, seen by every process)."""
    from resources.sim.clock import parse_ts

    if (to is None) == (hours is None):
        raise CliError("give exactly one of --to <ISO timestamp> or --hours <H>",
                       "e.g. nba-lake sim advance --hours 6")
    s, state_dir, clock = _sim_env()
    _refuse_env_override()
    now = _clock_now(clock)
    if to is not None:
        try:
            target = parse_ts(to)
        except ValueError as exc:
            raise CliError(f"--to {to!r} is not an ISO timestamp", "e.g. 2025-12-09T17:00Z") from exc
    else:
        if hours <= 0:
            raise CliError(f"--hours {hours:g} must be positive", "use --to to set an earlier time explicitly")
        target = now + dt.timedelta(hours=hours)
    clock.set(target)
    delta = (target - now).total_seconds()
    direction = "forward" if delta >= 0 else "BACK"
    console.print(f"sim clock: {_fmt_ts(now)} -> {_fmt_ts(target)}  ({direction} {_age(abs(delta))})")
    released = _released_between(s, state_dir, now, target) if delta > 0 else []
    for line in released:
        console.print(f"released: {line}")


def _released_between(s, state_dir, before: dt.datetime, after: dt.datetime) -> list[str]:
    """Late boxscores whose release time fell in (before, after]."""
    from resources.sim.clock import SimClock

    pending = _pending(s, state_dir, SimClock(state_dir, fixed=before))
    hit = pending.filter(pending["release_ts"] <= after)
    return [
        f"{r['game_id']} ({r['game_date']}, {r['away_team']} @ {r['home_team']}) at {_fmt_ts(r['release_ts'])} "
        f"— {r['why']}"
        for r in hit.iter_rows(named=True)
    ]


@sim_app.command("reset")
def sim_reset(
    withheld: Annotated[bool, typer.Option("--withheld", help="also release every operator-withheld game")] = False,
) -> None:
    """Remove the clock override: the sim follows the real clock again."""
    from resources.sim.control import clear_withheld

    _, state_dir, clock = _sim_env()
    _refuse_env_override()
    had = (state_dir / "clock.json").exists()
    clock.reset()
    console.print(("removed the clock override; " if had else "no clock override was set; ")
                  + f"sim clock: {_fmt_ts(_clock_now(clock))}")
    if withheld:
        clear_withheld(state_dir)
        console.print("cleared the withheld games")


@sim_app.command("release-late")
def sim_release_late() -> None:
    """Advance the clock just past the earliest pending late-boxscore release."""
    s, state_dir, clock = _sim_env()
    _refuse_env_override()
    now = _clock_now(clock)
    pending = _pending(s, state_dir, clock)
    if pending.height == 0:
        console.print(f"no late boxscores pending at {_fmt_ts(now)}; the clock is unchanged")
        return
    target = pending["release_ts"][0] + dt.timedelta(seconds=1)
    clock.set(target)
    console.print(f"sim clock: {_fmt_ts(now)} -> {_fmt_ts(target)}  (forward {_age((target - now).total_seconds())})")
    for line in _released_between(s, state_dir, now, target):
        console.print(f"released: {line}")
    console.print("[dim]the late_boxscore_sensor re-ingests those days on its next tick (nba-lake ui), or: "
                  "nba-lake backfill --start D --end D --select raw[/dim]")


@sim_app.command("withhold")
def sim_withhold(
    game: Annotated[str, typer.Option("--game", help="NBA game id, e.g. 0022500350 (see raw.schedule)")],
    hours: Annotated[float, typer.Option("--hours", help="hold its boxscore back this many hours of sim time")],
) -> None:
    """Withhold one game's boxscore from both sources until the sim clock passes now + H."""
    from resources.sim.control import withhold

    s, state_dir, clock = _sim_env()
    if hours <= 0:
        raise CliError(f"--hours {hours:g} must be positive", "e.g. --hours 18")
    now = _clock_now(clock)
    games = _games(_league(s), now)
    row = games.filter(games["game_id"] == game.strip())
    if row.height == 0:
        raise CliError(f"no game {game!r} in the simulated league's current or previous season",
                       "game ids look like 0022500350; list them: nba-lake sql \"select game_id, game_date, "
                       "home_team, away_team from raw.schedule order by 2 desc limit 20;\"")
    r = row.row(0, named=True)
    until = now + dt.timedelta(hours=hours)
    withhold(state_dir, r["game_id"], until)
    console.print(f"withheld {r['game_id']} ({r['game_date']}, {r['away_team']} @ {r['home_team']}) "
                  f"until {_fmt_ts(until)}")


# -------------------------------------------------------------------------------------------- ui
def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _port_owner(port: int) -> str | None:
    """'pid 123 (cmdline)' of the process listening on `port` (Linux /proc; None when unknown)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            parts = ln.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"pid {proc.name} ({cmd[:80]})"
        except OSError:
            continue
    return None


def _next_free_port(port: int) -> int | None:
    return next((p for p in range(port + 1, port + 100) if p < 65536 and _port_free(p)), None)


@app.command()
def ui(
    port: Annotated[int, typer.Option(min=1, max=65535, help="port on 127.0.0.1")] = 3000,
) -> None:
    """Start the Dagster UI and daemons (dagster dev) on 127.0.0.1 and say where it is."""
    import httpx

    _settings()
    home = _ensure_dagster_home()
    if not _port_free(port):
        owner = _port_owner(port)
        alt = _next_free_port(port)
        raise CliError(
            f"port {port} on 127.0.0.1 is already in use" + (f" by {owner}" if owner else ""),
            (f"use a free port: nba-lake ui --port {alt}" if alt else "pick another port with --port")
            + (" (or stop that process if it is an old UI)" if owner else ""),
        )
    exe = Path(sys.executable).with_name("dagster")
    if not exe.exists():
        raise CliError(f"{exe} not found", "install the project: make setup")
    url = f"http://127.0.0.1:{port}"
    console.print(f"starting Dagster UI + daemons on {url} (DAGSTER_HOME={home}) ...")
    # Its own session, so Ctrl-C stops the whole tree (dagster dev ignores a lone SIGINT at times).
    proc = subprocess.Popen(
        [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        start_new_session=True,
    )
    try:
        t0 = time.monotonic()
        while proc.poll() is None:
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    console.print(f"[green]Dagster UI ready:[/green] {url}  ({time.monotonic() - t0:.0f}s; "
                                  "Ctrl-C to stop)")
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        rc = proc.wait()
        if rc:
            raise CliError(f"dagster dev exited with code {rc}", "re-run with --debug, or see the log above",
                           exit_code=1)
    except KeyboardInterrupt:
        console.print("stopping the UI ...")
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------------------------------- sql
@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="a query to run; omit for an interactive shell")] = None,
    write_db: Annotated[
        bool, typer.Option("--write-db", help="write <data_dir>/lake.duckdb with the same views (for BI tools)")
    ] = False,
) -> None:
    """A DuckDB shell over the lake: every table is a view <layer>.<table>; reading takes no lock."""
    import duckdb

    from resources.lake import LakeReader

    s = _settings()
    reader = LakeReader(s.data_dir)
    if not reader.tables():
        raise _no_lake_error(s.data_dir)
    if write_db:
        path = reader.write_duckdb_file(Path(s.data_dir) / "lake.duckdb")
        console.print(f"wrote {path}")
        return
    con = reader.connect()
    if query:
        try:
            console.print(con.sql(query).pl())
        except duckdb.Error as exc:
            raise CliError(f"{type(exc).__name__}: {_first_line(str(exc))}",
                           f"tables: {', '.join(reader.tables())}") from exc
        return
    console.print(f"tables: {', '.join(reader.tables())}")
    console.print("end a statement with ';' — an empty line or Ctrl-D quits")
    buf = ""
    while True:
        try:
            line = input("lake> " if not buf else "  ... ")
        except EOFError:
            break
        if not line.strip() and not buf:
            break
        buf += " " + line
        if buf.strip().endswith(";"):
            try:
                rel = con.sql(buf)
                if rel is not None:
                    console.print(rel.pl())
            except Exception as exc:  # a bad query must not end the shell
                console.print(f"[red]{type(exc).__name__}:[/red] {escape(str(exc))}")
            buf = ""


# ----------------------------------------------------------------------------------------- trace
@app.command()
def trace(
    row_id: Annotated[
        str | None,
        typer.Argument(help="<game_id>:<player_lookup>:<system_id> (a prediction) or <game_id>:<player_lookup> "
                       "(a summary row)"),
    ] = None,
    game: Annotated[str | None, typer.Option("--game", help="NBA game id, e.g. 0022500352")] = None,
    player: Annotated[str | None, typer.Option("--player", help="player name or player_lookup")] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="lgbm_points_v1 or moving_avg_l10; omit for the summary row")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON in the shape of docs/trace.schema.json")] = False,
) -> None:
    """Why this number: a prediction (or summary row) back to its rows, model, lines and API responses."""
    from nba_assets.trace import TraceError, parse_row_id, trace_prediction, trace_summary
    from nba_assets.trace_view import prediction_tree, summary_tree

    s = _settings()
    try:
        if row_id:
            if game or player or system:
                raise CliError("give a row id OR --game/--player[/--system], not both", "nba-lake trace --help")
            game, player, system = parse_row_id(row_id)
        if not game or not player:
            raise CliError("say which row: a row id, or --game G --player P [--system S]",
                           "e.g. nba-lake trace 0022500352:bogdanmusic:lgbm_points_v1")
        t = trace_prediction(s.data_dir, game, player, system) if system else trace_summary(s.data_dir, game, player)
    except TraceError as exc:
        raise CliError(str(exc), "list rows: nba-lake sql \"select game_id, player_lookup, system_id from "
                       "predictions.player_prop_predictions limit 5\"", exit_code=1) from exc
    if as_json:
        sys.stdout.write(json.dumps(t, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(prediction_tree(t) if t["kind"] == "prediction" else summary_tree(t))


# -------------------------------------------------------------------------------------- scenario
@app.command()
def scenario(
    name: Annotated[str, typer.Argument(help="late-boxscore")] = "late-boxscore",
) -> None:
    """Run an end-to-end scenario with the real daemons (make scenario-late-boxscore)."""
    if name != "late-boxscore":
        raise CliError(f"unknown scenario {name!r}", "scenarios: late-boxscore")
    from nba_assets import scenario as sc

    try:
        sc.main()
    except SystemExit as exc:
        if exc.code:
            raise typer.Exit(int(exc.code) if isinstance(exc.code, int) else 1) from None


# ------------------------------------------------------------------------------------ entry point
def _print_error(message: str, hint: str = "") -> None:
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    if hint:
        err_console.print(f"[dim]hint: {escape(hint)}[/dim]", soft_wrap=True)


def entry(args: list[str] | None = None) -> int:
    """Run the CLI and map every failure to (one line + hint, exit code). --debug adds the traceback."""
    argv = list(sys.argv[1:] if args is None else args)
    DEBUG["on"] = "--debug" in argv
    if DEBUG["on"]:  # accepted anywhere on the line, not only before the command
        argv = ["--debug", *(a for a in argv if a != "--debug")]
    try:
        rv = app(args=argv, prog_name="nba-lake", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except typer.Exit as exc:  # raised before click could turn it into a return code
        return exc.exit_code
    except CliError as exc:
        if DEBUG["on"]:
            traceback.print_exc()
        _print_error(str(exc), exc.hint)
        return exc.exit_code
    except ConfigError as exc:
        if DEBUG["on"]:
            traceback.print_exc()
        _print_error(str(exc), "fix the environment variable (see README.md)")
        return 2
    except _CLICK_ERRORS as exc:  # usage errors: unknown option, missing --start, bad int ...
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "nba-lake"
        _print_error(_first_line(exc.format_message()), f"{where} --help")
        return exc.exit_code
    except _ABORTS:
        err_console.print("interrupted")
        return 130
    except Exception as exc:
        if DEBUG["on"]:
            traceback.print_exc()
        _print_error(f"{type(exc).__name__}: {_first_line(str(exc))}",
                     "" if DEBUG["on"] else "re-run with --debug for the traceback")
        return 1


def run() -> None:
    """Console-script entry point (`nba-lake`)."""
    sys.exit(entry())


if __name__ == "__main__":
    run()
