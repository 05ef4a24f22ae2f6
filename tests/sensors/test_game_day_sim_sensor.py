"""The game-day run follows the sources' clock: on the simulated league `game_day_sim_sensor` launches the
08:00 ET run of the sim day (the wall-clock schedule skips); live, the sensor skips."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from resources.lake import LakeResource
from resources.sim import SimClock
from resources.sources import SourcesResource
from sensors.schedules import MAX_CATCHUP_MORNINGS, game_day_schedule, game_day_sim_sensor, mornings_due

D = dt.date(2025, 12, 11)


def et(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour + 5, minute, tzinfo=dt.UTC)  # December: ET = UTC-5


def test_first_evaluation_launches_nothing_and_starts_from_the_next_morning():
    assert mornings_due(et(D, 7, 58), None) == ([], D - dt.timedelta(days=1))
    assert mornings_due(et(D, 8, 0), D - dt.timedelta(days=1)) == ([D], D)


def test_a_morning_is_launched_once():
    assert mornings_due(et(D, 9), D) == ([], D)
    assert mornings_due(et(D + dt.timedelta(days=1), 7, 59), D) == ([], D)


def test_a_clock_moved_days_ahead_catches_up_a_bounded_number_of_mornings_oldest_first():
    days, cursor = mornings_due(et(D + dt.timedelta(days=2), 8), D)
    assert days == [D + dt.timedelta(days=1), D + dt.timedelta(days=2)] and cursor == days[-1]
    far = D + dt.timedelta(days=30)
    days, cursor = mornings_due(et(far, 8), D)
    assert len(days) == MAX_CATCHUP_MORNINGS and days[-1] == far == cursor


def test_a_clock_moved_back_launches_nothing_and_keeps_the_cursor():
    assert mornings_due(et(D - dt.timedelta(days=3), 9), D) == ([], D)


def _resources(tmp_path, mode: str) -> dict:
    SimClock(tmp_path / "sim").set(et(D, 8, 1))
    return {
        "sources": SourcesResource(mode=mode, data_dir=str(tmp_path), sim_state_dir=str(tmp_path / "sim")),
        "lake": LakeResource(data_dir=str(tmp_path)),  # empty: an unknown schedule counts as a game day
    }


def _tick(tmp_path, mode: str, cursor: str | None):
    with dg.build_sensor_context(cursor=cursor, resources=_resources(tmp_path, mode)) as ctx:
        return game_day_sim_sensor(ctx), ctx.cursor


def test_sim_sensor_requests_yesterdays_results_and_todays_slate_once_the_sim_clock_passes_8_et(tmp_path):
    result, cursor = _tick(tmp_path, "sim", str(D - dt.timedelta(days=1)))
    assert {r.partition_key for r in result} == {str(D - dt.timedelta(days=1)), str(D)}
    assert cursor == str(D)
    again, _ = _tick(tmp_path, "sim", cursor)
    assert isinstance(again, dg.SkipReason)


@pytest.mark.parametrize("mode", ["live", "landing"])
def test_sim_sensor_skips_when_the_sources_are_not_simulated(tmp_path, mode):
    result, cursor = _tick(tmp_path, mode, str(D - dt.timedelta(days=1)))
    assert isinstance(result, dg.SkipReason) and "game_day_schedule" in result.skip_message
    assert cursor == str(D - dt.timedelta(days=1))


def test_wall_clock_schedule_skips_on_the_simulated_league(tmp_path):
    with dg.build_schedule_context(scheduled_execution_time=et(D, 8), resources=_resources(tmp_path, "sim")) as ctx:
        result = game_day_schedule(ctx)
    assert isinstance(result, dg.SkipReason) and "game_day_sim_sensor" in result.skip_message
