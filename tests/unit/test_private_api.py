"""The private-API shim (nba_assets/dagster_internals/private_api.py) against a real ephemeral instance: if a Dagster
upgrade moves or changes those APIs, this fails here rather than inside `nba-lake status`."""

# No `from __future__ import annotations`: Dagster compares the `context` annotation by identity.
import dagster as dg

from nba_assets.dagster_internals import private_api as private
from tests.conftest import lake_instance_for_test

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=0, fmt="%Y-%m-%d")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def thing(context: dg.AssetExecutionContext) -> None:
    return None


@dg.asset_check(asset=thing, partitions_def=DAYS)
def thing_ok(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    # Fails on 2025-01-02 only when it is evaluated alone (per-partition run).
    keys = list(context.partition_keys)
    return dg.AssetCheckResult(passed=keys != ["2025-01-02"], metadata={"evaluated_dates": ", ".join(keys)})


def _run(instance, job, **kwargs):
    return job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)


def test_check_records_per_partition_and_for_range_runs():
    defs = dg.Definitions(assets=[thing], asset_checks=[thing_ok], jobs=[dg.define_asset_job("j", [thing])])
    job = defs.resolve_job_def("j")
    key = thing_ok.check_key
    with lake_instance_for_test() as instance:
        assert private.recorded_check_keys(instance) == []
        assert _run(instance, job, partition_key="2025-01-01").success
        _run(instance, job, partition_key="2025-01-02")
        latest = private.latest_check_records(instance, [key], "2025-01-01")
        assert latest[key].status == private.SUCCEEDED
        assert private.latest_check_records(instance, [key], "2025-01-02")[key].status == private.FAILED
        assert private.latest_check_records(instance, [key], "2025-01-03") == {}

        tags = {"dagster/asset_partition_range_start": "2025-01-03", "dagster/asset_partition_range_end": "2025-01-04"}
        assert _run(instance, job, tags=tags).success
        history = private.check_history(instance, key)
        assert private.recorded_check_keys(instance) == [key]
        assert len(history) >= 3  # two per-day results and the range's, newest first
        assert history[0].create_timestamp >= history[-1].create_timestamp


def test_sensor_has_ticked_is_false_without_a_daemon():
    with lake_instance_for_test() as instance:
        assert private.sensor_has_ticked(instance, "late_boxscore_sensor") is False


def test_the_backfill_tag_is_dagsters():
    """Runs are tied to a CLI backfill by the tag the Backfills page and the BackfillDaemon read."""
    from dagster._core.storage.tags import BACKFILL_ID_TAG

    assert private.BACKFILL_ID_TAG == BACKFILL_ID_TAG
