"""`nba-lake verify`: every lake file against what the pipeline recorded writing it (checks/integrity.py).

Names each file changed, missing or added outside the pipeline; exit 1 when there is one. The result is
kept in <data_dir>/verify/last.json, which `nba-lake status` shows.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nba_assets.cli.commands import common as c

_STYLE = {"changed": "red", "missing": "red", "added": "yellow"}


@c.app.command()
def verify(
    start: Annotated[str | None, typer.Option("--start", help="first game date (default: the whole lake)")] = None,
    end: Annotated[str | None, typer.Option("--end", help="last game date (with --start)")] = None,
) -> None:
    """Compare the lake's files with their materializations: name every file changed, missing or added."""
    from checks import integrity
    from resources.files import LAKE_DIR, data_path

    if (start is None) != (end is None):
        raise c.CliError("--start and --end go together", "nba-lake verify [--start D1 --end D2]")
    d0 = c.parse_date(start, "--start") if start else None
    d1 = c.parse_date(end, "--end") if end else None
    if d0 and d1 and d1 < d0:
        raise c.CliError(f"--end {end} is before --start {start}", "swap them")
    s = c.cli_settings()
    if not (data_path(s.data_dir) / LAKE_DIR).exists():
        raise c.no_lake_error(s.data_dir)
    view = c.instance_view()
    report = integrity.verify(s.data_dir, view.file_records, d0, d1, by="nba-lake verify")
    if report.findings:
        t = Table(title=f"lake {s.data_dir} · {report.window}", expand=False, title_justify="left")
        for col in ("file", "what", "detail"):
            t.add_column(col, overflow="fold")
        for f in report.findings:
            t.add_row(f.file, f"[{_STYLE[f.kind]}]{f.kind}[/]", escape(f.detail))
        c.console.print(t)
    style = "green" if report.clean else "red"
    c.console.print(f"[{style}]{escape(report.summary())}[/] ({report.window}, {report.seconds:.2f} s)", soft_wrap=True)
    if not report.clean:
        c.console.print("[dim]hint: a changed or added file was written outside the pipeline; re-run its day "
                        "(nba-lake backfill --start D --end D --select layer/table) to restore it[/dim]")
        raise typer.Exit(1)
