"""Input the sources really send but the lake once mishandled silently (issue 27, findings 3-6).

Each case goes through the real path: bodies landed in a landing zone as fetches (with their fetch
times), parsed by the raw feeds' own ingest, then reconciled by the analytics logic.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import dagster as dg
import polars as pl
import pytest

from checks import definitions as check_definitions
from checks import orphans
from nba_assets import tables
from nba_assets.logic import analytics
from nba_assets.raw import FEEDS, GAME_IDS_STABLE_CHECK, bdl_boxscores
from resources import parsers
from resources.env import resources_for
from resources.landing import LandingZone
from resources.settings import settings
from tests.conftest import FIXTURES, lake_instance_for_test

BOX_2026 = json.loads((FIXTURES / "bdl" / "box_scores_2026-01-09.json").read_text())
DAY = dt.date(2026, 1, 9)
CUP_FINAL_DAY = dt.date(2024, 12, 17)


def _feed(table: tables.Table):
    return next(f for f in FEEDS if f.table == table)


def _land(landing: LandingZone, source: str, endpoint: str, day: dt.date, body: dict) -> None:
    landing.write(source, endpoint, [day], json.dumps(body).encode(), url=f"https://example.test/{endpoint}",
                  params=None)  # fmt: skip


# ------------------------------------------------------------------------- special game types (6)
def _cup_final() -> dict:
    """The 2024-25 NBA Cup final as scheduleleaguev2 lists it (hand-made in the exact format: the
    game id's season-type digit is 6; OKC @ MIL in Las Vegas, 97-81, 2024-12-17 20:30 ET)."""
    return {
        "gameId": "0062400001", "gameCode": "20241217/OKCMIL", "gameStatus": 3, "gameStatusText": "Final",
        "gameDateEst": "2024-12-17T00:00:00Z", "gameDateTimeEst": "2024-12-17T20:30:00Z",
        "gameDateUTC": "2024-12-17T05:00:00Z", "gameTimeUTC": "1900-01-01T01:30:00Z",
        "gameDateTimeUTC": "2024-12-18T01:30:00Z", "arenaName": "T-Mobile Arena", "gameLabel": "Emirates NBA Cup",
        "gameSubLabel": "Championship",
        "homeTeam": {"teamId": 1610612749, "teamTricode": "MIL", "teamName": "Bucks", "score": 97},
        "awayTeam": {"teamId": 1610612760, "teamTricode": "OKC", "teamName": "Thunder", "score": 81},
    }  # fmt: skip


def test_the_nba_cup_final_lands_as_its_own_season_type_with_no_reject(tmp_path):
    landing = LandingZone(tmp_path)
    body = {"leagueSchedule": {"seasonYear": "2024-25", "gameDates": [
        {"gameDate": "12/17/2024 00:00:00", "games": [_cup_final()]}]}}  # fmt: skip
    _land(landing, "nbacom", "schedule", CUP_FINAL_DAY, body)
    got = _feed(tables.SCHEDULE).ingest(landing, [CUP_FINAL_DAY])
    assert got.rejects.height == 0, got.rejects.to_dicts()
    assert got.rows.select("game_id", "season_type", "season_year", "home_team", "away_team", "home_score").rows() == [
        ("0062400001", "cup-final", 2024, "MIL", "OKC", 97)
    ]
    tables.SCHEDULE.contract.validate(got.rows)


# ------------------------------------------------------------------------------------ player keys (4)
ODDS = json.loads((FIXTURES / "oddsapi" / "event_odds_player_props_fixture.json").read_text())


def _odds_for_tor_at_bos(names: list[str]) -> dict:
    """The odds fixture moved to the box score fixture's TOR @ BOS game, pricing `names`."""
    body = copy.deepcopy(ODDS)
    body.update(commence_time="2026-01-10T00:30:00Z", home_team="Boston Celtics", away_team="Toronto Raptors")
    book = body["bookmakers"][0]
    book["markets"] = [{"key": "player_points", "last_update": "2026-01-09T18:00:00Z", "outcomes": [
        {"name": side, "description": n, "price": -110, "point": 20.5} for n in names for side in ("Over", "Under")]}]
    body["bookmakers"] = [book]
    return body


def test_a_name_with_letters_that_do_not_decompose_joins_the_books_ascii_spelling(tmp_path):
    landing = LandingZone(tmp_path)
    box = copy.deepcopy(BOX_2026)
    player = box["data"][0]["home_team"]["players"][0]["player"]
    player.update(first_name="Nikola", last_name="Đurišić")
    _land(landing, "bdl", "box_scores", DAY, box)
    _land(landing, "oddsapi", "event_odds", DAY, _odds_for_tor_at_bos(["Nikola Durisic", "Nobody Atall"]))
    bdl = _feed(tables.BDL_BOXSCORES).ingest(landing, [DAY]).rows
    props = _feed(tables.PROP_LINES).ingest(landing, [DAY]).rows
    assert bdl.filter(pl.col("player_id") == 70)["player_lookup"].to_list() == ["nikoladurisic"]
    assert props["player_lookup"].unique().sort().to_list() == ["nikoladurisic", "nobodyatall"]
    # The check lists the prop names that match no box score player: only the unknown one.
    result = orphans.prop_players_not_on_roster(props, bdl, tables.NBACOM_BOXSCORES.empty())
    assert not result.passed
    assert result.offending["player_name"].to_list() == ["Nobody Atall"]


# --------------------------------------------------------------- minutes missing on a line with stats (3)
def _box_with(mutate) -> dict:
    body = copy.deepcopy(BOX_2026)
    mutate(body["data"][0]["home_team"]["players"])
    return body


def _summary(bdl: pl.DataFrame, nbacom: pl.DataFrame, primary: str) -> pl.DataFrame:
    games = analytics.reconcile_games(tables.SCHEDULE.empty(), bdl, nbacom, primary=primary)
    return analytics.build_player_game_summary(games, bdl, nbacom, primary=primary)


def _as_nbacom(bdl: pl.DataFrame) -> pl.DataFrame:
    """The same player lines as NBA.com's game log would hold them (its own game ids)."""
    ids = {"18447346": "0022500555", "18447349": "0022500556"}
    return bdl.filter(~pl.col("dnp")).with_columns(pl.col("source_game_id").replace_strict(ids))


@pytest.mark.parametrize("minutes", ["", "0", "00", None, "0:00"])
def test_minutes_missing_on_a_line_with_points_is_rejected_by_name_then_repaired_from_the_other_source(
    tmp_path, minutes
):
    landing = LandingZone(tmp_path)
    clean = _feed(tables.BDL_BOXSCORES)
    _land(landing, "bdl", "box_scores", DAY, _box_with(lambda ps: ps[0].__setitem__("min", minutes)))
    got = clean.ingest(landing, [DAY])
    # Jaylen Brown (25 points, 37 minutes) is not stored with 0 minutes: his line is rejected by name.
    assert got.rows.filter(pl.col("player_id") == 70).height == 0
    [rej] = got.rejects.to_dicts()
    assert (rej["player"], rej["field"], rej["source_game_id"]) == ("Jaylen Brown", "min", "18447346")
    assert rej["rule"].startswith(parsers.MINUTES_MISSING_RULE) and "25 points" in rej["rule"]
    # NBA.com has the player-game: the summary uses its line (minutes 37), whichever source is primary.
    reference = tmp_path / "reference"
    _land(LandingZone(reference), "bdl", "box_scores", DAY, BOX_2026)
    nbacom = _as_nbacom(clean.ingest(LandingZone(reference), [DAY]).rows)
    for primary in ("bdl", "nbacom"):
        brown = _summary(got.rows, nbacom, primary).filter(pl.col("player_lookup") == "jaylenbrown")
        assert brown.select("source_used", "minutes", "points").rows() == [("nbacom", 37.0, 25)], primary
    # Neither source has it with minutes: no summary row at all, never one with 0 minutes and points.
    alone = _summary(got.rows, nbacom.filter(pl.col("player_id") != 70), "bdl")
    assert alone.filter(pl.col("player_lookup") == "jaylenbrown").height == 0
    assert alone.filter((pl.col("minutes") == 0) & (pl.col("points") > 0)).height == 0


def test_an_appearance_of_seconds_keeps_its_line_with_zero_minutes(tmp_path):
    def cameo(players):  # Chris Boucher (a DNP in the fixture) in for seconds: a made layup and a foul
        players[5].update(min="00", pts=2, fgm=1, fga=1, pf=1)

    landing = LandingZone(tmp_path)
    _land(landing, "bdl", "box_scores", DAY, _box_with(cameo))
    got = _feed(tables.BDL_BOXSCORES).ingest(landing, [DAY])
    assert got.rejects.height == 0
    boucher = got.rows.filter(pl.col("player_name") == "Chris Boucher")
    assert boucher.select("minutes", "dnp", "points").rows() == [(0.0, False, 2)]


# ------------------------------------------------------------------- a game id that changes between fetches (5)
def _renumbered(body: dict, new_id: int) -> dict:
    body = copy.deepcopy(body)
    body["data"][0]["id"] = new_id
    return body


def test_a_game_renumbered_between_fetches_keeps_the_newest_id_once_and_records_the_change(tmp_path, monkeypatch):
    landing = LandingZone(tmp_path)
    _land(landing, "bdl", "box_scores", DAY, BOX_2026)
    _land(landing, "bdl", "box_scores", DAY, _renumbered(BOX_2026, 18447999))
    feed = _feed(tables.BDL_BOXSCORES)
    got = feed.ingest(landing, [DAY])
    listed = sum(len(g[s]["players"]) for g in BOX_2026["data"] for s in ("home_team", "visitor_team"))
    assert got.rows.height == listed  # not doubled
    assert sorted(got.rows["source_game_id"].unique().to_list()) == ["18447349", "18447999"]
    assert got.id_changes.select("game_date", "field", "value", "source_game_id", "rule").rows() == [
        (DAY, "source_game_id", "18447346", "18447999", parsers.GAME_ID_CHANGED_RULE)
    ]
    # Analytics takes the day (it refused "several game ids" when both numberings were kept).
    games = analytics.reconcile_games(tables.SCHEDULE.empty(), got.rows, tables.NBACOM_BOXSCORES.empty())
    assert sorted(games["bdl_game_id"].to_list()) == ["18447349", "18447999"]
    # The raw asset records it: output metadata and a WARN check naming old and new id.
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NBA_LAKE_SOURCE", "landing")
    with lake_instance_for_test() as instance:
        result = dg.materialize([bdl_boxscores], partition_key=str(DAY), resources=resources_for(settings()),
                                instance=instance)  # fmt: skip
    [mat] = result.asset_materializations_for_node(bdl_boxscores.op.name)
    assert mat.metadata["game_ids_changed"].value == 1
    [ev] = [e for e in result.get_asset_check_evaluations() if e.check_name == GAME_IDS_STABLE_CHECK]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert "18447346" in ev.metadata["id_changes"].value and "18447999" in ev.metadata["id_changes"].value
    written = pl.read_parquet(tmp_path / "lake" / "raw" / "bdl_boxscores" / f"{DAY}.parquet")
    assert written.height == listed


def test_a_box_score_id_the_schedule_replaces_is_recorded_with_both_ids(tmp_path):
    # NBA.com's game log numbers TOR @ BOS 0022500555, the schedule 0022500600: one id each, so no
    # "several ids" error, and the games table takes the schedule's. The swap is listed, not silent.
    landing = LandingZone(tmp_path)
    _land(landing, "bdl", "box_scores", DAY, BOX_2026)
    nbacom = _as_nbacom(_feed(tables.BDL_BOXSCORES).ingest(landing, [DAY]).rows)
    schedule = pl.DataFrame([{
        "game_date": DAY, "game_id": "0022500600", "season_year": 2025, "season_type": "regular",
        "nbacom_game_code": None, "home_team": "BOS", "away_team": "TOR", "home_team_id": 1610612738,
        "away_team_id": 1610612761, "tipoff_utc": None, "status": 3, "home_score": None, "away_score": None,
        "landing_file": "s.json"}], schema=tables.SCHEDULE.empty().schema)  # fmt: skip
    games = analytics.reconcile_games(schedule, tables.BDL_BOXSCORES.empty(), nbacom)
    assert "0022500600" in games["game_id"].to_list()
    swaps = analytics.box_ids_replaced_by_schedule(schedule, nbacom)
    assert swaps.select("game_date", "home_team", "away_team", "box_game_id", "sched_game_id").rows() == [
        (DAY, "BOS", "TOR", "0022500555", "0022500600")
    ]
    result = check_definitions._box_ids_replaced(schedule, nbacom)
    assert not result.passed and result.offending["box_game_id"].to_list() == ["0022500555"]
