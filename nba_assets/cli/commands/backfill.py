"""`nba-lake backfill`: one single-run backfill per job over a range, with live progress per asset."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from nba_assets import tables
from nba_assets.cli.commands import common as c
from nba_assets.cli.preflight import range_refusal

# Dagster, the jobs and the runner are imported when a backfill runs (common.py: the CLI imports light).

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


def _execute(job, start: str, end: str, selection=None, extra_tags: dict[str, str] | None = None):
    """One run with the live per-asset table; its summary."""
    from nba_assets.cli.runner import run_range

    defs, instance = c.defs(), c.instance()
    live_ok = c.console.is_terminal
    with Live(console=c.console, refresh_per_second=8, transient=True) if live_ok else contextlib.nullcontext() as live:
        summary = run_range(
            defs,
            job,
            start,
            end,
            instance=instance,
            selection=selection,
            extra_tags=extra_tags,
            on_update=(lambda s: live.update(_progress_view(s))) if live_ok else None,
            # Dagster's c.console logger would print stack traces; the event log (UI) keeps them all.
            log_level="CRITICAL",
        )
    c.console.print(_progress_view(summary, final=True))
    if summary.success:
        c.console.print(f"run {summary.run_id[:8]} [green]succeeded[/green] in {summary.seconds:.1f}s")
    else:
        c.err_console.print(
            f"[red]error:[/red] run {summary.run_id[:8]} ({summary.job} {start}..{end}) FAILED after "
            f"{summary.seconds:.1f}s: {escape(summary.error or 'unknown error')}",
            soft_wrap=True,
        )
        c.err_console.print(
            f"[dim]hint: `nba-lake checks --date {start}` for check results; the run's event log is in the UI "
            f"(nba-lake ui, run {summary.run_id})[/dim]",
            soft_wrap=True,
        )
    return summary


def _run(job, start: str, end: str, selection=None, extra_tags: dict[str, str] | None = None) -> bool:
    """One run outside a backfill (the demo's morning runs), its failed checks explained."""
    summary = _execute(job, start, end, selection, extra_tags)
    _explain_failed_checks(summary.failed_checks)
    return summary.success


def run_as_backfill(steps, kind: str, run_tags: dict[str, str] | None = None) -> bool:
    """The steps as one Dagster backfill (nba_assets/cli/backfills.py), each run with its live table,
    then one line on the backfill: its id, status and where the UI shows it."""
    from nba_assets.cli.backfills import run_backfill

    defs, instance = c.defs(), c.instance()
    t0 = time.monotonic()
    outcome = run_backfill(
        defs, instance, steps, lambda job, s, e, sel, tags: _execute(job, s, e, sel, {**(run_tags or {}), **tags}),
        kind=kind, tags=run_tags,
        on_start=lambda bid: c.console.print(f"[bold]backfill {bid}[/bold]: {len(steps)} run(s), recorded in "
                                             f"Dagster (UI: Runs > Backfills)"),
    )  # fmt: skip
    style = "green" if outcome.success else "red"
    c.console.print(
        f"backfill {outcome.backfill_id} [{style}]{outcome.status}[/{style}] in {time.monotonic() - t0:.1f}s, "
        f"{len(outcome.runs)} of {len(steps)} run(s); in the UI (nba-lake ui): "
        f"http://127.0.0.1:3000/runs/b/{outcome.backfill_id}",
        soft_wrap=True,
    )
    _explain_failed_checks([f for run in outcome.runs for f in run.failed_checks])
    return outcome.success


def _explain_failed_checks(failed: list[tuple[str, str, str | None]]) -> None:
    """Which failed check results are the simulated league's seeded faults, and where to read them."""
    if not failed:
        return
    from nba_assets.cli.seeded import attribute, game_day, seeded_faults, summary_lines

    s = c.cli_settings()
    sim = s.source == "sim" and s.sim_faults != "none"
    days = sorted({d for _, _, p in failed if (d := game_day(p)) is not None})
    faults = seeded_faults(s.sim_seed, s.sim_faults, days) if sim else seeded_faults(s.sim_seed, "none", [])
    weekly = {t.label for t in tables.ALL if t.partitioned == tables.WEEKLY}
    for line in summary_lines(attribute(failed, faults, weekly), sim):
        c.console.print(line, soft_wrap=True)


def plan(select: str | None, d0: dt.date, d1: dt.date) -> list[tuple[Any, str, str, list | None]]:
    """(job, first partition, last partition, asset subset or None) per run of a backfill."""
    import dagster as dg

    from nba_assets.jobs import JOB_OF_LAYER, exports_job, ingest_job, predict_job, train_job
    from nba_assets.partitions import week_range

    assert set(c.LAYERS) == set(JOB_OF_LAYER), "every data layer needs a backfill job"
    start, end = str(d0), str(d1)
    model = tables.POINTS_MODEL.key
    if select is None:
        w0, w1 = week_range(d0, d1)
        return [
            (ingest_job, start, end, None),
            (train_job, w0, w1, None),
            (predict_job, start, end, None),
            (exports_job, start, end, None),
        ]
    select = select.strip().strip("/")
    if select in JOB_OF_LAYER:
        keys = sorted(
            (a.key for a in c.defs().resolve_all_asset_specs()
             if a.group_name == select and a.partitions_def is not None and a.key != model),
            key=lambda k: k.path,
        )
        return [(JOB_OF_LAYER[select], start, end, keys)]
    parts = select.replace(".", "/").split("/")
    if len(parts) == 2 and parts[0] in JOB_OF_LAYER:
        key = dg.AssetKey(parts)
        known = {a.key for a in c.defs().resolve_all_asset_specs() if a.partitions_def is not None}
        if key not in known:
            names = sorted("/".join(k.path) for k in known if k.path[0] == parts[0])
            raise c.CliError(f"--select {select!r}: no such asset", f"{parts[0]} tables: {', '.join(names)}")
        if key == model:
            w0, w1 = week_range(d0, d1)
            return [(train_job, w0, w1, None)]
        return [(JOB_OF_LAYER[parts[0]], start, end, [key])]
    raise c.CliError(
        f"--select {select!r} is not a layer or layer/table",
        f"layers: {', '.join(c.LAYERS)}; or one table, e.g. {tables.BDL_BOXSCORES.label}",
    )


def check_range(d0: dt.date, d1: dt.date, s) -> None:
    """Refuse, before anything is fetched or written, a range outside the partitions or in the future
    (the rule of `preflight.range_refusal`, here against the real partitions and sources' clock)."""
    from nba_assets.partitions import FIRST_GAME_DATE, game_dates

    last = dt.date.fromisoformat(game_dates.get_last_partition_key())
    clock = "US-Eastern time"
    if s.source == "sim":
        last, clock = min(last, c.sources_today(s)), "the sim clock"
    refusal = range_refusal(d0, d1, dt.date.fromisoformat(FIRST_GAME_DATE), last, clock)
    if refusal is not None:
        raise c.CliError(*refusal)


@c.app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="first game date (YYYY-MM-DD)")],
    end: Annotated[str, typer.Option("--end", help="last game date (YYYY-MM-DD)")],
    select: Annotated[
        str | None,
        typer.Option("--select", help="a layer (raw, analytics, features, predictions, grading) or layer/table"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="run a range longer than a season, or one in which a "
                                      "season finds no games, instead of refusing it")] = False,
    allow_shrink: Annotated[
        bool,
        typer.Option("--allow-shrink", help="let a re-run empty a day of final facts or drop more than its "
                     "table's share of the day's rows (refused otherwise: docs/reliability.md)"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the requests and credits each odds feed "
                                          "(props, game lines) would cost (schedule and landing zone), fetch nothing")] = False,
) -> None:
    """Materialize game days START..END in one single-run backfill per job, with live progress."""
    d0, d1 = c.parse_date(start, "--start"), c.parse_date(end, "--end")
    check_range(d0, d1, c.cli_settings())
    if dry_run:
        print_cost(d0, d1)
        return
    if not yes:
        from nba_assets.cli.range_scope import scope_refusal

        refusal = scope_refusal(d0, d1)
        if refusal is not None:
            raise c.CliError(*refusal)
    run_range_as_backfill(d0, d1, select, "backfill", allow_shrink=allow_shrink)


def print_cost(d0: dt.date, d1: dt.date) -> None:
    """The --dry-run table: per odds feed (props feeds, game lines), games to fetch, requests and credits (nba_assets/cli/cost.py)."""
    import polars as pl

    from nba_assets.cli.cost import estimate
    from nba_assets.cli.range_scope import season_parts
    from resources.env import resources_for
    from resources.parsers import parse_nbacom_schedule

    sources = resources_for()["sources"]
    if not sources.fetching_enabled:
        c.console.print("NBA_LAKE_SOURCE=landing: a backfill fetches nothing (0 requests, 0 credits)")
        return
    days = [d0 + dt.timedelta(days=i) for i in range((d1 - d0).days + 1)]
    frames = [parse_nbacom_schedule(sources.nbacom().probe_schedule(p.season), "schedule", game_dates=set(days)).rows
              for p in season_parts(d0, d1)]
    games = pl.concat(frames)
    costs = estimate(games, sources.landing(), days, sources.today())
    t = Table(title=f"what backfilling {d0}..{d1} would cost ({len(days)} day(s), {games.height:,} game(s))",
              expand=False, title_justify="left")
    for col in ("feed", "games to fetch", "requests", "at most", "credits", "at most"):
        t.add_column(col, justify="left" if col == "feed" else "right", no_wrap=True)
    for f in costs:
        t.add_row(f.feed, f"{f.games:,}", f"{f.requests:,}", f"{f.requests_max:,}", f"{f.credits:,}",
                  f"{f.credits_max:,}")
    c.console.print(t)
    quota = sources.landing().quotas().get("oddsapi")
    left = f"{quota['remaining']:,} credits left at the last reading" if quota else "no quota reading yet"
    c.console.print(f"[dim]The Odds API bills credits (historical odds 10 per market per request); SportsDataIO is "
                    f"flat-rate. Already-landed snapshots are not counted. The Odds API: {left}. "
                    f"Nothing was fetched.[/dim]", soft_wrap=True)


def run_range_as_backfill(d0: dt.date, d1: dt.date, select: str | None, kind: str, *, allow_shrink: bool = False) -> None:
    """Plan, refuse a busy instance, run the plan as one Dagster backfill; exit 1 when it failed."""
    runs = plan(select, d0, d1)
    from io_managers.shrink import ALLOW_SHRINK_TAG
    from nba_assets.cli.guard import BackfillBusy, backfill_slot

    tags = {ALLOW_SHRINK_TAG: "true"} if allow_shrink else None

    try:
        with backfill_slot(c.instance(), c.ensure_dagster_home()):
            if not run_as_backfill(runs, kind, run_tags=tags):
                raise typer.Exit(1)
    except BackfillBusy as exc:
        raise c.CliError(str(exc), "wait for it to finish (nba-lake status / the UI), or cancel it") from None
