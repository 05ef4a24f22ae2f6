"""Run failures where an operator sees them, and the hourly health evaluation."""


import datetime as dt
import json
from pathlib import Path

import dagster as dg

from checks.health import PIPELINE_HEALTH, game_day_run_recent
from nba_assets.partitions import TIMEZONE
from resources.lake import LakeResource

health_job = dg.define_asset_job(
    "pipeline_health_check",
    selection=dg.AssetSelection.checks(game_day_run_recent),
    description="Evaluate ops/pipeline_health:game_day_run_recent.",
)


@dg.schedule(
    cron_schedule="15 * * * *",
    execution_timezone=TIMEZONE,
    job=health_job,
    name="hourly_health_schedule",
    description="Hourly: fail the health check when no game-day run succeeded within 26 h.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def hourly_health_schedule(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"health-{context.scheduled_execution_time:%Y%m%dT%H}")


def failure_record(job: str, run_id: str, message: str, when: dt.datetime) -> dict[str, str]:
    """What we keep about a failed run: enough to act on, never a secret (messages are redacted upstream)."""
    return {"at": when.isoformat(), "job": job, "run_id": run_id, "error": message[:2000]}


@dg.run_failure_sensor(
    name="record_run_failures",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records every failed run on ops/pipeline_health and in <data_dir>/ops/run_failures.jsonl.",
)
def record_run_failures(context: dg.RunFailureSensorContext, lake: LakeResource):
    run = context.dagster_run
    msg = context.failure_event.message or "run failed"
    rec = failure_record(run.job_name, run.run_id, msg, dt.datetime.now(dt.UTC))
    context.instance.report_runless_asset_event(
        dg.AssetObservation(asset_key=PIPELINE_HEALTH, metadata={"failed_run": dg.MetadataValue.json(rec)})
    )
    if not lake.data_dir.startswith("gs://"):
        path = Path(lake.data_dir) / "ops" / "run_failures.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
