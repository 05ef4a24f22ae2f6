"""Every sensor and schedule of the code location, built with the prod resources (NBA_LAKE_ENV=prod on the
emulators, the simulated league), evaluates one tick without error: a resource a sensor or schedule asks
for that prod does not provide (`KeyError: 'alerts'`) fails here, not on the daemon's every tick."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.conftest import lake_instance_for_test


@pytest.fixture
def prod_defs(prod_env):
    from nba_assets.definitions import build_definitions

    return build_definitions()


def test_prod_resources_cover_every_resource_a_sensor_or_schedule_asks_for(prod_defs):
    repo = prod_defs.get_repository_def()
    provided = set(repo.get_top_level_resources())
    wanted = {
        **{s.name: set(s.required_resource_keys) for s in repo.sensor_defs},
        **{s.name: set(s.required_resource_keys) for s in repo.schedule_defs},
    }
    missing = {name: sorted(keys - provided) for name, keys in wanted.items() if keys - provided}
    assert missing == {}
    assert "alerts" in provided  # alerts_sensor's sink


def test_every_prod_sensor_and_schedule_evaluates_one_tick(prod_defs):
    repo = prod_defs.get_repository_def()
    assert {s.name for s in repo.sensor_defs} >= {
        "alerts_sensor", "late_boxscore_sensor", "nba_automation", "warehouse_catch_up_sensor"}
    # What the code server builds for a tick (dagster/_grpc/impl.py): the repository's top-level resources.
    resources = repo.get_top_level_resources()
    evaluated = []
    with lake_instance_for_test() as instance:
        for sensor in repo.sensor_defs:
            if isinstance(sensor, dg.AutomationConditionSensorDefinition):
                continue  # evaluated by the daemon's asset daemon, not by a sensor body
            with dg.build_sensor_context(
                instance=instance, repository_def=repo, sensor_name=sensor.name, resources=resources
            ) as ctx:
                sensor.evaluate_tick(ctx)  # raises what the daemon's tick would record as an error
            evaluated.append(sensor.name)
        for schedule in repo.schedule_defs:
            with dg.build_schedule_context(
                instance=instance, repository_def=repo, scheduled_execution_time=_first_tick(schedule),
                resources=resources,
            ) as ctx:
                schedule.evaluate_tick(ctx)
            evaluated.append(schedule.name)
    assert "alerts_sensor" in evaluated and "game_day_schedule" in evaluated


def _first_tick(schedule: dg.ScheduleDefinition):
    """The schedule's first tick in the week of SIM_NOW (from Monday 00:00 in its time zone), for the
    plain `minute hour * * weekday` crons the project uses."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    minute, hour, dom, month, dow = schedule.cron_schedule.split()
    assert (dom, month) == ("*", "*"), f"{schedule.name}: cron {schedule.cron_schedule} not handled here"
    tz = ZoneInfo(schedule.execution_timezone or "UTC")
    t = dt.datetime(2025, 12, 8, tzinfo=tz)  # a Monday, the week of SIM_NOW
    for _ in range(7 * 24 * 60):
        if all(f == "*" or int(f) == v for f, v in ((minute, t.minute), (hour, t.hour), (dow, t.isoweekday() % 7))):
            return t
        t += dt.timedelta(minutes=1)
    raise AssertionError(f"{schedule.name}: no tick of {schedule.cron_schedule} in a week")
