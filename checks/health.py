"""Pipeline health: a stalled pipeline must be visible within hours, not days (lesson 5, docs/architecture.md).

`ops/pipeline_health` is an observable-only asset: the run-failure sensor records every failed run on
it (observations with job, run and error), and its check `game_day_run_recent` fails when no game-day
run has succeeded within HEALTH_WINDOW. An hourly schedule evaluates the check.
"""


import datetime as dt
from collections.abc import Iterable

import dagster as dg

from nba_assets import tables
from nba_assets.history import GAME_DAY_JOB, HEALTH_WINDOW
from resources.sources import SourcesResource

PIPELINE_HEALTH = tables.PIPELINE_HEALTH.key
GAME_DAY_RUN_RECENT = "game_day_run_recent"
# A raw table not written for this long is stale (the daily feeds; one missed morning is tolerated).
RAW_STALE_AFTER = dt.timedelta(hours=26)
GAME_DAY_SUCCESS = "game_day_success"  # observation metadata key on ops/pipeline_health

pipeline_health = dg.AssetSpec(
    PIPELINE_HEALTH,
    group_name=tables.PIPELINE_HEALTH.group,  # the key keeps "ops/": instances hold its observations under it
    description=(
        "Observable-only: one observation per failed run (job, run id, step, error) from the "
        "run-failure sensor; its check fails when no game-day run succeeded within 26 h."
    ),
    owners=["team:data-eng"],
    kinds={"dagster"},
)


def health_verdict(last_success: dt.datetime | None, now: dt.datetime, window: dt.timedelta = HEALTH_WINDOW):
    """Pure rule: (passed, description)."""
    if last_success is None:
        return False, f"no successful {GAME_DAY_JOB} run on record"
    age = now - last_success
    hours = age.total_seconds() / 3600
    if age > window:
        return False, f"last successful {GAME_DAY_JOB} run {hours:.1f} h ago (window {window})"
    return True, f"last successful {GAME_DAY_JOB} run {hours:.1f} h ago"


def last_game_day_success(instance: dg.DagsterInstance) -> dt.datetime | None:
    """When the latest successful game-day run was seen on the source clock (the alerts sensor records
    it on ops/pipeline_health with the heartbeat), else that run's end time (wall clock), else None.

    The source clock is the sim clock when simulated, so a stall can be replayed; live, both are real.
    """
    obs = instance.fetch_observations(dg.AssetRecordsFilter(asset_key=PIPELINE_HEALTH), limit=50).records
    for rec in obs:
        meta = rec.event_log_entry.asset_observation.metadata
        if GAME_DAY_SUCCESS in meta:
            return dt.datetime.fromisoformat(meta[GAME_DAY_SUCCESS].value["at"])
    recs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=GAME_DAY_JOB, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    if recs and recs[0].end_time:
        return dt.datetime.fromtimestamp(recs[0].end_time, dt.UTC)
    return None


def record_game_day_success(instance: dg.DagsterInstance, run_id: str, at: dt.datetime, pinged: bool) -> None:
    instance.report_runless_asset_event(
        dg.AssetObservation(
            asset_key=PIPELINE_HEALTH,
            metadata={GAME_DAY_SUCCESS: dg.MetadataValue.json(
                {"run_id": run_id, "at": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                 "heartbeat_sent": pinged}
            )},
        )
    )


def latest_writes(instance: dg.DagsterInstance, watched: Iterable[tables.Table]) -> dict[str, tuple[int, float]]:
    """table label -> (storage id, wall-clock epoch seconds) of its latest materialization (written ones only)."""
    out = {}
    for table in watched:
        recs = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=table.key), limit=1).records
        if recs:
            out[table.label] = (recs[0].storage_id, recs[0].timestamp)
    return out


def raw_writes(instance: dg.DagsterInstance, raw_tables: Iterable[tables.Table]) -> dict[str, float | None]:
    """table -> epoch seconds of its latest materialization (None: never)."""
    raw = list(raw_tables)
    got = latest_writes(instance, raw)
    return {tb.label: got[tb.label][1] if tb.label in got else None for tb in raw}


def health_report(
    last_success: dt.datetime | None,
    source_now: dt.datetime,
    writes: dict[str, float | None],
    wall_now: float,
) -> tuple[bool, str]:
    """Pure: (healthy, one line). Unhealthy when the last successful game-day run is older than
    HEALTH_WINDOW (or never happened) or any raw table's last write is older than RAW_STALE_AFTER."""
    problems = []
    ok, text = health_verdict(last_success, source_now)
    if not ok:
        problems.append(text)
    limit_h = RAW_STALE_AFTER.total_seconds() / 3600
    for table, ts in sorted(writes.items()):
        if ts is None:
            problems.append(f"{table} never written")
        elif (wall_now - ts) / 3600 > limit_h:
            problems.append(f"{table} last written {(wall_now - ts) / 3600:.1f} h ago (limit {limit_h:g} h)")
    if problems:
        return False, "UNHEALTHY: " + "; ".join(problems)
    return True, f"OK: {text}; {len(writes)} raw table(s) written within {limit_h:g} h"


@dg.asset_check(
    asset=PIPELINE_HEALTH,
    name=GAME_DAY_RUN_RECENT,
    description="Fails (ERROR) when no game-day run succeeded within 26 h: the pipeline is stalled.",
)
def game_day_run_recent(context: dg.AssetCheckExecutionContext, sources: SourcesResource) -> dg.AssetCheckResult:
    last = last_game_day_success(context.instance)
    passed, text = health_verdict(last, sources.now())
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=text,
        metadata={"last_success": str(last) if last else "never", "window_hours": HEALTH_WINDOW.total_seconds() / 3600},
    )
