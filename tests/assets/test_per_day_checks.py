"""A single-run range backfill records one check result per day, each with that day's own metadata.

A week (2025-12-04..10, seed-7 sim at conftest.SIM_NOW) holds one fault day: 2025-12-10 has a late
boxscore (not released at SIM_NOW) and a game with no prop lines. After one range run of raw and
analytics, the instance holds, for EVERY check of those layers and every day of the week, a
SUCCEEDED or FAILED record (none left planned, which the UI shows as "Skipped"), and FAILED only on
the fault day, only for the checks that fault trips.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.event_api import PartitionKeyFilter

from nba_assets.definitions import build_definitions
from tests.assets.test_fault_checks import RAW_AND_ANALYTICS
from tests.conftest import SIM_NOW, lake_instance_for_test, range_tags

WEEK = [f"2025-12-{d:02d}" for d in range(4, 11)]
FAULT_DAY = "2025-12-10"
TRIPPED = {
    ("analytics/games", "final_games_have_boxscores"),
    ("analytics/games", "final_games_in_every_source"),
    ("raw/prop_lines", "prop_availability"),
}


@pytest.fixture(scope="module")
def week_run(tmp_path_factory):
    """One range run shared by the tests of this module (it takes ~15 s)."""
    with pytest.MonkeyPatch.context() as mp, lake_instance_for_test() as instance:
        mp.setenv("NBA_LAKE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        mp.setenv("NBA_LAKE_SOURCE", "sim")
        mp.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
        defs = build_definitions()
        res = defs.resolve_job_def("ingest_and_features").execute_in_process(
            asset_selection=RAW_AND_ANALYTICS, instance=instance, tags=range_tags(WEEK[0], WEEK[-1]),
            raise_on_error=False,
        )  # fmt: skip
        assert res.success  # the failures are non-blocking
        keys = [ck for ck in defs.resolve_asset_graph().asset_check_keys if ck.asset_key in RAW_AND_ANALYTICS]
        yield instance, res, keys


def _latest(instance, ck, day):
    recs = instance.event_log_storage.get_asset_check_execution_history(
        ck, limit=1, partition_filter=PartitionKeyFilter(key=day)
    )
    return recs[0] if recs else None


def test_every_check_has_a_verdict_per_day_failed_only_on_the_fault_day(week_run):
    instance, res, keys = week_run
    assert len(keys) >= 25
    statuses = {}
    for ck in keys:
        for day in WEEK:
            rec = _latest(instance, ck, day)
            assert rec is not None, (ck, day)
            statuses[(ck.asset_key.to_user_string(), ck.name, day)] = rec.status.value
    failed = {k for k, s in statuses.items() if s == "FAILED"}
    assert failed == {(*c, FAULT_DAY) for c in TRIPPED}
    assert {s for k, s in statuses.items() if k not in failed} == {"SUCCEEDED"}  # nothing planned/skipped
    # each step's own record (no partition: the UI's check list shows it) is its latest day's result
    ranged = {(e.asset_key.to_user_string(), e.check_name): e for e in res.get_asset_check_evaluations()
              if e.partition is None}  # fmt: skip
    assert set(ranged) == {(ck.asset_key.to_user_string(), ck.name) for ck in keys}
    for (table, name), ev in ranged.items():
        day = _latest(instance, dg.AssetCheckKey(dg.AssetKey(table.split("/")), name), WEEK[-1])
        assert ev.passed == (day.status.value == "SUCCEEDED"), (table, name)
        assert ev.metadata["range"].value == f"{WEEK[0]}..{WEEK[-1]} (7 days)"
        assert ev.description.startswith(f"{WEEK[-1]}: ")
    assert not ranged[("raw/prop_lines", "prop_availability")].passed


def test_each_day_carries_its_own_metadata(week_run):
    instance, _, _ = week_run
    ck = dg.AssetCheckKey(dg.AssetKey(["analytics", "games"]), "final_games_have_boxscores")
    bad = _latest(instance, ck, FAULT_DAY).event.dagster_event.event_specific_data
    assert bad.partition == FAULT_DAY and not bad.passed
    assert bad.metadata["evaluated_dates"].value == FAULT_DAY
    assert bad.metadata["failing_dates"].value == FAULT_DAY
    assert "0022500368" in bad.metadata["offending_sample"].value
    assert bad.target_materialization_data is not None  # tied to that day's materialization
    good = _latest(instance, ck, "2025-12-09").event.dagster_event.event_specific_data
    assert good.passed and good.metadata["evaluated_dates"].value == "2025-12-09"
    assert good.metadata["n_offending"].value == 0 and "offending_sample" not in good.metadata


def test_each_day_targets_its_latest_materialization_across_runs():
    """latest_materializations: the newest record per day, also after a later run re-materializes
    some days (its answers are remembered per storage; a new record is read, an old one reused)."""
    from checks.per_day import latest_materializations

    days = ["2025-12-01", "2025-12-02", "2025-12-03"]

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(days))
    def tbl() -> None:
        return None

    with lake_instance_for_test() as instance:
        first = {d: dg.materialize([tbl], instance=instance, partition_key=d).run_id for d in days}
        before = latest_materializations(instance, tbl.key, days)
        assert {d: t.run_id for d, t in before.items()} == first
        again = dg.materialize([tbl], instance=instance, partition_key=days[1]).run_id
        after = latest_materializations(instance, tbl.key, days)
        assert {d: t.run_id for d, t in after.items()} == {**first, days[1]: again}
        assert after[days[0]] == before[days[0]] and after[days[1]] != before[days[1]]
        for day in days:  # the same ids and times Dagster's own record query gives
            rec = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=tbl.key, asset_partitions=[day]), limit=1
            ).records[0]
            assert (after[day].storage_id, after[day].timestamp) == (rec.storage_id, rec.timestamp)
        assert latest_materializations(instance, tbl.key, ["2025-12-09"]) == {}  # never materialized


def _day(passed: bool, n: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=passed, description=f"{n} bad", metadata={"n_offending": n})


def test_a_range_steps_record_is_its_latest_day_and_an_earlier_blocking_failure_fails_the_step():
    from checks.per_day import range_step_result

    per_day = {"2025-12-04": _day(True, 0), "2025-12-05": _day(False, 3), "2025-12-06": _day(True, 0)}
    # non-blocking: the latest day's verdict, the range's failing days named beside it
    (only,) = list(range_step_result("c", per_day, blocking=False))
    assert only.passed and only.check_name == "c" and only.metadata["n_offending"].value == 0
    assert only.metadata["range_failing_dates"].value == "2025-12-05"
    assert only.description == "2025-12-06: 0 bad (range: 1 of 3 days failed, each in its own record)"
    # blocking: the latest day's record first, then the step fails naming the earlier day
    results = range_step_result("c", per_day, blocking=True)
    assert next(results).passed
    with pytest.raises(dg.Failure, match="failed on 1 day\\(s\\) of the range: 2025-12-05"):
        next(results)
    # the latest day failing: Dagster's own blocking failure acts on the recorded result
    per_day["2025-12-06"] = _day(False, 1)
    assert [r.passed for r in range_step_result("c", per_day, blocking=True)] == [False]
