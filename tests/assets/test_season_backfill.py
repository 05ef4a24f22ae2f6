"""A whole simulated season of analytics + features backfills in ONE single-run range, and produces one
feature row per slate player per game day, counted against the schedule.

Raw schedule and boxscores are ingested through the real clients first (prop lines and injuries are
left out to keep this at about two CPU-minutes: features then carry no line, which they allow).
"""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from nba_assets import tables
from nba_assets.definitions import build_definitions
from resources.lake import LakeReader
from resources.sim import SimConfig, SimLeague
from tests.conftest import range_tags

SEASON = 2024
FIRST, LAST = "2024-10-22", "2025-04-13"


def _keys(*paths):
    return [dg.AssetKey(p.split("/")) for p in paths]


@pytest.mark.slow
def test_a_season_of_analytics_and_features_backfills_in_one_run(sim_lake, instance, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-05-01T12:00:00+00:00")
    defs = build_definitions()
    job = defs.resolve_job_def("ingest_and_features")
    raw = job.execute_in_process(
        instance=instance, tags=range_tags(FIRST, LAST),
        asset_selection=_keys(tables.SCHEDULE.label, tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label),
    )
    assert raw.success
    derived = job.execute_in_process(
        instance=instance, tags=range_tags(FIRST, LAST),
        asset_selection=_keys(
            tables.GAMES.label, tables.PLAYER_GAME_SUMMARY.label, tables.TEAM_GAME_SUMMARY.label,
            tables.PLAYER_FEATURES.label,
        ),
    )
    assert derived.success
    # one run per job, each asset one step over the whole range
    steps = {e.step_key for e in derived.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert {"analytics__games", "analytics__player_game_summary", "features__player_features"} <= steps

    reader = LakeReader(str(sim_lake))
    schedule = SimLeague(SimConfig()).schedule(SEASON)
    games = reader.query("select game_date, count(*) as n from analytics.games group by 1")
    assert games["n"].sum() == schedule.height == 1230

    feats = reader.query("select game_date, team, player_lookup from features.player_features")
    assert feats.select("game_date", "player_lookup").is_duplicated().sum() == 0
    # Every team playing on a date has its slate, except in its first game of the season (no roster
    # is known before it: the documented 30-day roster rule).
    sides = pl.concat(
        [schedule.select("game_date", pl.col("home_team").alias("team")),
         schedule.select("game_date", pl.col("away_team").alias("team"))]
    ).sort("game_date")
    first_game = sides.group_by("team").agg(pl.col("game_date").min().alias("first"))
    expected = sides.join(first_game, on="team").filter(pl.col("game_date") > pl.col("first"))
    got = feats.select("game_date", "team").unique()
    assert got.join(expected, on=["game_date", "team"], how="anti").height == 0  # no team off the slate
    assert expected.join(got, on=["game_date", "team"], how="anti").height == 0  # no slate team missing
    per_team = feats.group_by("game_date", "team").len()
    assert per_team["len"].min() >= 8 and per_team["len"].max() <= 18  # a roster, not a league
    assert feats.height > 30_000
    dates_with_games = set(schedule["game_date"].unique().to_list())
    assert set(feats["game_date"].unique().to_list()) <= dates_with_games
