"""`late_boxscore_sensor`: finds boxscores that arrived late or changed, and re-ingests their days.

Every few minutes it probes both sources for the last LOOKBACK_DAYS (one cheap request per source and
day, not landed), fingerprints what they have (sensors/manifest.py), fingerprints what the lake's raw
tables hold the same way, and requests the raw partitions whose fingerprints differ. Automation does
the rest (summary D, features D+1.., grades D). Nothing changed → nothing requested.
"""


import datetime as dt
import json
import os

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.outage import is_outage
from resources import parsers
from resources.http import SourceError
from resources.lake import LakeReader, LakeResource
from resources.sources import SourcesResource
from sensors.manifest import ManifestKey, boxscore_manifest, changed_days

LOOKBACK_DAYS = 7  # late boxscores and stat corrections arrive within days, not weeks
# Every 5 minutes by default: a handful of cheap requests per tick. The late-boxscore scenario sets it
# lower so a demonstration does not wait on the timer.
INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS", "300"))
# Only the boxscore tables: the schedule is refreshed by the morning run, and rewriting it here would
# re-run D's features (their slate) for nothing.
RAW_BOXSCORES = [t.BDL_BOXSCORES.key, t.NBACOM_BOXSCORES.key]
TABLE_OF = {"bdl": t.BDL_BOXSCORES.view, "nbacom": t.NBACOM_BOXSCORES.view}


def probe_sources(
    sources: SourcesResource, days: list[dt.date], down: set[str] | None = None
) -> dict[ManifestKey, str]:
    """What each source has now for `days`, fingerprinted (not landed: this is only a look).

    A source that is down (nba_assets/outage.py) is skipped and added to `down`: its days are probed
    again on the next tick, and the first tick after it is back requests what it missed.
    """
    probes = {
        "bdl": (sources.bdl().probe_box_scores, parsers.parse_bdl_box_scores),
        "nbacom": (sources.nbacom().probe_leaguegamelog, parsers.parse_nbacom_leaguegamelog),
    }
    manifest: dict[ManifestKey, str] = {}
    for name, (probe, parse) in probes.items():
        try:
            for d in days:
                rows = parse(probe(d), "probe").rows
                manifest |= boxscore_manifest(rows.filter(pl.col("game_date") == d), name)
        except SourceError as exc:
            if not is_outage(exc):
                raise
            manifest = {k: v for k, v in manifest.items() if k[1] != name}
            if down is not None:
                down.add(name)
    return manifest


def lake_manifest(reader: LakeReader, days: list[dt.date]) -> dict[ManifestKey, str]:
    """The same fingerprint over what the lake's raw tables hold."""
    held = set(reader.tables())
    out: dict[ManifestKey, str] = {}
    lo, hi = min(days), max(days)
    for source, table in TABLE_OF.items():
        if table not in held:
            continue
        rows = reader.query(
            f"select * from {table} where game_date between DATE '{lo}' and DATE '{hi}'"
        )
        out |= boxscore_manifest(rows, source)
    return out


def plan_requests(
    probe: dict[ManifestKey, str], lake: dict[ManifestKey, str], cursor: dict[str, str]
) -> tuple[list[dg.RunRequest], dict[str, str]]:
    """Pure: one run request per changed day (both sources' boxscore tables), and the new cursor."""
    changed = changed_days(probe, lake, cursor)
    by_day: dict[str, list[str]] = {}
    for (day, source), digest in sorted(changed.items()):
        by_day.setdefault(day, []).append(f"{source}:{digest}")
    new_cursor = dict(cursor)
    for (day, source), digest in changed.items():
        new_cursor[f"{day}|{source}"] = digest
    # Forget days that left the lookback so the cursor stays small.
    keep = {d for d, _ in probe}
    new_cursor = {k: v for k, v in new_cursor.items() if k.split("|")[0] in keep}
    reqs = [
        dg.RunRequest(
            run_key=f"late-boxscore-{day}-{'-'.join(parts)}",
            partition_key=day,
            asset_selection=RAW_BOXSCORES,
            tags={"nba/reason": "late or corrected boxscore: " + ", ".join(parts)},
        )
        for day, parts in by_day.items()
    ]
    return reqs, new_cursor


def lookback_days(today: dt.date, n: int = LOOKBACK_DAYS) -> list[dt.date]:
    return [today - dt.timedelta(days=i) for i in range(n, 0, -1)]


@dg.sensor(
    name="late_boxscore_sensor",
    minimum_interval_seconds=INTERVAL_SECONDS,
    target=RAW_BOXSCORES,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 5 min: probes both boxscore sources for the last 7 days and re-ingests days whose "
        "boxscores are new or changed vs the lake (late boxscores, stat corrections)."
    ),
)
def late_boxscore_sensor(
    context: dg.SensorEvaluationContext, sources: SourcesResource, lake: LakeResource
):
    if not sources.fetching_enabled:
        return dg.SkipReason("NBA_LAKE_SOURCE=landing: nothing to probe")
    today = sources.today()
    days = lookback_days(today)
    down: set[str] = set()
    probe = probe_sources(sources, days, down)
    held = lake_manifest(lake.reader(), days)
    cursor = json.loads(context.cursor) if context.cursor else {}
    reqs, new_cursor = plan_requests(probe, held, cursor)
    context.update_cursor(json.dumps(new_cursor, sort_keys=True))
    if down:
        context.log.warning(f"source(s) down, not probed: {', '.join(sorted(down))}")
    if not reqs:
        skipped = f" ({', '.join(sorted(down))} down, not probed)" if down else ""
        return dg.SkipReason(f"boxscores of {days[0]}..{days[-1]} unchanged{skipped}")
    return reqs
