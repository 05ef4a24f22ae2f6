"""`nba-lake demo` (what `make demo` runs) and `nba-lake scenario` (the late-boxscore scenario)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nba_assets.cli.commands import common as c
from nba_assets.cli.commands.backfill import _run, check_range, run_range_as_backfill


@c.app.command()
def demo(
    days: Annotated[int, typer.Option(help="game days of history to backfill, ending today")] = 0,
) -> None:
    """Backfill the embedded simulated league through every asset and say where everything is."""
    from nba_assets.cli.demo import demo_window

    s = c.cli_settings()
    start, end = demo_window(days or None)
    c.console.print(
        f"[bold]NBA Props Lake demo[/bold]: source={s.source}, lake={s.data_dir}, "
        f"game days {start}..{end}"
    )
    check_range(start, end, s)
    run_range_as_backfill(start, end, None, "demo")
    _report()
    _morning_run(end)
    _history(s.data_dir, end)
    c.console.print(f"\nlake:     {Path(s.data_dir) / 'lake'}  (one Parquet file per table per day)")
    c.console.print(f"landing:  {Path(s.data_dir) / 'landing'}")
    c.console.print(f"models:   {Path(s.data_dir) / 'models'}")
    c.console.print("status:   .venv/bin/nba-lake status")
    c.console.print("query:    .venv/bin/nba-lake sql")
    c.console.print("UI:       make ui   (then open http://127.0.0.1:3000)")


def _execute(job) -> bool:
    return c.defs().resolve_job_def(job.name).execute_in_process(
        instance=c.instance(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    ).success


def _report() -> None:
    from nba_assets.jobs import report_job

    c.console.print("season report " + ("[green]built[/green]" if _execute(report_job) else "[red]FAILED[/red]"))


def _morning_run(today) -> None:
    """Today's game-day run, as the 08:00 ET schedule would make it, then the health check: a fresh
    demo looks like a pipeline that ran this morning (`nba-lake status` shows no NEVER)."""
    import datetime as dt

    from nba_assets.cli.demo import morning_requests
    from nba_assets.jobs import exports_job, game_day_job
    from sensors.health import health_job

    for req in morning_requests(today):
        day = req.partition_key
        tags = {**req.tags, "nba/backfill": "demo"}
        if not _run(game_day_job, day, day, list(req.asset_selection or []), extra_tags=tags):
            raise typer.Exit(1)
    # What automation does under the daemon: the exports follow the morning's grades and predictions.
    yesterday = str(dt.date.fromisoformat(str(today)) - dt.timedelta(days=1))
    if not _run(exports_job, yesterday, str(today), None, extra_tags={"nba/backfill": "demo"}):
        raise typer.Exit(1)
    ok = _execute(health_job)
    c.console.print("pipeline health check " + ("[green]evaluated[/green]" if ok else "[red]FAILED[/red]"))


def _history(data_dir: str, today) -> None:
    """Today's recommendation history (and the last full day's, whose refreshes have all run), then the
    three systems side by side on the rows every system predicted."""
    from rich.table import Table

    from nba_assets import tables as t
    from nba_assets.logic import report
    from resources.lake_reader import LakeReader

    reader = LakeReader(data_dir)
    if not reader.has(t.RECOMMENDATION_HISTORY):
        return
    hist = t.RECOMMENDATION_HISTORY.view
    days = reader.query(
        f"select game_date, refresh, count(*) as n from {hist} where game_date >= DATE '{today}' - 1 "
        "group by 1, 2 order by 1, min(created_at)"
    )
    table = Table(title="recommendation history: rows per refresh (a row when line, injury or model changed)")
    for col in ("game day", "refresh", "rows"):
        table.add_column(col)
    for d, refresh, n in days.iter_rows():
        table.add_row(str(d), refresh, str(n))
    c.console.print(table)
    moved = reader.query(
        f"select game_id, player_lookup, system_id from {hist} where game_date >= DATE '{today}' - 1 "
        "group by 1, 2, 3 order by count(*) desc, 1, 2, 3 limit 1"
    )
    if moved.height:
        g, p, sid = moved.row(0)
        rows = reader.query(
            f"select refresh, strftime(created_at, '%H:%M') as utc, line, injury_status, predicted_points, "
            f"recommendation, pass_reason from {hist} where game_id = '{g}' and player_lookup = '{p}' "
            f"and system_id = '{sid}' order by created_at"
        )
        c.console.print(f"history of {p} in game {g} ({sid}):")
        c.console.print(report.to_markdown(rows, digits=2))
    grades = reader.rows(t.PREDICTION_GRADES)
    if grades.height:
        same = report.season_report(grades).same_rows
        c.console.print("systems on the same rows (every graded day):")
        c.console.print(report.to_markdown(same.select("system_id", "n", "mae", "wins", "losses", "hit_rate")))


@c.app.command()
def scenario(
    name: Annotated[str, typer.Argument(help="late-boxscore")] = "late-boxscore",
) -> None:
    """Run an end-to-end scenario with the real daemons (make scenario-late-boxscore)."""
    if name != "late-boxscore":
        raise c.CliError(f"unknown scenario {name!r}", "scenarios: late-boxscore")
    from nba_assets.cli import scenario as sc

    try:
        sc.main()
    except SystemExit as exc:
        if exc.code:
            raise typer.Exit(int(exc.code) if isinstance(exc.code, int) else 1) from None
