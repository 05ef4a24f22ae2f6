"""A failed run is recorded where an operator sees it: on ops/pipeline_health and in a JSONL log."""

from __future__ import annotations

import json

import dagster as dg

from checks.health import PIPELINE_HEALTH
from resources.lake import LakeResource
from sensors.health import record_run_failures


def test_a_failed_run_is_recorded_on_the_health_asset_and_in_the_ops_log(tmp_path, instance):
    @dg.asset
    def always_fails() -> None:
        raise RuntimeError("source outage: stats.nba.com answered 503 for 40 minutes")

    result = dg.materialize([always_fails], instance=instance, raise_on_error=False)
    assert not result.success
    event = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
    ctx = dg.build_run_status_sensor_context(
        sensor_name="record_run_failures",
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources={"lake": LakeResource(data_dir=str(tmp_path))},
    ).for_run_failure()
    record_run_failures(ctx)

    lines = (tmp_path / "ops" / "run_failures.jsonl").read_text().splitlines()
    rec = json.loads(lines[-1])
    assert rec["run_id"] == result.run_id and rec["job"] == result.job_def.name
    obs = instance.fetch_observations(dg.AssetRecordsFilter(asset_key=PIPELINE_HEALTH), limit=5).records
    assert obs, "no observation on ops/pipeline_health"
    meta = obs[0].event_log_entry.asset_observation.metadata["failed_run"].value
    assert meta["run_id"] == result.run_id
