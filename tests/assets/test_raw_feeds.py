"""raw/game_lines and raw/injury_report through Dagster on the simulated league: what the sim serves
lands, parses and stays put; a re-run asks for nothing already landed."""

from __future__ import annotations

import json

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.raw import schedule
from nba_assets.raw_feeds import game_lines, injury_report
from resources.env import resources_for
from resources.names import player_lookup_expr
from resources.settings import settings
from resources.sim import SimConfig, SimLeague
from tests.conftest import file_hashes

DAY = "2025-12-08"


def _run(instance):
    return dg.materialize([game_lines], resources=resources_for(settings()), instance=instance, partition_key=DAY)


def test_the_day_lands_the_sims_pre_tip_lines_once_and_a_rerun_fetches_nothing(sim_lake, instance):
    assert _run(instance).success
    folder = sim_lake / "lake" / t.GAME_LINES.layer / t.GAME_LINES.name
    first = file_hashes(folder)
    got = pl.read_parquet(folder / f"{DAY}.parquet")
    t.GAME_LINES.contract.validate(got)
    truth = SimLeague(SimConfig()).game_lines(2025).filter(pl.col("game_date") == pl.date(2025, 12, 8))
    assert got["event_id"].n_unique() == truth["game_id"].n_unique()
    assert (got["minutes_before_tip"] > 0).all()
    # The closing line per book is the sim's last snapshot before tip-off.
    close = got.sort("snapshot_ts").group_by("event_id", "bookmaker").last()
    want = truth.sort("snapshot_ts").group_by("event_id", "bookmaker").last()
    joined = close.join(want, on=["event_id", "bookmaker"], suffix="_sim")
    assert joined.height == want.height
    assert (joined["total"] == joined["total_sim"]).all() and (joined["home_spread"] == joined["home_spread_sim"]).all()
    landing = sim_lake / "landing" / "oddsapi" / "game_lines" / DAY
    manifest = (landing / "_manifest.jsonl").read_text().splitlines()
    assert _run(instance).success
    assert (landing / "_manifest.jsonl").read_text().splitlines() == manifest  # nothing asked twice
    assert file_hashes(folder) == first


def test_the_days_official_releases_land_once_each_and_parse_to_the_sims_report(sim_lake, instance):
    def run():
        res = dg.materialize([schedule, injury_report], resources=resources_for(settings()), instance=instance,
                             partition_key=DAY)
        assert res.success
        return res

    run()
    landing = sim_lake / "landing" / "nbacom" / "injury_report" / DAY
    manifest = (landing / "_manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 3  # the 09 AM, 01 PM and 05 PM releases: each one a refresh of the day needs
    got = pl.read_parquet(sim_lake / "lake" / "raw" / "injury_report" / f"{DAY}.parquet")
    t.INJURY_REPORT.contract.validate(got)
    truth = SimLeague(SimConfig()).injuries(2025).filter(pl.col("report_date") == pl.date(2025, 12, 8))
    playing = set(got["matchup"].str.split("@").explode())
    assert got["report_ts"].n_unique() == 3
    assert set(got["player_lookup"]) <= set(truth.select(player_lookup_expr("player_name"))["player_name"])
    assert got.filter(pl.col("report_ts") == got["report_ts"].min()).height == truth.filter(
        pl.col("team").is_in(list(playing))).height
    first = file_hashes(sim_lake / "lake" / "raw" / "injury_report")
    run()
    assert (landing / "_manifest.jsonl").read_text().splitlines() == manifest
    assert file_hashes(sim_lake / "lake" / "raw" / "injury_report") == first


def test_todays_lines_come_from_current_odds_timed_at_the_request_and_a_rerun_asks_for_nothing(
    sim_lake, instance, monkeypatch
):
    import datetime as dt

    now = dt.datetime(2025, 12, 8, 23, 0, tzinfo=dt.UTC)  # 18:00 ET: the day's games have not tipped off
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", now.isoformat())
    assert _run(instance).success
    landing = sim_lake / "landing" / "oddsapi" / "game_lines" / DAY
    manifest = (landing / "_manifest.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in manifest]
    assert entries and all("/historical/" not in e["url"] and e["quota"]["last"] == 2 for e in entries)
    got = pl.read_parquet(sim_lake / "lake" / t.GAME_LINES.layer / t.GAME_LINES.name / f"{DAY}.parquet")
    assert got["event_id"].n_unique() == len(entries) and (got["snapshot_ts"] == now).all()
    assert _run(instance).success
    assert (landing / "_manifest.jsonl").read_text().splitlines() == manifest  # nothing asked twice
