"""`nba-lake checks`: every check evaluation of one day (the latest game day by default), with its
metadata. Nothing is cut: long summaries and values wrap, and an offending record (a markdown table
row in the metadata) is printed whole, field by field, on a terminal and piped alike."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections.abc import Iterable
from typing import Annotated

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nba_assets import tables
from nba_assets.cli.commands import common as cli

_FIRST = ("summary", "n_offending", "failing_dates", "evaluated_dates")
_STYLES = {"passed": "green", "failed": "red", "skipped": "yellow", "planned": "dim"}


@cli.app.command()
def checks(
    date: Annotated[str | None, typer.Option("--date", help="the game date (YYYY-MM-DD; default: the latest "
                                                        "game day in the lake)")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="only failed checks")] = False,
    rows: Annotated[int, typer.Option("--rows", min=0, help="offending records shown per table of a failed check")] = 5,
) -> None:
    """Every check evaluation for one day (per-day runs and range runs covering it), with metadata."""
    from nba_assets.cli.check_history import CheckHistory

    s = cli.cli_settings()
    day = cli.parse_date(date, "--date") if date else latest_game_day(s.data_dir, cli.sources_today(s))
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
    which = "" if date else " (the latest game day)"
    title = f"checks for {day}{which}  ·  {len(found)} evaluated, {n_failed} failed  ·  lake {s.data_dir}"
    width = cli.console.width
    if shown:
        for part in overview(title, shown, width):
            cli.console.print(part, soft_wrap=True)
    else:
        cli.console.print(f"no failed checks for {day}{which} ({len(found)} evaluated)")
    for c in shown:
        if c.failed and c.metadata:
            cli.console.print()
            for part in details(c, rows, width):
                cli.console.print(part, soft_wrap=True)


def latest_game_day(data_dir: str, today: dt.date) -> dt.date:
    """The last day up to `today` whose schedule file in the lake lists a game."""
    from resources.files import LAKE_DIR, data_path

    folder = data_path(data_dir) / LAKE_DIR / tables.SCHEDULE.layer / tables.SCHEDULE.name
    days = []
    if folder.exists():
        for f in folder.iterdir():
            stem, _, ext = f.name.partition(".")
            try:
                if ext == "parquet" and dt.date.fromisoformat(stem) <= today:
                    days.append((stem, f))
            except ValueError:
                continue
    for stem, f in sorted(days, reverse=True):
        if (cli.parquet_rows(f) or 0) > 0:
            return dt.date.fromisoformat(stem)
    raise cli.CliError(f"no game day up to {today} in the lake under {data_dir}",
                       "give the day: nba-lake checks --date YYYY-MM-DD", exit_code=1)


def overview(title: str, shown, width: int) -> Iterable[RenderableType]:
    """One row per check, the summary wrapped in its cell; where that table is wider than the console
    (long names, a narrow terminal), one wrapped paragraph per check instead, so nothing is ever cut."""
    if _fits(shown, width):
        yield _table(title, shown)
        return
    yield _wrapped(title, 0, width)
    for c in shown:
        yield _wrapped(f"{c.status.upper()} {c.severity or '-'}  {c.asset}:{c.check}  ({c.scope})  {c.description}",
                       0, width, style=_STYLES.get(c.status, "") if c.failed else "")


_SUMMARY_MIN = 20


def _fits(shown, width: int) -> bool:
    """Whether the table of `shown` fits `width` with its fixed columns whole and at least
    _SUMMARY_MIN cells for the summary (Rich would cut the fixed columns to make it fit)."""
    from rich.cells import cell_len

    cols = [("asset", [c.asset for c in shown]), ("check", [c.check for c in shown]),
            ("result", [c.status.upper() for c in shown]), ("severity", [c.severity for c in shown]),
            ("scope", [c.scope for c in shown])]
    fixed = sum(max(cell_len(v) for v in [name, *values]) for name, values in cols)
    return fixed + _SUMMARY_MIN + 3 * (len(cols) + 1) + 1 <= width


def _table(title: str, shown) -> Table:
    t = Table(title=title, expand=False, title_justify="left")
    for col in ("asset", "check", "result", "severity", "scope"):
        t.add_column(col, no_wrap=True)
    t.add_column("summary", min_width=_SUMMARY_MIN, overflow="fold")  # the only column that wraps
    for c in shown:
        t.add_row(c.asset, c.check, Text(c.status.upper(), style=_STYLES.get(c.status, "")),
                  Text(c.severity, style="red" if c.severity == "ERROR" and c.failed else ""),
                  c.scope, escape(c.description))
    return t


def details(c, rows: int, width: int) -> Iterable[RenderableType]:
    """A failed check's metadata: each value whole (wrapped), each offending record whole."""
    from nba_assets.cli.check_history import markdown_records, meta_text, record_text

    yield _wrapped(f"✗ {c.asset}:{c.check}  {c.severity}  {c.scope}  run {c.run_id[:8]} at "
                   f"{dt.datetime.fromtimestamp(c.timestamp, dt.UTC):%Y-%m-%d %H:%M UTC}", 0, width, style="bold red")
    keys = [k for k in _FIRST if k in c.metadata] + [k for k in c.metadata if k not in _FIRST]
    for key in keys:
        text = meta_text(c.metadata[key])
        table = markdown_records(text)
        if table is None:
            yield _wrapped(f"{key}: {text}", 2, width)
            continue
        columns, records, notes = table
        if not rows:
            yield _wrapped(f"{key}: {len(records)} record(s) (--rows 0 hides them)", 2, width)
            continue
        yield _wrapped(f"{key} ({len(records)} record(s)" + (f"; {'; '.join(notes)}" if notes else "") + "):", 2,
                       width)
        for i, cells in enumerate(records[:rows], start=1):
            yield _wrapped(f"{i}. {record_text(columns, cells)}", 4, width)
        if len(records) > rows:
            yield _wrapped(f"… {len(records) - rows} more (--rows {len(records)} shows them; n_offending is "
                           "the full count)", 4, width, style="dim")


def _wrapped(text: str, indent: int, width: int, style: str = "") -> Text:
    """Plain text (no markup) wrapped to `width` under a left indent, line by line; nothing dropped but
    the spaces where a line breaks (a word longer than a line is split, not cut)."""
    pad = " " * indent
    lines = []
    for line in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(line, width=max(width, indent + 20), initial_indent=pad, subsequent_indent=pad,
                                   break_long_words=True, break_on_hyphens=False, replace_whitespace=False)
                     or [pad])
    return Text("\n".join(lines), style=style)
