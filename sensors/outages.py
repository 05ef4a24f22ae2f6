"""Source outages: what the raw assets recorded, the alert, and the re-ingest once the source is back.

A raw asset whose source is down for a day writes the day from what is landed and records the day in
its materialization's `source_unavailable` (nba_assets/outage.py). From that record:

- the alerts sensor keeps one incident per source and day (`outage:<source>:<day>`), resolved when
  the day's latest materializations no longer record the source down (sensors/alerts.py);
- `source_recovery_sensor` asks each down source one cheap question per tick (not landed) and, once it
  answers, re-ingests every raw table of that source for the days it missed; automation reconciles
  what follows (games, summaries, features, grades). Box scores included: `late_boxscore_sensor`
  re-ingests only a day whose box scores differ from the lake's, and a day whose box scores were all
  landed before the outage does not, yet its latest materialization still records the source down.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterable

import dagster as dg

from checks.per_day import latest_metadata_by_day
from nba_assets import tables as t
from nba_assets.analytics import games as games_asset
from nba_assets.outage import is_outage
from nba_assets.raw import FEEDS
from resources.http import SourceError
from resources.sources import SourcesResource

SENSOR_NAME = "source_recovery_sensor"
# A day is watched as long as late box scores are (sensors/late_boxscores.py), today included.
LOOKBACK_DAYS = 7
INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_RECOVERY_SENSOR_INTERVAL_SECONDS", "300"))
SOURCE_OF: dict[t.Table, str] = {feed.table: feed.source for feed in FEEDS}
# Tables fed by several sources; each records which one was down (sources_down).
FEED_SOURCES: dict[t.Table, tuple[str, ...]] = {t.PROP_LINES: ("oddsapi", "sportsdataio")}
# analytics/games reads the day's box scores, which a slate day (today) has none of before tomorrow's
# results run: automation waits for missing inputs, so it would never re-derive today's games from a
# recovered schedule. The recovery run re-derives games itself whenever it re-ingests a table games reads.
GAMES_READS = frozenset(tb for tb in SOURCE_OF if tb.key in games_asset.dependency_keys)
# One request per source that says whether it answers; none is landed.
PROBES: dict[str, Callable[[SourcesResource, dt.date], object]] = {
    "bdl": lambda s, d: s.bdl().probe_box_scores(d),
    "nbacom": lambda s, d: s.nbacom().probe_leaguegamelog(d),
    "oddsapi": lambda s, d: s.odds().probe_events(d),
    "sportsdataio": lambda s, d: s.sportsdataio().probe_events(d),  # recorded down only when configured
}


def watched_days(today: dt.date, n: int = LOOKBACK_DAYS) -> list[str]:
    return [str(today - dt.timedelta(days=i)) for i in range(n, -1, -1)]


def recorded_outages(
    instance: dg.DagsterInstance, days: list[str], tables: Iterable[t.Table] = tuple(SOURCE_OF)
) -> dict[tuple[str, str], dict[t.Table, int]]:
    """{(source, day): {raw table: storage id}} for the days whose latest materialization of a raw
    table (that storage id) records its source down."""
    out: dict[tuple[str, str], dict[t.Table, int]] = {}
    for table in tables:
        for day, (storage_id, down) in latest_metadata_by_day(instance, table.key, days, "source_unavailable").items():
            if isinstance(down, dict) and day in down:
                for source in sources_down(table, str(down[day])):
                    out.setdefault((source, day), {})[table] = storage_id
    return out


def sources_down(table: t.Table, error: str) -> list[str]:
    """The sources a table's recorded error names down: a table fed by several (FEED_SOURCES) records
    "<source>: <error>" per source down (nba_assets/props_feed.py); any other table, its own source."""
    named = [s for s in FEED_SOURCES.get(table, ()) if error.startswith(f"{s}: ") or f"; {s}: " in error]
    return named or [SOURCE_OF[table]]


def answering(sources: SourcesResource, source: str, today: dt.date) -> bool:
    """The source answers now (an outage error says no; anything else is raised)."""
    try:
        PROBES[source](sources, today)
    except SourceError as exc:
        if not is_outage(exc):
            raise
        return False
    return True


def plan_recovery(
    outages: dict[tuple[str, str], dict[t.Table, int]], up: set[str]
) -> list[dg.RunRequest]:
    """Pure: one run per day with every raw table whose source is back, and analytics/games when one
    of them feeds it (GAMES_READS). The run key names the materializations that recorded the outage: a
    day whose re-ingest finds the source down again is recorded anew, hence asked for again."""
    by_day: dict[str, dict[t.Table, int]] = {}
    for (source, day), tables in outages.items():
        if source in up:
            by_day.setdefault(day, {}).update(tables)
    reqs = []
    for day, tables in sorted(by_day.items()):
        labels = sorted(tb.label for tb in tables)
        records = "-".join(str(tables[t.get(label)]) for label in labels)
        games = [t.GAMES.key] if GAMES_READS & set(tables) else []
        reqs.append(dg.RunRequest(
            run_key=f"recovered-{day}-{records}", partition_key=day,
            asset_selection=[*(t.get(label).key for label in labels), *games],
            tags={"nba/reason": f"source back: re-ingest {', '.join(labels)} of {day}"},
        ))  # fmt: skip
    return reqs


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=INTERVAL_SECONDS,
    target=[*(tb.key for tb in SOURCE_OF), t.GAMES.key],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 5 min: for the last 7 days and today, raw tables that recorded their source down "
        "(source_unavailable) are re-ingested once that source answers (with the day's games when a "
        "schedule or box score is among them); automation reconciles the rest."
    ),
)
def source_recovery_sensor(context: dg.SensorEvaluationContext, sources: SourcesResource):
    if not sources.fetching_enabled:
        return dg.SkipReason("NBA_LAKE_SOURCE=landing: nothing to probe")
    today = sources.today()
    outages = recorded_outages(context.instance, watched_days(today))
    if not outages:
        return dg.SkipReason("no source recorded down in the last 7 days")
    down_sources = sorted({source for source, _ in outages})
    up = {s for s in down_sources if answering(sources, s, today)}
    reqs = plan_recovery(outages, up)  # Dagster launches a run key once
    if not reqs:
        still = ", ".join(s for s in down_sources if s not in up) or "none"
        return dg.SkipReason(f"outages recorded for {', '.join(down_sources)}; still down: {still}")
    return reqs
