"""Run-wide metadata (nba_assets/common.py run_metadata): on the range's last day only in a single-run range,
on the day itself in a one-day run; each day keeps the metadata it sets for itself."""

import dagster as dg

from nba_assets.common import run_metadata

DAYS = dg.DailyPartitionsDefinition(start_date="2025-12-01")
RANGE = {"dagster/asset_partition_range_start": "2025-12-01", "dagster/asset_partition_range_end": "2025-12-03"}


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def feed(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for day in context.partition_keys:
        context.add_asset_metadata({"day_rows": int(day[-2:])}, partition_key=day)
    return dg.MaterializeResult(metadata=run_metadata(context, {"files_parsed": 7, "dates": "the run's"}))


def _metadata(**kwargs) -> dict[str, dict]:
    with dg.instance_for_test() as instance:
        result = dg.materialize([feed], instance=instance, **kwargs)
        assert result.success
        return {e.partition: dict(e.materialization.metadata) for e in result.get_asset_materialization_events()}


def test_a_range_puts_the_runs_figures_on_its_last_day_only_and_each_day_keeps_its_own():
    by_day = _metadata(tags=RANGE)
    assert sorted(by_day) == ["2025-12-01", "2025-12-02", "2025-12-03"]
    assert [by_day[d]["day_rows"].value for d in sorted(by_day)] == [1, 2, 3]
    assert by_day["2025-12-03"]["files_parsed"].value == 7 and by_day["2025-12-03"]["dates"].value == "the run's"
    assert all("files_parsed" not in by_day[d] and "dates" not in by_day[d] for d in ("2025-12-01", "2025-12-02"))


def test_a_one_day_run_keeps_its_figures_on_its_day():
    by_day = _metadata(partition_key="2025-12-02")
    assert by_day["2025-12-02"]["files_parsed"].value == 7 and by_day["2025-12-02"]["day_rows"].value == 2
