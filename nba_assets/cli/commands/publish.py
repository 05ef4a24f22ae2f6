"""`nba-lake publish`: backfill history from the GCS lake into the day-partitioned BigQuery tables.

The runs publish the days they write; this is for days written before BigQuery was set up, or to
re-publish after a BigQuery-side accident. Each day is replaced atomically (resources/bigquery.py).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from nba_assets import tables
from nba_assets.cli.commands import common as c


def _selected(select: str | None) -> list[tables.Table]:
    from resources.bigquery import publishable_tables

    lake = publishable_tables()
    if select is None:
        return lake
    want = select.strip().strip("/").replace(".", "/")
    chosen = [t for t in lake if want in (t.layer, t.label)]
    if not chosen:
        raise c.CliError(f"--select {select!r}: no such layer or lake table",
                         f"tables: {', '.join(t.label for t in lake)}")
    return chosen


@c.app.command()
def publish(
    start: Annotated[str, typer.Option("--start", help="first game date (YYYY-MM-DD)")],
    end: Annotated[str, typer.Option("--end", help="last game date (YYYY-MM-DD), inclusive")],
    select: Annotated[str | None, typer.Option("--select", help="a layer or layer/table (default: all)")] = None,
) -> int:
    """Publish the lake's days from --start to --end to BigQuery (NBA_LAKE_ENV=prod), replacing each day."""
    from resources.gcp import bigquery_resource, gcp_settings, publish_range

    s = c.cli_settings()
    if s.env != "prod":
        raise c.CliError("publish needs NBA_LAKE_ENV=prod (BigQuery is the prod warehouse)",
                         "set the prod variables of README.md, 'Running in production'")
    d0, d1 = c.parse_date(start, "--start"), c.parse_date(end, "--end")
    if d1 < d0:
        raise c.CliError(f"--end {d1} is before --start {d0}")
    g = gcp_settings()
    bq = bigquery_resource(g)
    with bq.get_client() as client:
        done, missing = publish_range(
            bq.publisher(client), g.data_dir, d0, d1, only=_selected(select),
            on_published=lambda p: c.console.print(f"  {p.table} {p.day}: {p.rows} rows in {p.seconds:.2f} s"),
        )
    summary = RichTable("table", "days published", "rows", "seconds", "days not in the lake")
    for t in _selected(select):
        mine = [p for p in done if p.table == t.label]
        summary.add_row(t.label, str(len(mine)), str(sum(p.rows for p in mine)),
                        f"{sum(p.seconds for p in mine):.1f}", str(sum(1 for m in missing if m[0] == t.label)))
    c.console.print(summary)
    return 0 if done else 1
