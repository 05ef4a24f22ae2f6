"""The second schedule: Ball Don't Lie /v1/games parsed, reconciled with NBA.com's schedule in
analytics/games on (date, home, away), their disagreements named, and a day whose NBA.com schedule
could not be fetched carried forward from the latest season schedule landed before."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from checks.agreement import schedule_disagreements
from nba_assets import tables
from nba_assets.contracts import BdlGamesContract
from nba_assets.logic.analytics import reconcile_games
from resources.landing import LandingZone
from resources.parsers import parse_bdl_games
from tests.unit.test_analytics import frame as raw_frame
from tests.unit.test_analytics import games_valid, no_bdl, no_nba, sched, two_team_box

FIXTURE = Path(__file__).parents[1] / "fixtures" / "bdl" / "games_2025-02-20.json"
D = dt.date(2025, 1, 10)
TIP = dt.datetime(2025, 1, 10, 23, 30, tzinfo=dt.UTC)


def bdl_game(gid: int, home: str, away: str, *, status="Final", period=4, hs=110, vs=100, tip=TIP) -> dict:
    team = lambda code: {"id": 1, "abbreviation": code}  # noqa: E731
    return {"id": gid, "date": D.isoformat(), "season": 2024, "status": status, "period": period,
            "postseason": False, "home_team_score": hs, "visitor_team_score": vs,
            "datetime": None if tip is None else tip.isoformat().replace("+00:00", "Z"),
            "home_team": team(home), "visitor_team": team(away)}  # fmt: skip


def bdl_frame(*games: dict) -> pl.DataFrame:
    return parse_bdl_games({"data": list(games)}, "g.json").rows


# ------------------------------------------------------------------------------------------ parser
def test_the_real_games_response_parses_into_the_contract():
    res = parse_bdl_games(json.loads(FIXTURE.read_text()), "games.json")
    BdlGamesContract.validate(res.rows)
    assert res.rejects.height == 0
    r = res.rows.row(0, named=True)
    assert (r["source_game_id"], r["home_team"], r["away_team"], r["status"]) == ("15908525", "DEN", "CHA", 3)
    assert (r["home_score"], r["away_score"], r["game_date"]) == (129, 115, dt.date(2025, 2, 20))
    assert r["tipoff_utc"] == dt.datetime(2025, 2, 21, 2, 0, tzinfo=dt.UTC)


def test_status_scheduled_in_progress_final_and_a_missing_tipoff():
    rows = bdl_frame(
        bdl_game(1, "BOS", "NYK", status="2025-01-10T23:30:00Z", period=0, hs=0, vs=0),
        bdl_game(2, "LAL", "GSW", status="3rd Qtr", period=3, hs=70, vs=66),
        bdl_game(3, "PHX", "DEN", tip=None),
    )
    assert rows.sort("source_game_id")["status"].to_list() == [1, 2, 3]
    assert rows.filter(pl.col("source_game_id") == "3")["tipoff_utc"].to_list() == [None]


def test_bad_games_are_rejected_naming_the_game_and_the_rule_and_the_good_ones_kept():
    body = {"data": [bdl_game(1, "BOS", "NYK"), bdl_game(2, "LAL", "LAL"), bdl_game(3, "MIA", "ORL", hs=None),
                     {**bdl_game(4, "CHI", "DET"), "status": None}, bdl_game(5, "XXX", "DET")]}
    res = parse_bdl_games(body, "g.json")
    assert res.rows["source_game_id"].to_list() == ["1"]
    rules = {r["source_game_id"]: (r["field"], r["rule"]) for r in res.rejects.iter_rows(named=True)}
    assert rules["2"] == ("game.home_team", "home and away teams must differ")
    assert rules["3"] == ("home_team_score", "score must be an integer 0-250")
    assert rules["4"] == ("status", "status text is required")
    assert rules["5"][0] == "home_team.abbreviation"
    assert parse_bdl_games({"oops": 1}, "g.json").rejects["rule"].to_list() == [
        "response must hold a list of games in 'data'"
    ]


# ---------------------------------------------------------------------------------- reconciliation
def schedule(*rows: dict) -> pl.DataFrame:
    return raw_frame(list(rows), tables.SCHEDULE.label)


def test_games_keep_every_game_either_schedule_lists_and_say_which():
    nba = schedule(sched(D, "0022400500", "BOS", "NYK", status=1), sched(D, "0022400501", "MIA", "ORL", status=1))
    bdl = bdl_frame(bdl_game(11, "BOS", "NYK", status="Final"), bdl_game(12, "LAL", "GSW", tip=TIP + dt.timedelta(hours=3)))
    games = games_valid(reconcile_games(nba, no_bdl(), no_nba(), bdl_games=bdl)).sort("home_team")
    got = {r["home_team"]: r for r in games.iter_rows(named=True)}
    assert {k: v["schedule_sources"] for k, v in got.items()} == {"BOS": "nbacom+bdl", "LAL": "bdl", "MIA": "nbacom"}
    assert all(r["in_schedule"] for r in got.values())
    # NBA.com's id is canonical; a BDL-only game gets its game_code; BDL's id is carried.
    assert (got["BOS"]["game_id"], got["BOS"]["bdl_game_id"]) == ("0022400500", "11")
    assert (got["LAL"]["game_id"], got["LAL"]["bdl_game_id"]) == ("20250110_GSW_LAL", "12")
    # The more advanced status wins (NBA.com's copy still says scheduled), its final score with it.
    assert (got["BOS"]["status"], got["BOS"]["home_score"], got["BOS"]["away_score"]) == (3, 110, 100)
    assert got["BOS"]["reconciliation_flag"] == "missing_boxscore"  # final, and no box score yet
    assert got["LAL"]["tipoff_utc"] == TIP + dt.timedelta(hours=3)  # BDL's tip-off where NBA.com has none


def test_an_nbacom_outage_day_is_scheduled_from_bdl_alone_and_scored_from_the_box_scores():
    bdl = bdl_frame(bdl_game(11, "BOS", "NYK", hs=15, vs=12))
    box = raw_frame(two_team_box(D, "77", "BOS", "NYK"), tables.BDL_BOXSCORES.label)
    games = games_valid(reconcile_games(schedule(), box, no_nba(), bdl_games=bdl))
    r = games.row(0, named=True)
    assert (r["schedule_sources"], r["status"], r["home_score"], r["away_score"]) == ("bdl", 3, 15, 12)
    assert r["reconciliation_flag"] == "ok" and r["has_bdl_boxscore"]


def test_without_the_second_schedule_games_are_what_they_were():
    nba = schedule(sched(D, "0022400500", "BOS", "NYK", status=1))
    assert reconcile_games(nba, no_bdl(), no_nba()).equals(
        reconcile_games(nba, no_bdl(), no_nba(), bdl_games=tables.BDL_GAMES.empty())
    )
    assert reconcile_games(nba, no_bdl(), no_nba())["schedule_sources"].to_list() == ["nbacom"]


# ------------------------------------------------------------------------------------- the check
def test_disagreements_name_the_game_and_what_differs():
    nba = schedule(sched(D, "0022400500", "BOS", "NYK"), sched(D, "0022400501", "MIA", "ORL"),
                   {**sched(D, "0022400502", "CHI", "DET"), "postponed": True},
                   sched(D, "0022400503", "PHX", "DEN"))  # fmt: skip
    bdl = bdl_frame(bdl_game(11, "BOS", "NYK", tip=TIP + dt.timedelta(minutes=30)),
                    bdl_game(12, "LAL", "GSW"), bdl_game(13, "PHX", "DEN", tip=TIP + dt.timedelta(minutes=5)))
    res = schedule_disagreements(nba, bdl)
    assert not res.passed and res.n_offending == 3
    problems = {r["game"]: r["problem"] for r in res.offending.iter_rows(named=True)}
    assert problems == {
        "NYK@BOS": "tip-off differs by 30 min (BDL - NBA.com)",
        "GSW@LAL": "only in Ball Don't Lie's /v1/games",
        "ORL@MIA": "only in NBA.com's schedule",
    }  # the postponed game and a 5-minute difference are not disagreements
    assert "2025-01-10 NYK@BOS tip-off differs by 30 min" in res.summary


def test_two_schedules_that_agree_pass():
    nba = schedule(sched(D, "0022400500", "BOS", "NYK"))
    res = schedule_disagreements(nba, bdl_frame(bdl_game(11, "BOS", "NYK")))
    assert res.passed and res.summary == "the two schedules agree on 1 game(s)"


# ---------------------------------------------------------------------------------- carry forward
def test_a_day_its_source_missed_carries_the_latest_body_landed_before_with_its_fetch_time(tmp_path):
    zone = LandingZone(tmp_path)
    old = zone.write("nbacom", "schedule", [D - dt.timedelta(days=2)], b'{"v": 1}', url="u", params={})[0]
    new = zone.write("nbacom", "schedule", [D - dt.timedelta(days=1)], b'{"v": 2}', url="u", params={})[0]
    carried = zone.carry_forward("nbacom", "schedule", D)
    assert carried is not None and carried.name == new.name and carried.name != old.name
    files = zone.files("nbacom", "schedule", D)
    assert [(f.name, f.fetched_at) for f in files] == [(new.name, new.fetched_at)]
    assert files[0].meta["carried_from"] == str(D - dt.timedelta(days=1))
    assert zone.carry_forward("nbacom", "schedule", D) is None  # the day has a body now
    # A fetch of the day itself, later, is the newest: it wins over the carried body.
    fresh = zone.write("nbacom", "schedule", [D], b'{"v": 3}', url="u", params={})[0]
    assert zone.files("nbacom", "schedule", D)[-1].name == fresh.name
    assert zone.carry_forward("nbacom", "schedule", D + dt.timedelta(days=30)) is None  # nothing within a week
