"""Declarative automation on the REAL definitions: what a late boxscore re-runs, and what it must not.

Materializations and passing blocking-check results are reported runless (no data needed: conditions
look only at the event log), for every daily partition from the first partition to the evaluation
day; then one raw partition is re-materialized by a real run (with or without its check passing)
and the sensor's next tick is inspected.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from checks.per_day import latest_materializations
from nba_assets import tables
from nba_assets.definitions import defs
from nba_assets.partitions import FIRST_GAME_DATE, game_dates
from tests.conftest import lake_instance_for_test

EVAL_T = dt.datetime(2024, 1, 15, 17, 0, tzinfo=dt.UTC)  # noon ET: latest partition is 2024-01-15
TODAY = dt.date(2024, 1, 15)
BOX = tables.BDL_BOXSCORES.key
NBACOM = tables.NBACOM_BOXSCORES.key


def _days(start: dt.date, end: dt.date) -> list[str]:
    return [str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]


@pytest.fixture(scope="module")
def populated():
    """An instance where every daily asset has every partition up to TODAY, each day's blocking checks
    passed (as every run now records per day), and the first tick ran."""
    graph = defs.resolve_asset_graph()
    blocking = [k for k in graph.asset_check_keys if graph.get(k).blocking]
    assert len(blocking) == 11  # no_duplicate_keys on the 8 raw and 3 analytics tables
    with lake_instance_for_test() as inst:
        days = _days(dt.date.fromisoformat(FIRST_GAME_DATE), TODAY)
        for spec in defs.resolve_all_asset_specs():
            if spec.partitions_def is None or spec.key.path[-1] == "points_model":
                continue
            for d in days:
                inst.report_runless_asset_event(dg.AssetMaterialization(asset_key=spec.key, partition=d))
        # Check results for the days automation may re-run (the 14-day lookback and a margin); a
        # result counts only when it targets the day's latest materialization.
        recent = days[-21:]
        for ck in blocking:
            targets = latest_materializations(inst, ck.asset_key, recent)
            for d in recent:
                inst.report_runless_asset_event(dg.AssetCheckEvaluation(
                    asset_key=ck.asset_key, check_name=ck.name, passed=True, partition=d,
                    target_materialization_data=targets[d],
                ))  # fmt: skip
        for week in ("2023-12-25", "2024-01-01", "2024-01-08", "2024-01-15"):
            inst.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=tables.POINTS_MODEL.key, partition=week)
            )
        first = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T)
        assert first.total_requested == 0, "a fully materialized lake must not trigger anything"
        yield inst, first.cursor


def _tick_after(inst, cursor, *events):
    """Absorb whatever earlier tests reported, then report `events` and evaluate one more tick."""
    absorbed = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=cursor)
    for ev in events:
        inst.report_runless_asset_event(ev)
    return dg.evaluate_automation_conditions(
        defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=absorbed.cursor
    )


def _requested(result) -> dict[str, set[str]]:
    out = {}
    for spec in defs.resolve_all_asset_specs():
        parts = result.get_requested_partitions(spec.key)
        if parts:
            out[spec.key.to_user_string()] = set(parts)
    return out


def test_a_late_boxscore_reruns_summary_features_grades_and_only_todays_predictions(populated):
    inst, cursor = populated
    d = dt.date(2024, 1, 8)
    absorbed = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=cursor)
    _rerun_raw_day(inst, d, check_passes=True)
    r = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=absorbed.cursor)
    got = _requested(r)
    following = set(_days(d + dt.timedelta(days=1), TODAY))
    assert got == {
        tables.GAMES.label: {str(d)},
        tables.PLAYER_GAME_SUMMARY.label: {str(d)},
        tables.TEAM_GAME_SUMMARY.label: {str(d)},
        # every feature day whose 190-day window holds D, up to today; not D itself (reads < D only)
        tables.PLAYER_FEATURES.label: following,
        # a prediction is made before its game: only today's is re-made
        tables.RECOMMENDATION_HISTORY.label: {str(TODAY)},
        tables.PLAYER_PROP_PREDICTIONS.label: {str(TODAY)},
        tables.PREDICTION_GRADES.label: {str(d)},
        tables.SYSTEM_DAILY_PERFORMANCE.label: {str(d)},
        # the exports follow: D's slate (its games changed) and results, then every day whose champion is
        # decided again (results: not today's, whose games are not final), the players of D and today
        tables.EXPORT_TONIGHT.label: {str(d)} | following,
        tables.EXPORT_RESULTS.label: {str(d)} | following - {str(TODAY)},
        tables.EXPORT_PLAYERS.label: {str(d), str(TODAY)},
        tables.EXPORT_BEST_BETS.label: following,
        tables.EXPORT_LEADERBOARD.label: following,
        # every champion day whose 30-day window holds D, up to today; not D itself (grades < D only)
        tables.CHAMPION.label: following,
    }


def test_a_slate_refresh_rewrites_the_days_exports(populated):
    """A refresh re-makes today's predictions (sensors/slate_refresh.py); the page's documents follow."""
    inst, cursor = populated
    refreshed = [dg.AssetMaterialization(asset_key=k, partition=str(TODAY))
                 for k in (tables.RECOMMENDATION_HISTORY.key, tables.PLAYER_PROP_PREDICTIONS.key)]  # fmt: skip
    # Two ticks first: a partition requested by the tick before the refresh counts the refresh as handled
    # (Dagster assumes that requested run reads it), and earlier tests leave such requests behind.
    settled = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=cursor)
    got = _requested(_tick_after(inst, settled.cursor, *refreshed))
    today = {str(TODAY)}
    assert got == {tables.EXPORT_TONIGHT.label: today, tables.EXPORT_BEST_BETS.label: today,
                   tables.EXPORT_LEADERBOARD.label: today, tables.EXPORT_PLAYERS.label: today}  # fmt: skip


def test_nothing_outside_the_lookback_is_rerun(populated):
    inst, cursor = populated
    old = dt.date(2023, 12, 1)  # 45 days before TODAY; lookback is 14
    r = _tick_after(inst, cursor, dg.AssetMaterialization(asset_key=BOX, partition=str(old)), )
    assert _requested(r) == {}


def _rerun_raw_day(inst, day: dt.date, check_passes: bool | None) -> None:
    """A real run that rewrites raw/bdl_boxscores for `day` and evaluates its blocking duplicate
    check: passing, failing (as a run that ingested duplicated rows would), or not at all (None: a
    re-ingest whose check step never ran)."""

    @dg.asset(key=BOX.path, partitions_def=game_dates)
    def stand_in() -> None:
        return None

    @dg.asset_check(asset=stand_in, name="no_duplicate_keys", blocking=True, partitions_def=game_dates)
    def duplicates() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=bool(check_passes), severity=dg.AssetCheckSeverity.ERROR)

    res = dg.materialize(
        [stand_in] if check_passes is None else [stand_in, duplicates], partition_key=str(day), instance=inst,
        resources={"io_manager": dg.mem_io_manager}, raise_on_error=False,
    )
    assert res.success is (check_passes is not False)  # a failed blocking check fails the run (after the write)


def test_a_failed_blocking_check_stops_propagation(populated):
    inst, cursor = populated
    d = dt.date(2024, 1, 10)
    absorbed = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=cursor)
    _rerun_raw_day(inst, d, check_passes=False)
    r = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=absorbed.cursor)
    assert _requested(r) == {}


def test_late_data_whose_blocking_check_never_ran_waits_until_it_passes(populated):
    """Why `all_deps_blocking_checks_passed` (see nba_assets/automation.py): a re-ingested day
    without a check result is not propagated; once its check passes on the new data, it is."""
    inst, cursor = populated
    d = dt.date(2024, 1, 12)
    absorbed = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=cursor)
    _rerun_raw_day(inst, d, check_passes=None)
    held = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=absorbed.cursor)
    assert _requested(held) == {}
    _rerun_raw_day(inst, d, check_passes=True)
    r = dg.evaluate_automation_conditions(defs=defs, instance=inst, evaluation_time=EVAL_T, cursor=held.cursor)
    assert _requested(r)["analytics/player_game_summary"] == {str(d)}
