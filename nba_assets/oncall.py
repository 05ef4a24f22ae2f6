"""`nba-lake health`: one line and an exit code for cron jobs and uptime checks (outside the daemon)."""

from __future__ import annotations

import time

import dagster as dg

from checks.health import health_report, last_game_day_success, raw_writes
from resources.sources import SourcesResource


def health_line(instance: dg.DagsterInstance, defs: dg.Definitions, sources: SourcesResource) -> tuple[bool, str]:
    """(healthy, one line): the last successful game-day run on the source clock, raw tables' last write."""
    graph = defs.resolve_asset_graph()
    raw_keys = sorted((k for k in graph.get_all_asset_keys() if k.path[0] == "raw"), key=lambda k: k.path)
    return health_report(
        last_game_day_success(instance), sources.now(), raw_writes(instance, raw_keys), time.time()
    )
