"""`nba-lake checks`: every check evaluation of one day, with its metadata."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nba_assets.cli.commands import common as cli


@cli.app.command()
def checks(
    date: Annotated[str, typer.Option("--date", help="the game date (YYYY-MM-DD)")],
    failed: Annotated[bool, typer.Option("--failed", help="only failed checks")] = False,
    rows: Annotated[int, typer.Option("--rows", min=0, help="offending sample rows shown per failed check")] = 5,
) -> None:
    """Every check evaluation for one day (per-day runs and range runs covering it), with metadata."""
    from nba_assets.cli.check_history import CheckHistory, meta_text

    day = cli.parse_date(date, "--date")
    s = cli.cli_settings()
    history = CheckHistory(cli.instance_view())
    found = history.for_day(day)
    if not found:
        raise cli.CliError(
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
        cli.console.print(t)
    else:
        cli.console.print(f"no failed checks for {day} ({len(found)} evaluated)")
    for c in shown:
        if not c.failed or not c.metadata:
            continue
        cli.console.print(f"\n[bold red]✗ {c.asset}:{c.check}[/bold red]  {c.severity}  {c.scope}  run {c.run_id[:8]} "
                      f"at {dt.datetime.fromtimestamp(c.timestamp, dt.UTC):%Y-%m-%d %H:%M UTC}")
        for key in ("summary", "n_offending", "failing_dates", "evaluated_dates"):
            if key in c.metadata:
                cli.console.print(f"  {key}: {escape(meta_text(c.metadata[key]))}")
        for key, v in c.metadata.items():
            if key in ("summary", "n_offending", "failing_dates", "evaluated_dates", "offending_sample"):
                continue
            text = meta_text(v)
            cli.console.print(f"  {key}: {escape(text if len(text) <= 200 else text[:199] + '…')}")
        if "offending_sample" in c.metadata and rows:
            lines = meta_text(c.metadata["offending_sample"]).splitlines()
            table_lines = [ln for ln in lines if ln.startswith("|")]
            cli.console.print("  offending rows (sample):")
            for ln in table_lines[: 2 + rows]:
                cli.console.print("    " + escape(ln))
            more = len(table_lines) - 2 - rows
            if more > 0:
                cli.console.print(f"    [dim]… {more} more in the sample (n_offending is the full count)[/dim]")
