"""Parsers: real API samples parse into contract-valid rows; every reject rule has a failing case."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import BoxscoreContract, InjuryContract, PropLineContract, ScheduleContract
from resources import parsers as P
from tests.conftest import FIXTURES

UTC = dt.UTC
BOX_COLUMNS = tables.BDL_BOXSCORES.empty().columns


def sample(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def rejects_of(result: P.ParseResult) -> list[dict[str, Any]]:
    return result.rejects.to_dicts()


# --------------------------------------------------------------------------------- hand-made bodies
def stat_line(pid: int, first: str, last: str, mins: Any = "30", **over: Any) -> dict[str, Any]:
    """A consistent BDL stat line: 7 FGM (2 threes) + 4 FTM = 20 points."""
    line = {
        "min": mins, "fgm": 7, "fga": 15, "fg3m": 2, "fg3a": 5, "ftm": 4, "fta": 5, "oreb": 1,
        "dreb": 4, "reb": 5, "ast": 3, "stl": 1, "blk": 0, "turnover": 2, "pf": 3, "pts": 20,
        "player": {"id": pid, "first_name": first, "last_name": last},
    }  # fmt: skip
    line.update(over)
    return line


def dnp_line(pid: int, first: str, last: str, mins: Any = "00", **over: Any) -> dict[str, Any]:
    zeros = {k: 0 for k in ("fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast",
                            "stl", "blk", "turnover", "pf", "pts")}  # fmt: skip
    return stat_line(pid, first, last, mins, **(zeros | over))


def box_game(gid: int, home: str, away: str, home_players: list, away_players: list) -> dict[str, Any]:
    return {
        "id": gid, "date": "2026-01-09", "season": 2025, "status": "Final",
        "home_team": {"id": 1, "abbreviation": home, "players": home_players},
        "visitor_team": {"id": 2, "abbreviation": away, "players": away_players},
    }  # fmt: skip


def stats_row(pid: int, name: str, team_abbr: str, home_id: int = 24, visitor_id: int = 20, **over) -> dict:
    first, last = name.split(" ", 1)
    row = stat_line(pid, first, last, **over)
    row["team"] = {"id": 24, "abbreviation": team_abbr}
    row["game"] = {"id": 555, "date": "2026-01-09", "season": 2025, "home_team_id": home_id,
                   "visitor_team_id": visitor_id}  # fmt: skip
    return row


# ------------------------------------------------------------------------------------ parse_minutes
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("35", 35.0), ("37", 37.0), ("35:22", 35.37), ("0:00", 0.0), ("00", 0.0), ("0", 0.0),
        ("", 0.0), ("  ", 0.0), (None, 0.0), (35, 35.0), (35.5, 35.5), ("12.5", 12.5),
        ("PT12M30.00S", 12.5), ("abc", None), ("35:75", None), (True, None), (float("nan"), None),
        ([35], None), ("DNP", None),
    ],
)  # fmt: skip
def test_parse_minutes(raw: Any, expected: float | None) -> None:
    assert P.parse_minutes(raw) == expected


# ------------------------------------------------------------------------------- BDL box scores
def test_real_box_scores_one_row_per_listed_player() -> None:
    body = sample("bdl/box_scores_2026-01-09.json")
    lines = [
        (g["id"], side, line)
        for g in body["data"]
        for side in ("home_team", "visitor_team")
        for line in g[side]["players"]
    ]
    res = P.parse_bdl_box_scores(body, "3fa9c2e1b0d4a7e8.json")

    assert res.rejects.height == 0, res.describe_rejects()
    assert res.rows.height == len(lines)
    assert res.rows.columns == BOX_COLUMNS
    BoxscoreContract.validate(res.rows)
    assert res.rows["points"].sum() == sum(line["pts"] for _, _, line in lines)
    assert res.rows["landing_file"].unique().to_list() == ["3fa9c2e1b0d4a7e8.json"]
    assert res.rows["game_date"].unique().to_list() == [dt.date(2026, 1, 9)]
    assert res.rows["season_year"].unique().to_list() == [2025]

    n_dnp = sum(1 for _, _, line in lines if line["min"] in ("00", "0") and not line["pts"])
    assert n_dnp > 0
    assert res.rows["dnp"].sum() == n_dnp
    dnp = res.rows.filter(pl.col("dnp"))
    assert dnp["minutes"].max() == 0.0 and dnp["points"].max() == 0

    # Accents kept in the name, stripped in the lookup; suffixes kept.
    hugo = res.rows.filter(pl.col("player_name") == "Hugo González")
    assert hugo["player_lookup"].to_list() == ["hugogonzalez"]
    mpj = res.rows.filter(pl.col("player_name") == "Michael Porter Jr.")
    assert mpj["player_lookup"].to_list() == ["michaelporterjr"]

    # A home player's team is the home team; the first game is TOR @ BOS.
    brown = res.rows.filter(pl.col("player_id") == 70).row(0, named=True)
    assert (brown["team"], brown["home_team"], brown["away_team"]) == ("BOS", "BOS", "TOR")
    assert brown["source_game_id"] == "18447346" and brown["minutes"] == 37.0 and brown["tov"] == 4


def test_box_scores_of_the_2023_24_version_are_keyed_by_date_and_teams() -> None:
    # The earlier /v1/box_scores: no game id, no datetime, no quarter scores, no plus_minus.
    body = sample("bdl/box_scores_2024-01-15_v2023.json")
    assert not any("id" in g or "datetime" in g or "home_q1" in g for g in body["data"])
    res = P.parse_bdl_box_scores(body, "old.json")

    assert res.rejects.height == 0, res.describe_rejects()
    BoxscoreContract.validate(res.rows)
    listed = sum(len(g[s]["players"]) for g in body["data"] for s in ("home_team", "visitor_team"))
    assert res.rows.height == listed
    assert sorted(res.rows["source_game_id"].unique()) == ["2024-01-15/LAC@BKN", "2024-01-15/TOR@BOS"]
    assert res.rows["season_year"].unique().to_list() == [2023]
    # Points of each team sum to its final score; DNPs flagged with zero minutes.
    for g in body["data"]:
        for side, team in (("home_team_score", g["home_team"]), ("visitor_team_score", g["visitor_team"])):
            got = res.rows.filter(pl.col("team") == team["abbreviation"])["points"].sum()
            assert got == g[side], (team["abbreviation"], got, g[side])
    n_dnp = sum(1 for g in body["data"] for s in ("home_team", "visitor_team")
                for p in g[s]["players"] if p["min"] == "00")
    assert res.rows["dnp"].sum() == n_dnp > 0


def test_box_scores_without_id_still_need_date_and_teams() -> None:
    body = sample("bdl/box_scores_2024-01-15_v2023.json")
    body["data"][0].pop("date")
    body["data"][1]["home_team"]["abbreviation"] = "XXX"
    res = P.parse_bdl_box_scores(body, "old.json")
    assert res.rows.height == 0
    fields = set(res.rejects["field"].to_list())
    assert fields == {"game.date", "home_team.abbreviation"}


def test_an_unexpected_extra_field_changes_nothing() -> None:
    body = sample("bdl/box_scores_2026-01-09.json")
    wider = copy.deepcopy(body)
    wider["data"][0]["arena"] = {"name": "TD Garden"}
    wider["data"][0]["home_team"]["players"][0]["pts_paint"] = 10
    assert P.parse_bdl_box_scores(wider, "x.json").rows.equals(P.parse_bdl_box_scores(body, "x.json").rows)


def test_box_scores_abc_minutes_rejects_naming_game_player_field() -> None:
    body = {"data": [box_game(18447346, "BOS", "TOR",
                              [stat_line(1, "Jalen", "Williams", mins="abc"), stat_line(2, "Sam", "Hauser")],
                              [stat_line(3, "RJ", "Barrett")])]}  # fmt: skip
    res = P.parse_bdl_box_scores(body, "f.json")

    assert sorted(res.rows["player_id"].to_list()) == [2, 3]
    [rej] = rejects_of(res)
    assert rej == {
        "source": "bdl", "endpoint": "box_scores", "landing_file": "f.json",
        "game_date": dt.date(2026, 1, 9), "source_game_id": "18447346", "player": "Jalen Williams",
        "field": "min", "value": "abc", "rule": "minutes unparseable",
    }  # fmt: skip
    assert res.describe_rejects() == [
        "bdl box_scores game 18447346 (2026-01-09) player 'Jalen Williams': "
        "field min=abc violates 'minutes unparseable'"
    ]


def test_null_points_rejected_rest_of_game_survives() -> None:
    body = {"data": [box_game(7, "BOS", "TOR",
                              [stat_line(1, "A", "One", pts=None), stat_line(2, "B", "Two")],
                              [stat_line(3, "C", "Three"), dnp_line(4, "D", "Four")])]}  # fmt: skip
    res = P.parse_bdl_box_scores(body, "f.json")
    assert sorted(res.rows["player_id"].to_list()) == [2, 3, 4]
    BoxscoreContract.validate(res.rows)
    [rej] = rejects_of(res)
    got = (rej["player"], rej["field"], rej["value"], rej["rule"])
    assert got == ("A One", "pts", None, "points is required")
    assert "field pts=None violates 'points is required'" in res.describe_rejects()[0]


@pytest.mark.parametrize(
    ("over", "field", "rule_part"),
    [
        ({"pts": -2}, "pts", "points must be >= 0"),
        ({"pts": 20.5}, "pts", "points must be an integer"),
        ({"pts": "20"}, "pts", "points must be an integer"),
        ({"min": "71"}, "min", "minutes must be <= 70"),
        ({"min": -3}, "min", "minutes must be >= 0"),
        ({"ast": None}, "ast", "ast is required for a player who played"),
        ({"pts": 21}, "pts", "scoring identity"),
        ({"fgm": 16, "pts": 38}, "fgm", "makes must not exceed attempts"),
        ({"fg3m": 6, "pts": 24}, "fg3m", "makes must not exceed attempts"),
        ({"ftm": 6, "pts": 22}, "ftm", "makes must not exceed attempts"),
        ({"fg3m": 8, "fg3a": 9, "fga": 15, "pts": 26}, "fg3m", "threes made must not exceed"),
        ({"pts": 101, "fgm": 45, "fga": 60, "fg3m": 7, "fg3a": 9, "ftm": 4}, "pts", "points must be <= 100"),
        ({"turnover": -1}, "turnover", "tov must be >= 0"),
    ],
)  # fmt: skip
def test_each_stat_rule_rejects(over: dict, field: str, rule_part: str) -> None:
    bad, ok = stat_line(1, "Bad", "Line", **over), stat_line(2, "Ok", "Line")
    body = {"data": [box_game(9, "BOS", "TOR", [bad], [ok])]}
    res = P.parse_bdl_box_scores(body, "f.json")
    assert res.rows["player_id"].to_list() == [2]
    [rej] = rejects_of(res)
    assert rej["field"] == field and rule_part in rej["rule"], rej
    assert rej["source_game_id"] == "9" and rej["player"] == "Bad Line"


def test_dnp_rows_null_stats_become_zero_and_cameo_is_not_dnp() -> None:
    nulls = {k: None for k in ("fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast",
                               "stl", "blk", "turnover", "pf", "pts")}  # fmt: skip
    cameo = dnp_line(5, "E", "Cameo", mins="00", pf=1)  # in for seconds, committed a foul
    body = {"data": [box_game(9, "BOS", "TOR",
                              [dnp_line(1, "A", "Null", mins=None, **nulls),
                               dnp_line(2, "B", "Zero", mins="0:00"),
                               dnp_line(3, "C", "Empty", mins=""), cameo],
                              [stat_line(4, "D", "Played", mins="35:22")])]}  # fmt: skip
    res = P.parse_bdl_box_scores(body, "f.json")
    assert res.rejects.height == 0, res.describe_rejects()
    BoxscoreContract.validate(res.rows)
    by_id = {r["player_id"]: r for r in res.rows.to_dicts()}
    for pid in (1, 2, 3):
        assert by_id[pid]["dnp"] is True and by_id[pid]["minutes"] == 0.0
        assert all(by_id[pid][c] == 0 for c in P.BDL_STAT_FIELDS)
    assert by_id[5]["dnp"] is False and by_id[5]["pf"] == 1
    assert by_id[4]["dnp"] is False and by_id[4]["minutes"] == 35.37


@pytest.mark.parametrize(
    ("over", "kept"),
    [
        ({"pts": 3, "fgm": 1, "fga": 1, "fg3m": 1, "fg3a": 1}, True),  # a three in the last seconds
        ({"pts": 2, "ftm": 2, "fta": 2, "reb": 1, "pf": 2}, True),  # fouled at once, two free throws
        ({"pts": 4, "fgm": 2, "fga": 2}, False),  # more points than seconds allow
        ({"pts": 0, "fga": 2, "reb": 2, "ast": 1}, False),  # 5 box events
        ({"pts": 41, "fgm": 15, "fga": 25, "fg3m": 5, "fg3a": 9, "ftm": 6, "fta": 7}, False),  # the finding
    ],
)
def test_a_zero_minute_line_with_stats_is_a_cameo_only_up_to_the_threshold(over: dict, kept: bool) -> None:
    body = {"data": [box_game(9, "BOS", "TOR", [dnp_line(1, "A", "Zero", mins="00", **over)], [])]}
    res = P.parse_bdl_box_scores(body, "f.json")
    assert res.rows.height == int(kept)
    if kept:
        assert res.rows.select("minutes", "dnp").rows() == [(0.0, False)]
    else:
        [rej] = rejects_of(res)
        assert rej["field"] == "min" and rej["rule"].startswith(P.MINUTES_MISSING_RULE), rej


def test_leaguegamelog_null_minutes_with_points_is_rejected_by_the_same_rule() -> None:
    headers = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE",
               "MATCHUP", "MIN", *P.NBACOM_STAT_FIELDS.values()]  # fmt: skip
    stats = [15, 25, 5, 9, 6, 7, 1, 4, 5, 3, 1, 0, 2, 3, 41]  # FGM..PTS in NBACOM_STAT_FIELDS order
    fields = dict(zip(P.NBACOM_STAT_FIELDS.values(), [41, 15, 25, 5, 9, 6, 7, 1, 4, 5, 3, 1, 0, 2, 3], strict=True))
    assert len(stats) == len(fields)
    row = ["22025", 7, "Big Night", "BOS", "0022500555", "2026-01-09", "BOS vs. TOR", None, *fields.values()]
    body = {"resultSets": [{"name": "LeagueGameLog", "headers": headers, "rowSet": [row]}]}
    [rej] = rejects_of(P.parse_nbacom_leaguegamelog(body, "g.json"))
    assert (rej["field"], rej["player"]) == ("MIN", "Big Night") and "41 points" in rej["rule"]


def test_cameo_with_null_stat_is_rejected() -> None:
    cameo = dnp_line(1, "A", "Cameo", pts=2, fgm=1, fga=1, ast=None)
    body = {"data": [box_game(9, "BOS", "TOR", [cameo], [])]}
    [rej] = rejects_of(P.parse_bdl_box_scores(body, "f.json"))
    assert rej["field"] == "ast" and rej["rule"] == "ast is required for a player who played"


def test_pho_alias_maps_to_phx_unknown_code_rejects_its_game_only() -> None:
    body = {"data": [
        box_game(1, "PHO", "NYK", [stat_line(1, "Devin", "Booker")], [stat_line(2, "Jalen", "Brunson")]),
        box_game(2, "XYZ", "BOS", [stat_line(3, "Who", "Ever")], [stat_line(4, "Jaylen", "Brown")]),
    ]}  # fmt: skip
    res = P.parse_bdl_box_scores(body, "f.json")
    assert res.rows["source_game_id"].unique().to_list() == ["1"]
    assert set(res.rows["home_team"].to_list()) == {"PHX"}
    assert res.rows.filter(pl.col("player_id") == 1)["team"].to_list() == ["PHX"]
    rejects = rejects_of(res)
    assert {r["player"] for r in rejects} == {"Who Ever", "Jaylen Brown"}
    assert {(r["field"], r["value"], r["rule"]) for r in rejects} == {
        ("home_team.abbreviation", "XYZ", "unknown team code")
    }


def test_duplicates_inside_one_response_collapse_conflicts_reject() -> None:
    same = stat_line(1, "Dup", "Licate")
    body = {"data": [box_game(1, "BOS", "TOR", [same, copy.deepcopy(same), stat_line(2, "X", "Conflict"),
                                                stat_line(2, "X", "Conflict", ast=9)], [])]}  # fmt: skip
    res = P.parse_bdl_box_scores(body, "f.json")
    assert res.rows["player_id"].to_list() == [1]
    rejects = rejects_of(res)
    assert len(rejects) == 2 and {r["field"] for r in rejects} == {"ast"}
    assert all("conflicting rows" in r["rule"] for r in rejects)


def test_file_without_data_is_one_reject_not_an_exception() -> None:
    res = P.parse_bdl_box_scores({"error": "rate limited"}, "f.json")
    assert res.rows.height == 0 and res.rows.columns == BOX_COLUMNS
    [rej] = rejects_of(res)
    assert rej["field"] == "data" and "list of games" in rej["rule"]
    assert res.describe_rejects()[0].startswith("bdl box_scores file f.json: field data=")


# ------------------------------------------------------------------------------------- BDL stats
def test_real_stats_sample_parses_and_validates() -> None:
    body = sample("bdl/stats_sample.json")
    res = P.parse_bdl_stats(body, "s.json")
    assert res.rejects.height == 0, res.describe_rejects()
    assert res.rows.height == len(body["data"])
    BoxscoreContract.validate(res.rows)
    first = body["data"][0]
    row = res.rows.filter(pl.col("player_id") == first["player"]["id"]).row(0, named=True)
    assert (row["home_team"], row["away_team"], row["team"]) == ("OKC", "IND", "OKC")
    assert row["tov"] == first["turnover"] and row["points"] == first["pts"]
    assert row["season_year"] == 2024 and row["game_date"] == dt.date(2025, 6, 22)
    assert res.rows["points"].sum() == sum(r["pts"] for r in body["data"])


def test_stats_team_ids_and_membership_rules() -> None:
    body = {"data": [
        stats_row(1, "Devin Booker", "PHO"),  # alias on the row's team
        stats_row(2, "Jalen Brunson", "NYK", home_id=99),  # unknown BDL team id
        stats_row(3, "Jaylen Brown", "BOS"),  # BOS is not in PHX-NYK
    ]}  # fmt: skip
    res = P.parse_bdl_stats(body, "f.json")
    assert res.rows.select("player_id", "team", "home_team", "away_team").rows() == [(1, "PHX", "PHX", "NYK")]
    rej = {r["player"]: r for r in rejects_of(res)}
    brunson = rej["Jalen Brunson"]
    assert (brunson["field"], brunson["rule"]) == ("game.home_team_id", "unknown team id")
    assert rej["Jaylen Brown"]["field"] == "team" and "not in the game" in rej["Jaylen Brown"]["rule"]


# ------------------------------------------------------------------------------ NBA.com game log
LGL_HEADERS = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME",
               "GAME_ID", "GAME_DATE", "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A",
               "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF",
               "PTS", "PLUS_MINUS", "FANTASY_PTS", "VIDEO_AVAILABLE"]  # fmt: skip


def lgl_row(pid: int, name: str, team: str, matchup: str, **over: Any) -> dict[str, Any]:
    row = {"SEASON_ID": "22024", "PLAYER_ID": pid, "PLAYER_NAME": name, "TEAM_ID": 1,
           "TEAM_ABBREVIATION": team, "TEAM_NAME": "x", "GAME_ID": "0022400612", "GAME_DATE": "2025-01-20",
           "MATCHUP": matchup, "WL": "W",
           "MIN": 36, "FGM": 10, "FGA": 18, "FG_PCT": 0.556, "FG3M": 2, "FG3A": 5, "FG3_PCT": 0.4, "FTM": 6,
           "FTA": 7, "FT_PCT": 0.857, "OREB": 1, "DREB": 7, "REB": 8, "AST": 12, "STL": 2, "BLK": 1, "TOV": 3,
           "PF": 2, "PTS": 28, "PLUS_MINUS": 15, "FANTASY_PTS": 50.1, "VIDEO_AVAILABLE": 1}  # fmt: skip
    row.update(over)
    return row


def lgl_body(rows: list[dict[str, Any]], headers: list[str] = LGL_HEADERS) -> dict[str, Any]:
    return {"resource": "leaguegamelog",
            "resultSets": [{"name": "LeagueGameLog", "headers": headers,
                            "rowSet": [[r[h] for h in headers] for r in rows]}]}  # fmt: skip


def test_leaguegamelog_uses_header_names_and_matchup() -> None:
    shuffled = LGL_HEADERS[::-1]  # positions change; names do not
    rows = [lgl_row(2544, "LeBron James", "LAL", "LAL vs. BOS"),
            lgl_row(1628369, "Jayson Tatum", "BOS", "BOS @ LAL", MIN=38, PTS=30, FGM=11, FGA=22, FG3M=3,
                    FG3A=8, FTM=5, FTA=6, TOV=4)]  # fmt: skip
    res = P.parse_nbacom_leaguegamelog(lgl_body(rows, shuffled), "n.json")
    assert res.rejects.height == 0, res.describe_rejects()
    BoxscoreContract.validate(res.rows)
    assert res.rows.columns == BOX_COLUMNS
    got = {r["player_id"]: r for r in res.rows.to_dicts()}
    teams = {pid: (r["home_team"], r["away_team"], r["team"]) for pid, r in got.items()}
    assert teams == {2544: ("LAL", "BOS", "LAL"), 1628369: ("LAL", "BOS", "BOS")}
    assert got[1628369]["tov"] == 4 and got[1628369]["minutes"] == 38.0 and got[1628369]["points"] == 30
    assert got[2544]["season_year"] == 2024 and got[2544]["source_game_id"] == "0022400612"
    assert not any(r["dnp"] for r in got.values())


def test_leaguegamelog_rejects() -> None:
    rows = [lgl_row(1, "Ok Player", "PHO", "PHO vs. BOS"),
            lgl_row(2, "Bad Matchup", "BOS", "BOS - PHX"),
            lgl_row(3, "Wrong Team", "BOS", "NYK @ PHX"),
            lgl_row(4, "Bad Min", "BOS", "BOS @ PHX", MIN="abc"),
            lgl_row(5, "Bad Pts", "BOS", "BOS @ PHX", PTS=29)]  # fmt: skip
    res = P.parse_nbacom_leaguegamelog(lgl_body(rows), "n.json")
    assert res.rows.select("player_id", "team", "home_team").rows() == [(1, "PHX", "PHX")]
    rej = {r["player"]: (r["field"], r["rule"]) for r in rejects_of(res)}
    assert rej["Bad Matchup"][0] == "MATCHUP"
    assert rej["Wrong Team"] == ("MATCHUP", "matchup must start with the row's team BOS")
    assert rej["Bad Min"] == ("MIN", "minutes unparseable")
    assert rej["Bad Pts"][0] == "PTS" and "scoring identity" in rej["Bad Pts"][1]
    assert all(r["source_game_id"] == "0022400612" for r in rejects_of(res))


def test_leaguegamelog_missing_header_rejects_the_file() -> None:
    headers = [h for h in LGL_HEADERS if h != "TOV"]
    res = P.parse_nbacom_leaguegamelog(lgl_body([lgl_row(1, "A B", "BOS", "BOS @ PHX")], headers), "n.json")
    assert res.rows.height == 0
    [rej] = rejects_of(res)
    assert (rej["field"], rej["value"]) == ("headers", "TOV")


# ----------------------------------------------------------------------------------- schedule
def test_real_cdn_schedule_leaves_exhibitions_with_non_nba_teams_out_of_scope() -> None:
    body = sample("nbacom/schedule_cdn_2025-26_excerpt.json")
    games = [g for d in body["leagueSchedule"]["gameDates"] for g in d["games"]]
    res = P.parse_nbacom_schedule(body, "sched.json")
    ScheduleContract.validate(res.rows)
    rejects = rejects_of(res)
    # Melbourne United and South East Melbourne Phoenix (preseason exhibitions)
    assert {r["source_game_id"] for r in rejects} == {"0012500009", "0012500011"}
    assert {r["rule"] for r in rejects} == {P.EXHIBITION_RULE}
    assert res.rows.height + len(rejects) == len(games)
    assert set(res.rows["season_type"].to_list()) == {"preseason"}
    assert set(res.rows["season_year"].to_list()) == {2025}
    assert res.rows["home_score"].null_count() == res.rows.height  # nothing final yet
    # Late tip: ET date Oct 3, UTC Oct 4.
    lal = res.rows.filter(pl.col("game_id") == "0012500001").row(0, named=True)
    assert lal["game_date"] == dt.date(2025, 10, 3)
    assert lal["tipoff_utc"] == dt.datetime(2025, 10, 4, 2, 0, tzinfo=UTC)
    assert (lal["home_team"], lal["away_team"], lal["home_team_id"]) == ("LAL", "PHX", 1610612747)


def test_real_cdn_schedule_game_dates_filter() -> None:
    body = sample("nbacom/schedule_cdn_2025-26_excerpt.json")
    days = {dt.date(2025, 10, 12), dt.date(2025, 10, 3)}
    res = P.parse_nbacom_schedule(body, "sched.json", game_dates=days)
    assert sorted(res.rows["game_id"].to_list()) == ["0012500001", "0012500004", "0012500013"]
    assert [r["source_game_id"] for r in rejects_of(res)] == ["0012500009"]  # only the filtered day's reject


def test_real_api_schedule_fixture() -> None:
    res = P.parse_nbacom_schedule(sample("nbacom/schedule_api_fixture.json"), "api.json")
    assert res.rejects.height == 0
    ScheduleContract.validate(res.rows)
    row = res.rows.row(0, named=True)
    assert row == {
        "game_date": dt.date(2025, 1, 20), "game_id": "0022400612", "season_year": 2024,
        "season_type": "regular", "nbacom_game_code": "20250120/BOSLAL", "home_team": "LAL",
        "away_team": "BOS", "home_team_id": 1610612747, "away_team_id": 1610612738,
        "tipoff_utc": dt.datetime(2025, 1, 21, 0, 30, tzinfo=UTC), "status": 3, "postponed": False, "home_score": 110,
        "away_score": 105, "landing_file": "api.json",
    }  # fmt: skip


LAL, BOS = ("LAL", 1610612747), ("BOS", 1610612738)


def sched_game(gid: str, home: tuple[str, int] = LAL, away: tuple[str, int] = BOS, status: int = 3,
               **over: Any) -> dict[str, Any]:  # fmt: skip
    g = {"gameId": gid, "gameCode": "x", "gameStatus": status, "gameDateEst": "2025-04-20T00:00:00Z",
         "gameDateTimeUTC": "2025-04-20T23:00:00Z",
         "homeTeam": {"teamId": home[1], "teamTricode": home[0], "score": 101},
         "awayTeam": {"teamId": away[1], "teamTricode": away[0], "score": 99}}  # fmt: skip
    g.update(over)
    return g


def sched_body(games: list[dict[str, Any]]) -> dict[str, Any]:
    return {"leagueSchedule": {"gameDates": [{"gameDate": "04/20/2025 00:00:00", "games": games}]}}


def test_schedule_rules() -> None:
    cdn_late_tip = {"gameDateTimeUTC": None, "gameDateTimeEst": None, "gameDateUTC": "2025-04-20T04:00:00Z",
                    "gameTimeUTC": "1900-01-01T01:30:00Z"}  # fmt: skip
    body = sched_body([
        sched_game("0042400101"),                                   # playoffs, final
        sched_game("0052400101", status=2),                         # play-in, live: no score
        sched_game("0032400001", home=("LBN", 1610616833)),         # All-Star "team"
        sched_game("0062400001"),                                   # NBA Cup final: its own type
        sched_game("0022400999", status=7),
        sched_game("0022400998", home=("LAL", 1610612738)),         # id of BOS with tricode LAL
        sched_game("0022400997", **cdn_late_tip),
        sched_game("0022400996", awayTeam={"teamId": BOS[1], "teamTricode": "BOS", "score": None}),
    ])  # fmt: skip
    res = P.parse_nbacom_schedule(body, "s.json")
    ScheduleContract.validate(res.rows)
    got = {r["game_id"]: r for r in res.rows.to_dicts()}
    assert set(got) == {"0042400101", "0052400101", "0022400997", "0062400001"}
    assert (got["0062400001"]["season_type"], got["0062400001"]["season_year"]) == ("cup-final", 2024)
    assert (got["0042400101"]["season_type"], got["0042400101"]["home_score"]) == ("playoffs", 101)
    assert (got["0052400101"]["season_type"], got["0052400101"]["home_score"]) == ("play-in", None)
    # gameDateUTC is ET midnight in UTC: 01:30 UTC belongs to the next UTC day.
    assert got["0022400997"]["tipoff_utc"] == dt.datetime(2025, 4, 21, 1, 30, tzinfo=UTC)
    rej = {r["source_game_id"]: (r["field"], r["rule"]) for r in rejects_of(res)}
    assert rej["0032400001"] == ("homeTeam.teamTricode", P.EXHIBITION_RULE)  # All-Star: an exhibition
    assert rej["0022400999"] == ("gameStatus", "status must be 1, 2 or 3")
    assert rej["0022400998"] == ("homeTeam.teamId", "team id does not match tricode LAL")
    assert rej["0022400996"] == ("awayTeam.score", "final score must be an integer 0-250")
    assert all(r["game_date"] == dt.date(2025, 4, 20) for r in rejects_of(res))


def test_schedule_bad_game_id_and_shape() -> None:
    res = P.parse_nbacom_schedule(sched_body([sched_game("22400612x")]), "s.json")
    assert [(r["field"], r["rule"]) for r in rejects_of(res)] == [("gameId", "game id must be 10 digits")]
    res = P.parse_nbacom_schedule({"meta": {}}, "s.json")
    assert res.rows.columns == tables.SCHEDULE.empty().columns and res.rejects.height == 1


# ------------------------------------------------------------------------------------- Odds API
def odds_event(bookmakers: list[dict[str, Any]], commence: str = "2025-01-21T00:30:00Z") -> dict[str, Any]:
    return {"id": "ev1", "sport_key": "basketball_nba", "commence_time": commence,
            "home_team": "Los Angeles Clippers", "away_team": "Phoenix Suns",
            "bookmakers": bookmakers}  # fmt: skip


def book(key: str, outcomes: list[dict[str, Any]], last_update: str = "2025-01-20T18:00:00Z") -> dict:
    return {"key": key, "last_update": last_update,
            "markets": [{"key": "player_points", "last_update": last_update, "outcomes": outcomes}]}


def ou(name: str, point: Any, over: Any, under: Any) -> list[dict[str, Any]]:
    return [{"name": "Over", "description": name, "price": over, "point": point},
            {"name": "Under", "description": name, "price": under, "point": point}]


def test_real_event_odds_fixture_pairs_over_under() -> None:
    body = sample("oddsapi/event_odds_player_props_fixture.json")
    res = P.parse_odds_event_odds(body, "o.json")
    assert res.rejects.height == 0
    PropLineContract.validate(res.rows)
    assert res.rows.columns == tables.PROP_LINES.empty().columns
    rows = {(r["player_lookup"], r["bookmaker"]): r for r in res.rows.to_dicts()}
    assert set(rows) == {
        ("lebronjames", "draftkings"), ("anthonydavis", "draftkings"), ("lebronjames", "fanduel")
    }  # fmt: skip
    lbj = rows[("lebronjames", "draftkings")]
    assert (lbj["line"], lbj["over_price"], lbj["under_price"]) == (25.5, -115.0, -105.0)
    assert (lbj["home_team"], lbj["away_team"], lbj["game_date"]) == ("LAL", "BOS", dt.date(2025, 1, 20))
    assert lbj["snapshot_ts"] == dt.datetime(2025, 1, 20, 18, 0, tzinfo=UTC)
    assert lbj["minutes_before_tip"] == 390.0
    # FanDuel's market has no last_update: the bookmaker's is the snapshot time.
    assert rows[("lebronjames", "fanduel")]["snapshot_ts"] == dt.datetime(2025, 1, 20, 17, 55, tzinfo=UTC)


def test_historical_wrapper_timestamp_is_the_snapshot() -> None:
    event = sample("oddsapi/event_odds_player_props_fixture.json")
    wrapped = {"timestamp": "2025-01-20T16:00:00Z", "previous_timestamp": "2025-01-20T15:55:00Z",
               "next_timestamp": "2025-01-20T16:05:00Z", "data": event}  # fmt: skip
    res = P.parse_odds_event_odds(wrapped, "h.json", snapshot_ts=dt.datetime(2025, 1, 1, tzinfo=UTC))
    assert res.rows.height == 3
    assert res.rows["snapshot_ts"].unique().to_list() == [dt.datetime(2025, 1, 20, 16, 0, tzinfo=UTC)]
    assert res.rows["minutes_before_tip"].unique().to_list() == [510.0]


def test_real_historical_events_map_every_team_and_give_no_lines() -> None:
    body = sample("oddsapi/historical_events_2025-03-09.json")
    res = P.parse_odds_event_odds(body, "he.json")
    assert res.rows.height == 0 and res.rejects.height == 0  # every full name (incl. LA Clippers) maps


def test_decimal_prices_are_converted_to_american() -> None:
    assert P.to_american_odds(1.91) == pytest.approx(-109.89, abs=0.01)
    assert P.to_american_odds(2.5) == 150.0
    assert P.to_american_odds(2.0) == 100.0
    assert P.to_american_odds(-110) == -110.0 and P.to_american_odds(130) == 130.0
    for bad in (0.5, 1.0, -50, 0, True, "1.91", float("inf"), None):
        with pytest.raises(ValueError):
            P.to_american_odds(bad)
    body = odds_event([book("pinnacle", ou("Kevin Durant", 26.5, 1.91, 1.95))])
    res = P.parse_odds_event_odds(body, "o.json")
    row = res.rows.row(0, named=True)
    assert row["over_price"] == pytest.approx(-109.89, abs=0.01)
    assert row["under_price"] == pytest.approx(-105.26, abs=0.01)
    assert (row["home_team"], row["away_team"]) == ("LAC", "PHX")


def test_in_game_snapshot_has_negative_minutes_before_tip() -> None:
    body = odds_event([book("dk", ou("Kevin Durant", 14.5, -110, -110))])
    snap = dt.datetime(2025, 1, 21, 1, 15, tzinfo=UTC)  # 45 minutes after tip
    res = P.parse_odds_event_odds(body, "o.json", snapshot_ts=snap)
    assert res.rows["minutes_before_tip"].to_list() == [-45.0]
    assert res.rows["snapshot_ts"].to_list() == [snap]


def test_odds_record_rules() -> None:
    outcomes = (
        ou("Kevin Durant", 26.5, -110, -110)
        + [{"name": "Over", "description": "Devin Booker", "price": -120, "point": 24.5}]  # lone side
        + ou("Bad Price", 10.5, 0.5, -110)
        + ou("No Line", None, -110, -110)
        + ou("Huge Line", 99.5, -110, -110)
        + ou("", 12.5, -110, -110)
    )
    other_market = {"key": "player_rebounds", "outcomes": ou("Kevin Durant", 7.5, 1, 1)}
    bk = book("dk", outcomes)
    bk["markets"].append(other_market)
    res = P.parse_odds_event_odds(odds_event([bk]), "o.json")
    PropLineContract.validate(res.rows)
    rows = {r["player_lookup"]: r for r in res.rows.to_dicts()}
    assert set(rows) == {"kevindurant", "devinbooker"}
    assert (rows["devinbooker"]["over_price"], rows["devinbooker"]["under_price"]) == (-120.0, None)
    rej = {r["player"]: (r["field"], r["rule"]) for r in rejects_of(res)}
    assert rej["Bad Price"] == ("dk.over.price", "price is neither American nor decimal odds")
    assert rej["No Line"] == ("dk.point", "line is required")
    assert rej["Huge Line"][0] == "dk.point" and "0.5-80" in rej["Huge Line"][1]
    assert rej[""] == ("dk.description", "player name is required")


def test_odds_unknown_team_and_empty_bookmakers() -> None:
    bad = odds_event([book("dk", ou("Kevin Durant", 26.5, -110, -110))])
    bad["home_team"] = "Seattle SuperSonics"
    res = P.parse_odds_event_odds(bad, "o.json")
    assert res.rows.height == 0
    [rej] = rejects_of(res)
    assert (rej["field"], rej["value"], rej["rule"], rej["player"]) == (
        "home_team", "Seattle SuperSonics", "unknown team name", "Kevin Durant")
    empty = P.parse_odds_event_odds(odds_event([]), "o.json")
    assert empty.rows.height == 0 and empty.rejects.height == 0
    assert empty.rows.schema == tables.PROP_LINES.empty().schema


def test_odds_game_date_is_eastern_and_naive_snapshot_is_refused() -> None:
    body = odds_event([book("dk", ou("Kevin Durant", 26.5, -110, -110))], commence="2025-03-10T03:30:00Z")
    res = P.parse_odds_event_odds(body, "o.json")
    assert res.rows["game_date"].to_list() == [dt.date(2025, 3, 9)]  # 23:30 EDT on Mar 9
    with pytest.raises(ValueError, match="timezone-aware"):
        P.parse_odds_event_odds(body, "o.json", snapshot_ts=dt.datetime(2025, 3, 9, 12))


def test_odds_a_ladder_of_lines_keeps_the_most_even_priced_and_names_the_others() -> None:
    """Kambi's books list several lines per player in player_points (a real capture: the README)."""
    ladder = ou("Kevin Durant", 27.5, 120, -150) + ou("Kevin Durant", 26.5, -110, -110) + ou(
        "Kevin Durant", 25.5, -140, 110)
    res = P.parse_odds_event_odds(odds_event([book("dk", ladder)]), "o.json")
    assert res.rows.select("line", "over_price", "under_price").rows() == [(26.5, -110.0, -110.0)]
    assert res.rejects.height == 0
    assert sorted(res.duplicates["value"].to_list()) == ["25.5", "27.5"]
    assert set(res.duplicates["field"]) == {"dk.point"}


def test_odds_two_lines_for_one_player_and_book_without_both_prices_conflict() -> None:
    """Nothing says which is the main line when a rung lacks a side: both are rejected by rule."""
    two_lines = ou("Kevin Durant", 26.5, -110, -110)[:1] + ou("Kevin Durant", 27.5, 120, -150)[:1]
    res = P.parse_odds_event_odds(odds_event([book("dk", two_lines)]), "o.json")
    assert res.rows.height == 0
    assert [r["field"] for r in rejects_of(res)] == ["line,over_price"] * 2


# ------------------------------------------------------------------------------------- injuries
def test_real_injuries_sample() -> None:
    ts = dt.datetime(2025, 3, 9, 10, tzinfo=P.ET)
    body = sample("bdl/injuries_sample.json")
    res = P.parse_bdl_injuries(body, "i.json", report_ts=ts, game_date=dt.date(2025, 3, 9))
    assert res.rejects.height == 0
    InjuryContract.validate(res.rows)
    assert res.rows.select("player_lookup", "team", "status").rows() == [
        ("jaylenbrown", "BOS", "Day-To-Day"), ("jaysontatum", "BOS", "Out")]
    assert res.rows["report_ts"].unique().to_list() == [dt.datetime(2025, 3, 9, 14, tzinfo=UTC)]
    assert res.rows["return_date"].to_list() == ["Oct 1", "Feb 1"]


def test_injury_rules() -> None:
    def item(pid: int, first: str, last: str, team_id: Any, status: Any = "Out") -> dict[str, Any]:
        return {"player": {"id": pid, "first_name": first, "last_name": last, "team_id": team_id},
                "status": status, "return_date": None, "description": "x"}  # fmt: skip

    body = {"data": [item(1, "Nikola", "Jokić", 8), item(1, "Nikola", "Jokić", 8),
                     item(2, "No", "Team", 31), item(3, "No", "Status", 2, status="  ")]}  # fmt: skip
    res = P.parse_bdl_injuries(body, "i.json", report_ts=dt.datetime(2025, 3, 9, 15, tzinfo=UTC),
                               game_date=dt.date(2025, 3, 9))  # fmt: skip
    got = res.rows.select("player_name", "player_lookup", "team").rows()
    assert got == [("Nikola Jokić", "nikolajokic", "DEN")]
    rej = {r["player"]: (r["field"], r["rule"]) for r in rejects_of(res)}
    assert rej == {"No Team": ("player.team_id", "unknown team id"),
                   "No Status": ("status", "injury status is required")}  # fmt: skip


# ------------------------------------------------------------------------------ latest_fetch_wins
def test_latest_fetch_wins_later_fetch_replaces_earlier() -> None:
    key = list(tables.BDL_BOXSCORES.business_key)
    first = [stat_line(1, "A", "One"), stat_line(2, "B", "Two")]
    corrected = [stat_line(2, "B", "Two", pts=22, ftm=6, fta=6)]
    early = P.parse_bdl_box_scores({"data": [box_game(1, "BOS", "TOR", first, [])]}, "old.json")
    late = P.parse_bdl_box_scores({"data": [box_game(1, "BOS", "TOR", corrected, [])]}, "new.json")
    out = P.latest_fetch_wins([early.rows, late.rows], key)
    got = out.select("player_id", "points", "landing_file").rows()
    assert got == [(1, 20, "old.json"), (2, 22, "new.json")]
    assert P.latest_fetch_wins([late.rows, early.rows], key)["points"].to_list() == [20, 20]  # order matters


def test_latest_fetch_wins_collapses_duplicates_and_orders_deterministically() -> None:
    players = [stat_line(i, "P", f"N{i}") for i in range(1, 9)]
    rows = P.parse_bdl_box_scores({"data": [box_game(3, "BOS", "TOR", players, [])]}, "a.json").rows
    key = list(tables.BDL_BOXSCORES.business_key)
    shuffled = rows.sample(fraction=1.0, shuffle=True, seed=7)
    doubled = pl.concat([shuffled, shuffled.head(3)])
    a = P.latest_fetch_wins([doubled], key)
    b = P.latest_fetch_wins([rows, rows.reverse()], key)
    assert a.height == 8 and a.equals(b) and a.equals(rows)
    assert a["player_id"].to_list() == list(range(1, 9))
    with pytest.raises(ValueError):
        P.latest_fetch_wins([], key)


def test_reparsing_the_same_file_is_identical() -> None:
    body = sample("bdl/box_scores_2026-01-09.json")
    a = P.parse_bdl_box_scores(body, "x.json").rows
    b = P.parse_bdl_box_scores(copy.deepcopy(body), "x.json").rows
    assert a.equals(b)
    assert a.select(list(tables.BDL_BOXSCORES.business_key)).is_duplicated().sum() == 0


def test_season_out_of_range_and_rescheduled_game_kept_on_both_dates() -> None:
    game = box_game(1, "BOS", "TOR", [stat_line(1, "A", "One")], [])
    game["season"] = 25  # a two-digit season would put the row in the wrong century
    [rej] = rejects_of(P.parse_bdl_box_scores({"data": [game]}, "f.json"))
    assert (rej["field"], rej["rule"]) == ("game.season", "season must be a start year 1946-2100")

    postponed = sched_game("0022400500", status=1)
    replayed = sched_game("0022400500", status=1, gameDateEst="2025-04-22T00:00:00Z",
                          gameDateTimeUTC="2025-04-22T23:00:00Z")  # fmt: skip
    res = P.parse_nbacom_schedule(sched_body([postponed, replayed]), "s.json")
    assert res.rows.select("game_date", "game_id").rows() == [
        (dt.date(2025, 4, 20), "0022400500"), (dt.date(2025, 4, 22), "0022400500")]
    assert res.describe_rejects() == []
    bad = P.parse_nbacom_schedule(sched_body([sched_game("0022400501", status=9)]), "s.json")
    assert bad.describe_rejects() == [
        "nbacom schedule game 0022400501 (2025-04-20): field gameStatus=9 violates 'status must be 1, 2 or 3'"
    ]


def test_a_game_the_status_text_calls_off_is_marked_postponed() -> None:
    games = [sched_game(f"00224005{i:02d}", status=1, gameStatusText=text)
             for i, text in enumerate(["PPD", "Postponed", " cancelled", "7:00 pm ET", None])]
    games.append(sched_game("0022400599", status=1, postponedStatus="Y"))  # the flag alone: not trusted
    res = P.parse_nbacom_schedule(sched_body(games), "s.json")
    assert res.rows["postponed"].to_list() == [True, True, True, False, False, False]


def test_non_string_name_and_non_dict_records_are_rejects_not_crashes() -> None:
    body = odds_event([book("dk", [{"name": "Over", "description": 23, "price": -110, "point": 20.5}])])
    [rej] = rejects_of(P.parse_odds_event_odds(body, "o.json"))
    assert (rej["player"], rej["rule"]) == ("23", "player name is required")
    res = P.parse_bdl_stats({"data": ["not a record", stats_row(1, "Devin Booker", "PHX")]}, "s.json")
    assert res.rows["player_id"].to_list() == [1]
    assert [r["field"] for r in rejects_of(res)] == ["game.id"]


def test_newest_game_ids_keeps_every_page_of_a_game_and_drops_only_an_old_numbering() -> None:
    def rows(gid: str, pids: list[int]) -> pl.DataFrame:
        return pl.DataFrame({"game_date": [dt.date(2026, 1, 9)] * len(pids), "home_team": ["BOS"] * len(pids),
                             "away_team": ["TOR"] * len(pids), "source_game_id": [gid] * len(pids),
                             "player_id": pids})  # fmt: skip

    # A game split over two pages of one fetch: same id, every page kept, nothing recorded.
    pages, changed = P.newest_game_ids([rows("1", [1, 2]), rows("1", [3])], "source_game_id")
    assert [f.height for f in pages] == [2, 1] and changed.height == 0
    # A later fetch renumbers it: the old numbering's rows go, the change is named (old, new).
    kept, changed = P.newest_game_ids([rows("1", [1, 2]), rows("1", [3]), rows("7", [1, 2, 3])], "source_game_id")
    assert [f.height for f in kept] == [0, 0, 3]
    assert changed.select("old_id", "new_id").rows() == [("1", "7")]


def test_a_non_nba_team_outside_an_exhibition_is_still_a_reject_and_exhibitions_pass_the_rejects_check() -> None:
    from nba_assets.raw import rejects_check

    body = sample("nbacom/schedule_cdn_2025-26_excerpt.json")
    exhibition = copy.deepcopy(body)
    res = P.parse_nbacom_schedule(exhibition, "sched.json")
    check = rejects_check(res.rejects)
    assert check.passed and check.metadata["out_of_scope_count"].value == 2
    assert "0012500009" in check.metadata["out_of_scope"].value
    for d in body["leagueSchedule"]["gameDates"]:  # the same games, as regular-season ids
        for g in d["games"]:
            g["gameId"] = "002" + g["gameId"][3:]
    rejects = rejects_of(P.parse_nbacom_schedule(body, "sched.json"))
    assert {(r["source_game_id"], r["rule"]) for r in rejects} == {
        ("0022500009", "not an NBA franchise"), ("0022500011", "not an NBA franchise")}
    assert not rejects_check(P.parse_nbacom_schedule(body, "sched.json").rejects).passed


# ------------------------------------------------------------------------------ fuzz regressions
@pytest.mark.parametrize(("field", "value", "rule"), [
    ("fga", 10**20, "fga must be <= 1000"),
    ("pf", 2**63, "pf must be <= 1000"),
])  # fmt: skip
def test_a_count_past_any_stat_line_is_rejected_and_the_other_lines_land(field: str, value: int, rule: str) -> None:
    """Regression (tests/fuzz): an integer past 64 bits took the whole response down (polars could not
    build the frame) instead of rejecting its one line."""
    body = {"data": [stats_row(1, "Good Player", "NYK"), stats_row(2, "Bad Player", "NYK", **{field: value})]}
    res = P.parse_bdl_stats(body, "s.json")
    assert res.rows["player_name"].to_list() == ["Good Player"]
    assert [(r["player"], r["field"], r["rule"]) for r in rejects_of(res)] == [("Bad Player", field, rule)]


def test_a_player_id_past_64_bits_is_rejected_and_the_other_lines_land() -> None:
    """Regression (tests/fuzz): as above, for the id."""
    bad = stats_row(2, "Bad Player", "NYK")
    bad["player"]["id"] = 10**20
    res = P.parse_bdl_stats({"data": [stats_row(1, "Good Player", "NYK"), bad]}, "s.json")
    assert res.rows["player_name"].to_list() == ["Good Player"]
    assert [(r["field"], r["rule"]) for r in rejects_of(res)] == [("player.id", "id must be a positive 64-bit integer")]


@pytest.mark.parametrize("field", ["point", "description", "price"])
def test_odds_an_outcome_with_a_list_for_a_value_is_a_reject_and_the_other_lines_land(field: str) -> None:
    """Regression (tests/fuzz): a list as an outcome's point, description or price raised TypeError (an
    unhashable pairing key), so the whole event's lines were lost."""
    lines = ou("Kevin Durant", 26.5, -110, -110) + ou("Devin Booker", 24.5, -115, -105)
    lines[0][field] = [lines[0][field]]
    res = P.parse_odds_event_odds(odds_event([book("dk", lines)]), "o.json")
    if field == "price":  # the pair is one record: its bad Over price rejects it
        assert res.rows["player_name"].to_list() == ["Devin Booker"]
        assert [(r["field"], r["value"]) for r in rejects_of(res)] == [("dk.over.price", "[-110]")]
        return
    # Durant's Under still stands alone (a lone side keeps a null price on the other)
    assert res.rows["player_name"].to_list() == ["Devin Booker", "Kevin Durant"]
    assert res.rows["over_price"].to_list() == [-115.0, None]
    assert [(r["field"], r["player"]) for r in rejects_of(res)] == [
        (f"dk.{field}", "['Kevin Durant']" if field == "description" else "Kevin Durant")]


@pytest.mark.parametrize("where", ["markets", "outcomes", "bookmakers"])
def test_odds_a_list_of_records_that_is_not_a_list_is_named_and_the_other_books_land(where: str) -> None:
    """Regression (tests/fuzz): a number where a list of markets (outcomes, books) belongs raised
    TypeError and lost the whole response."""
    body = odds_event([book("dk", ou("Kevin Durant", 26.5, -110, -110)), book("fd", ou("Kevin Durant", 26.5, -112, -108))])
    if where == "markets":
        body["bookmakers"][0]["markets"] = 7
    elif where == "outcomes":
        body["bookmakers"][0]["markets"][0]["outcomes"] = 7
    else:
        body = {"data": [body, {**body, "id": "ev2", "bookmakers": 7}]}
    res = P.parse_odds_event_odds(body, "o.json")
    assert res.rows["bookmaker"].to_list() == (["dk", "fd"] if where == "bookmakers" else ["fd"])
    assert [(r["field"], r["value"], r["rule"]) for r in rejects_of(res)] == [
        (where, "7", f"{where} must be a list")]


def test_box_scores_players_that_are_not_a_list_are_named_and_the_other_team_lands() -> None:
    """Regression (tests/fuzz): a number for a team's players raised TypeError."""
    game = box_game(7, "BOS", "TOR", [stat_line(1, "Home", "Player")], [stat_line(2, "Away", "Player")])
    game["home_team"]["players"] = 5
    res = P.parse_bdl_box_scores({"data": [game]}, "b.json")
    assert res.rows["player_name"].to_list() == ["Away Player"]
    assert [(r["source_game_id"], r["field"], r["rule"]) for r in rejects_of(res)] == [
        ("7", "home_team.players", "home_team.players must be a list")]
