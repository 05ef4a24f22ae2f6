"""`nba-lake health`: one line and an exit code for cron jobs and uptime checks (outside the daemon).

Exit 1 with `UNHEALTHY: <reasons>` when the last successful game-day run is older than 26 h on the
sources' clock (the sim clock when simulated) or never happened, or when a raw table's last write is
older than 26 h (wall clock) or never happened; exit 0 with `OK: ...` otherwise.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer

from nba_assets import tables
from nba_assets.cli.commands import common as c

if TYPE_CHECKING:
    import dagster as dg

    from resources.sources import SourcesResource


def health_line(instance: dg.DagsterInstance, sources: SourcesResource) -> tuple[bool, str]:
    """(healthy, one line): the last successful game-day run on the source clock, raw tables' last write."""
    from checks.health import health_report, last_game_day_success, raw_writes

    raw_tables = [tb for tb in tables.ALL if tb.layer == "raw"]
    return health_report(last_game_day_success(instance), sources.now(), raw_writes(instance, raw_tables), time.time())


@c.app.command()
def health() -> None:
    """One line, exit 1 when the last successful game-day run or a raw table's last write is too old."""
    from resources.env import sources_resource

    ok, line = health_line(c.instance(), sources_resource(c.cli_settings()))
    print(line)
    raise typer.Exit(0 if ok else 1)
