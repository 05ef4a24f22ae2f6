"""One props feed down for the whole game day (sim outage): raw/prop_lines still lines every game of the
slate from the other feed and names the feed that was down. Real definitions' resources, the real sim
over httpx, a real lake. (The whole day through grades, alerted and reconciled when the feed is back:
tests/sensors/test_source_outage.py, one case per source.)"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from checks.availability import lines_per_game
from nba_assets.raw import prop_lines
from resources.env import resources_for
from resources.settings import settings
from resources.sim.control import add_outage
from tests.conftest import lake_instance_for_test

D = dt.date(2025, 12, 10)
DOWN = (dt.datetime(2025, 12, 10, 5, 0, tzinfo=dt.UTC), dt.datetime(2025, 12, 11, 5, 0, tzinfo=dt.UTC))
REFRESH = dt.datetime(2025, 12, 10, 23, 0, tzinfo=dt.UTC)  # 18:00 ET: before the slate's tip-offs
FEEDS = ("oddsapi", "sportsdataio")


def _run(instance):
    res = dg.materialize([prop_lines], resources=resources_for(settings()), instance=instance, partition_key=str(D))
    assert res.success
    [mat] = res.asset_materializations_for_node(prop_lines.op.name)
    return mat.metadata["source_unavailable"].value


@pytest.mark.parametrize("down", FEEDS)
def test_one_props_feed_down_all_day_leaves_the_slate_lined_by_the_other(down, sim_lake, monkeypatch):
    other = next(f for f in FEEDS if f != down)
    monkeypatch.setattr("nba_assets.raw.RESUME_BACKOFF_S", 0.0)  # a down feed: no point waiting in a test
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", REFRESH.isoformat())
    add_outage(sim_lake / "sim", down, *DOWN)
    with lake_instance_for_test() as instance:
        unavailable = _run(instance)
        assert list(unavailable) == [str(D)] and unavailable[str(D)].startswith(f"{down}:")
        lines = pl.read_parquet(sim_lake / "lake" / "raw" / "prop_lines" / f"{D}.parquet")
        assert set(lines["source"]) == {other}
        slate, unpriced = _slate()
        per_game = lines_per_game(slate, lines).filter(~pl.col("game_id").is_in(unpriced))
        assert per_game.height >= 5 and per_game["n_lines"].min() > 0, per_game  # every priced game lined
        assert per_game[f"n_{other}"].min() > 0 and per_game[f"n_{down}"].max() == 0



def _slate() -> tuple[pl.DataFrame, list[str]]:
    """The day's games as the simulated league schedules them, and those no book prices (a seeded fault)."""
    from resources.sim.faults import ZERO_PROP_GAME
    from resources.sources import sim_league

    league = sim_league(7)
    sched = league.schedule(2025).filter(pl.col("game_date") == D)
    faults = league.faults(2025)
    unpriced = faults.filter(pl.col("kind") == ZERO_PROP_GAME)["game_id"].to_list()
    return sched.select("game_id", "game_date", "home_team", "away_team"), unpriced
