"""`nba-lake`: the operator's command line.

Errors print one clear line and a hint (no traceback) unless --debug is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
import warnings
from rich.console import Console
from rich.live import Live
from rich.table import Table

from resources.env import PROJECT_ROOT, settings

app = typer.Typer(
    help="NBA Props Lake: backfill, inspect and serve the lake.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sim_app = typer.Typer(help="Drive the simulated league's clock.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")
# Piped output (CI, logs) gets a fixed width so the summary table is not squeezed to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 130)
DEBUG = {"on": False}

LAYER_JOBS = {
    "raw": "ingest_and_features",
    "analytics": "ingest_and_features",
    "features": "ingest_and_features",
    "predictions": "predict_and_grade",
    "grading": "predict_and_grade",
}


class CliError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


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


def _ensure_dagster_home() -> Path:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(PROJECT_ROOT / ".dagster_home")
        os.environ["DAGSTER_HOME"] = home
    p = Path(home)
    p.mkdir(parents=True, exist_ok=True)
    cfg = p / "dagster.yaml"
    if not cfg.exists():
        cfg.symlink_to(PROJECT_ROOT / "dagster.yaml")
    return p


def _instance():
    import dagster as dg

    _ensure_dagster_home()
    return dg.DagsterInstance.get()


def _defs():
    from nba_assets.definitions import defs

    return defs


def _progress_table(summary) -> Table:
    t = Table(title=f"{summary.job}  {summary.start}..{summary.end}", expand=False)
    t.add_column("asset", no_wrap=True, min_width=38)
    for col in ("status", "rows", "seconds", "checks ok", "checks failed"):
        t.add_column(col, no_wrap=True, justify="right" if col != "status" else "left")
    icons = {"pending": "·", "running": "…", "success": "✓", "failed": "✗", "skipped": "-"}
    for s in summary.steps.values():
        t.add_row(
            s.asset,
            f"{icons.get(s.status, '?')} {s.status}",
            "" if s.rows is None else f"{s.rows:,}",
            f"{s.seconds:.1f}",
            str(s.checks_passed),
            str(s.checks_failed) if not s.checks_failed else f"[red]{s.checks_failed}[/red]",
        )
    return t


def _run(job: str, start: str, end: str, selection=None) -> bool:
    from nba_assets.runner import run_range

    defs, instance = _defs(), _instance()
    with Live(console=console, refresh_per_second=4) as live:
        summary = run_range(
            defs,
            job,
            start,
            end,
            instance=instance,
            selection=selection,
            on_update=lambda s: live.update(_progress_table(s)),
        )
    state = "[green]succeeded[/green]" if summary.success else "[red]FAILED[/red]"
    console.print(f"run {summary.run_id[:8]} {state} in {summary.seconds:.1f}s")
    if summary.error:
        console.print(f"[red]error:[/red] {summary.error}")
    return summary.success


def _parse_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"{name} {value!r} is not a date", "use YYYY-MM-DD") from exc


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
    import dagster as dg

    from nba_assets.runner import week_range

    d0, d1 = _parse_date(start, "--start"), _parse_date(end, "--end")
    if d1 < d0:
        raise CliError(f"--end {end} is before --start {start}")
    plan: list[tuple[str, str, str, list | None]] = []
    if select is None:
        w0, w1 = week_range(d0, d1)
        plan = [
            ("ingest_and_features", start, end, None),
            ("train_points_model", w0, w1, None),
            ("predict_and_grade", start, end, None),
        ]
    elif select in LAYER_JOBS:
        keys = [
            a.key
            for a in _defs().resolve_all_asset_specs()
            if a.group_name == select and a.partitions_def is not None
            and a.key != dg.AssetKey(["predictions", "points_model"])
        ]
        plan = [(LAYER_JOBS[select], start, end, keys)]
    elif "/" in select and select.split("/")[0] in LAYER_JOBS:
        key = dg.AssetKey(select.split("/"))
        if key == dg.AssetKey(["predictions", "points_model"]):
            w0, w1 = week_range(d0, d1)
            plan = [("train_points_model", w0, w1, None)]
        else:
            plan = [(LAYER_JOBS[select.split("/")[0]], start, end, [key])]
    else:
        raise CliError(f"--select {select!r} is not a layer or asset", f"layers: {', '.join(LAYER_JOBS)}")
    ok = True
    for job, s, e, sel in plan:
        ok = _run(job, s, e, sel) and ok
        if not ok:
            break
    if not ok:
        raise typer.Exit(1)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="game days of history to backfill, ending today")] = 0,
) -> None:
    """Backfill the embedded simulated league through every asset and say where everything is."""
    from nba_assets.demo import demo_window

    s = settings()
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
    console.print("query:    .venv/bin/nba-lake sql")
    console.print("UI:       make ui   (then open http://127.0.0.1:3000)")


def _report() -> None:
    res = _defs().resolve_job_def("season_report").execute_in_process(
        instance=_instance(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    console.print("season report " + ("[green]built[/green]" if res.success else "[red]FAILED[/red]"))


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 3000,
) -> None:
    """Start the Dagster UI and daemons (dagster dev) on 127.0.0.1."""
    _ensure_dagster_home()
    exe = Path(sys.executable).with_name("dagster")
    console.print(f"Dagster UI: http://127.0.0.1:{port}  (Ctrl-C to stop)")
    try:
        subprocess.run(
            [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            check=False,
        )
    except KeyboardInterrupt:
        pass


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="a query to run; omit for an interactive shell")] = None,
    write_db: Annotated[
        bool, typer.Option("--write-db", help="write <data_dir>/lake.duckdb with the same views (for BI tools)")
    ] = False,
) -> None:
    """A DuckDB shell over the lake: every table is a view <layer>.<table>; reading takes no lock."""
    from resources.lake import LakeReader

    reader = LakeReader(settings().data_dir)
    if write_db:
        path = reader.write_duckdb_file(Path(settings().data_dir) / "lake.duckdb")
        console.print(f"wrote {path}")
        return
    con = reader.connect()
    if query:
        console.print(con.sql(query).pl())
        return
    console.print(f"tables: {', '.join(reader.tables()) or '(none yet: run make demo)'}")
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
                console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
            buf = ""


def run() -> None:
    try:
        app(standalone_mode=False)
    except CliError as exc:
        console.print(f"[red]error:[/red] {exc}" + (f"\n[dim]hint: {exc.hint}[/dim]" if exc.hint else ""))
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if DEBUG["on"]:
            raise
        console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}\n[dim]hint: re-run with --debug for the traceback[/dim]")
        sys.exit(1)


if __name__ == "__main__":
    run()
