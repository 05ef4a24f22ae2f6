"""late_boxscore_sensor against the simulated league: the sim clock releases data, the sensor reacts.

Seed-7 faults used: the boxscore of game 0022500368 (2025-12-10) is released 2025-12-12 23:58 UTC;
NBA.com corrects a line of 2025-12-14 at 2025-12-17 15:07 UTC (BDL keeps the original).
"""

from __future__ import annotations

import dagster as dg

from nba_assets import tables
from nba_assets.raw import bdl_boxscores, nbacom_boxscores
from resources.env import resources_for
from resources.settings import settings
from sensors.late_boxscores import late_boxscore_sensor
from tests.conftest import range_tags


def _ingest(start: str, end: str, instance) -> None:
    res = dg.materialize(
        [bdl_boxscores, nbacom_boxscores],
        resources=resources_for(settings()),
        instance=instance,
        tags=range_tags(start, end),
    )
    assert res.success


def _tick(cursor: str | None = None):
    res = resources_for(settings())
    with dg.build_sensor_context(
        cursor=cursor, resources={"sources": res["sources"], "lake": res["lake"]}
    ) as ctx:
        result = late_boxscore_sensor(ctx)
        return result, ctx.cursor


def test_released_late_boxscore_requests_exactly_its_day_then_nothing(sim_lake, instance, monkeypatch):
    # Lake built at noon ET 2025-12-12 for the sensor's 7-day lookback: the late game is missing.
    _ingest("2025-12-05", "2025-12-11", instance)
    unchanged, cursor = _tick()
    assert isinstance(unchanged, dg.SkipReason), unchanged

    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-12-13T01:00:00+00:00")  # after the release
    requests, cursor = _tick(cursor)
    assert [r.partition_key for r in requests] == ["2025-12-10"]
    assert {k.to_user_string() for k in requests[0].asset_selection} == {
        tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label
    }
    # Asked once: the next tick (run not finished yet) does not ask again.
    again, _ = _tick(cursor)
    assert isinstance(again, dg.SkipReason)


def test_stat_correction_requests_its_day(sim_lake, instance, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-12-17T12:00:00+00:00")  # before the correction
    _ingest("2025-12-10", "2025-12-16", instance)
    unchanged, cursor = _tick()
    assert isinstance(unchanged, dg.SkipReason), unchanged

    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-12-17T16:00:00+00:00")  # after it
    requests, _ = _tick(cursor)
    assert [r.partition_key for r in requests] == ["2025-12-14"]
    assert "nbacom" in requests[0].tags["nba/reason"]


def test_landing_mode_never_probes(sim_lake, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "landing")
    result, _ = _tick()
    assert isinstance(result, dg.SkipReason) and "landing" in result.skip_message
