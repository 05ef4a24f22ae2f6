"""Pipeline health: a stalled pipeline must be visible within hours, not days (lesson 5, docs/architecture.md).

`ops/pipeline_health` is an observable-only asset: the run-failure sensor records every failed run on
it (observations with job, run and error), and its check `game_day_run_recent` fails when no game-day
run has succeeded within HEALTH_WINDOW. An hourly schedule evaluates the check.
"""


import datetime as dt

import dagster as dg

from nba_assets import tables
from nba_assets.jobs import game_day_job

PIPELINE_HEALTH = tables.PIPELINE_HEALTH.key
GAME_DAY_RUN_RECENT = "game_day_run_recent"
GAME_DAY_JOB = game_day_job.name
# The game-day run fires daily at 08:00 ET; 26 h allows one late run before we call it stalled.
HEALTH_WINDOW = dt.timedelta(hours=26)

pipeline_health = dg.AssetSpec(
    PIPELINE_HEALTH,
    group_name="ops",
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


@dg.asset_check(
    asset=PIPELINE_HEALTH,
    name=GAME_DAY_RUN_RECENT,
    description="Fails (ERROR) when no game-day run succeeded within 26 h: the pipeline is stalled.",
)
def game_day_run_recent(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    records = context.instance.get_run_records(
        filters=dg.RunsFilter(job_name=GAME_DAY_JOB, statuses=[dg.DagsterRunStatus.SUCCESS]),
        limit=1,
    )
    last = None
    if records:
        end = records[0].end_time
        last = dt.datetime.fromtimestamp(end, dt.UTC) if end else None
    now = dt.datetime.now(dt.UTC)
    passed, text = health_verdict(last, now)
    return dg.AssetCheckResult(
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=text,
        metadata={"last_success": str(last) if last else "never", "window_hours": HEALTH_WINDOW.total_seconds() / 3600},
    )
