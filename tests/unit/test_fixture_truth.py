"""The real (or exact-format) response of every endpoint we call, checked against a truth computed
without our parsers: team totals equal the final scores the response itself (or another source) states,
record counts found by a text search of the raw bytes, lines read straight from the JSON.

Where each file comes from: tests/fixtures/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import polars as pl
import pytest

from nba_assets.partitions import ET
from resources import parsers as P
from resources.clients import events_on
from tests.conftest import FIXTURES


def raw(rel: str) -> str:
    return (FIXTURES / rel).read_text(encoding="utf-8")


def body(rel: str) -> Any:
    return json.loads(raw(rel))


def team_points(rows: pl.DataFrame) -> dict[tuple[str, str], int]:
    """{(source_game_id, team): points} of parsed box lines."""
    got = rows.group_by("source_game_id", "team").agg(pl.col("points").sum())
    return {(g, t): p for g, t, p in got.iter_rows()}


# ------------------------------------------------------------------------ Ball Don't Lie /v1/box_scores
def test_bdl_box_scores_team_totals_are_the_final_scores_and_every_listed_player_lands() -> None:
    text = raw("bdl/box_scores_2026-01-09.json")
    b = json.loads(text)
    truth: dict[tuple[str, str], int] = {}
    for g in b["data"]:
        for side, score_key, prefix in (("home_team", "home_team_score", "home"),
                                        ("visitor_team", "visitor_team_score", "visitor")):
            score = g[score_key]
            # The quarter scores the API gives add up to the same final score (a second route).
            assert score == sum(g[f"{prefix}_q{q}"] for q in range(1, 5))
            truth[(str(g["id"]), g[side]["abbreviation"])] = score
    assert truth == {("18447346", "BOS"): 125, ("18447346", "TOR"): 117,
                     ("18447349", "BKN"): 105, ("18447349", "LAC"): 121}  # fmt: skip
    got = P.parse_bdl_box_scores(b, "f")
    assert got.rejects.height == 0
    assert team_points(got.rows) == truth
    # One row per stat line: the raw text holds one `"player": {` object per line.
    assert got.rows.height == len(re.findall(r'"player"\s*:\s*\{', text)) == 69


# ---------------------------------------------------------------------------- Ball Don't Lie /v1/stats
def test_bdl_stats_of_a_whole_game_add_up_to_its_final_score() -> None:
    text = raw("bdl/stats_2025-06-22_finals_game7.json")
    b = json.loads(text)
    game = b["data"][0]["game"]
    # Every line carries the game; the score is the API's own, not a sum of lines.
    assert {json.dumps(line["game"], sort_keys=True) for line in b["data"]} == {json.dumps(game, sort_keys=True)}
    truth = {("18444564", "OKC"): game["home_team_score"], ("18444564", "IND"): game["visitor_team_score"]}
    assert truth == {("18444564", "OKC"): 103, ("18444564", "IND"): 91}
    got = P.parse_bdl_stats(b, "f")
    assert got.rejects.height == 0
    assert team_points(got.rows) == truth
    assert got.rows.height == len(re.findall(r'"player"\s*:\s*\{', text)) == 30
    assert got.rows["dnp"].sum() == sum(1 for line in b["data"] if line["min"] in ("00", "0", None, ""))


# ----------------------------------------------------------------------- Ball Don't Lie /v1/player_injuries
def test_bdl_injuries_one_row_per_listed_player_with_the_status_as_given() -> None:
    text = raw("bdl/injuries_sample.json")
    truth = dict(re.findall(r'"first_name":"([^"]+)","last_name":"([^"]+)"', text))
    statuses = re.findall(r'"status":"([^"]+)"', text)
    report = dt.datetime(2025, 10, 1, 14, tzinfo=dt.UTC)
    got = P.parse_bdl_injuries(json.loads(text), "f", report_ts=report, game_date=dt.date(2025, 10, 1))
    assert got.rejects.height == 0
    assert sorted(got.rows["player_name"]) == sorted(f"{first} {last}" for first, last in truth.items())
    assert sorted(got.rows["status"]) == sorted(statuses) == ["Day-To-Day", "Out"]


# ----------------------------------------------------------------------------- NBA.com leaguegamelog (P)
def test_nbacom_game_log_team_totals_equal_the_other_sources_final_scores() -> None:
    """The game log (hand-made from the real BDL lines, see the README) against the final scores of the
    real BDL box score response: a second source's truth."""
    text = raw("nbacom/leaguegamelog_2026-01-09_handmade.json")
    finals = body("bdl/box_scores_2026-01-09.json")["data"]
    ids = {18447346: "0022500531", 18447349: "0022500534"}
    truth = {}
    for g in finals:
        truth[(ids[g["id"]], g["home_team"]["abbreviation"])] = g["home_team_score"]
        truth[(ids[g["id"]], g["visitor_team"]["abbreviation"])] = g["visitor_team_score"]
    got = P.parse_nbacom_leaguegamelog(json.loads(text), "f")
    assert got.rejects.height == 0
    assert team_points(got.rows) == truth
    # One row per player who played: one rowSet line each, found by its season-id prefix.
    assert got.rows.height == len(re.findall(r'^\["22025",', text, flags=re.M)) == 43
    assert not got.rows["dnp"].any()


# --------------------------------------------------------------------------------- NBA.com schedule
def test_nbacom_schedule_keeps_the_games_between_franchises_and_names_the_others() -> None:
    text = raw("nbacom/schedule_cdn_2025-26_excerpt.json")
    games = re.findall(r'"gameId"\s*:\s*"(\d{10})"', text)
    b = json.loads(text)
    franchise = {}  # every NBA team id is 16106127xx; the overseas clubs' are not
    for day in b["leagueSchedule"]["gameDates"]:
        for g in day["games"]:
            ids = (g["homeTeam"]["teamId"], g["awayTeam"]["teamId"])
            franchise[g["gameId"]] = all(str(i).startswith("16106127") for i in ids)
    assert sorted(games) == sorted(franchise) and len(games) == 5
    got = P.parse_nbacom_schedule(b, "f")
    assert sorted(got.rows["game_id"]) == sorted(g for g, ok in franchise.items() if ok)
    assert sorted(got.rejects["source_game_id"]) == sorted(g for g, ok in franchise.items() if not ok)
    assert set(got.rejects["rule"]) == {P.EXHIBITION_RULE}  # preseason exhibitions: out of scope
    # Tip-off: the CDN's own UTC timestamp, read here with the standard library.
    utc = {g["gameId"]: dt.datetime.fromisoformat(g["gameDateTimeUTC"].replace("Z", "+00:00"))
           for day in b["leagueSchedule"]["gameDates"] for g in day["games"]}
    for gid, tip in zip(got.rows["game_id"], got.rows["tipoff_utc"], strict=True):
        assert tip == utc[gid]


def test_nbacom_schedule_api_final_scores_are_the_payloads() -> None:
    b = body("nbacom/schedule_api_fixture.json")
    finals = {g["gameId"]: (g["homeTeam"]["score"], g["awayTeam"]["score"])
              for day in b["leagueSchedule"]["gameDates"] for g in day["games"] if g["gameStatus"] == 3}
    got = P.parse_nbacom_schedule(b, "f").rows.filter(pl.col("status") == 3)
    assert {r["game_id"]: (r["home_score"], r["away_score"]) for r in got.iter_rows(named=True)} == finals


# ------------------------------------------------------------------------- The Odds API v4 event odds
def test_odds_event_player_points_one_row_per_book_and_player_at_the_books_main_line() -> None:
    text = raw("oddsapi/event_odds_2024-02-22_ORL_at_CLE.json")
    b = json.loads(text)
    lines: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    for book in b["bookmakers"]:
        outcomes = book["markets"][0]["outcomes"]
        prices = {(o["description"], o["point"], o["name"]): o["price"] for o in outcomes}
        for (name, point, side), _ in prices.items():
            if side == "Over":
                lines.setdefault((book["key"], name), []).append(
                    (point, prices[(name, point, "Over")], prices[(name, point, "Under")]))
    ladders = {k for k, v in lines.items() if len(v) > 1}
    assert {book for book, _ in ladders} == {"unibet_us"}  # the Kambi book lists a ladder per player
    got = P.parse_odds_event_odds(b, "f")
    assert got.rejects.height == 0
    assert got.rows.height == len(lines) == 49
    # Every ladder rung but the main one is named (WARN), none rejected.
    assert got.duplicates.height == sum(len(v) - 1 for v in lines.values()) == 56
    assert set(got.duplicates["rule"]) == {"alternate line of a ladder (the book's most even-priced line is kept)"}
    rows = {(r["bookmaker"], r["player_name"]): r for r in got.rows.iter_rows(named=True)}
    for key, offered in lines.items():
        if key in ladders:
            continue
        (point, over, under), = offered
        r = rows[key]
        assert (r["line"], r["over_price"], r["under_price"]) == (point, over, under)
    # A ladder's kept line is its rung whose Over and Under imply the closest probabilities.
    def implied(american: int) -> float:
        return 100 / (american + 100) if american > 0 else -american / (-american + 100)

    for key in ladders:
        main = min(lines[key], key=lambda rung: (abs(implied(rung[1]) - implied(rung[2])), rung[0]))
        assert (rows[key]["line"], rows[key]["over_price"], rows[key]["under_price"]) == main, key
    commence = dt.datetime.fromisoformat(b["commence_time"].replace("Z", "+00:00"))
    assert set(got.rows["game_date"]) == {commence.astimezone(ET).date()} == {dt.date(2024, 2, 22)}
    assert set(got.rows["home_team"]) == {"CLE"} and set(got.rows["away_team"]) == {"ORL"}


# -------------------------------------------------------------------------- The Odds API v4 events
def test_odds_historical_events_of_a_day_are_the_ones_tipping_off_that_et_date() -> None:
    text = raw("oddsapi/historical_events_2025-03-09.json")
    stamps = re.findall(r'"id":"([0-9a-f]{32})","sport_key":"basketball_nba","sport_title":"NBA",'
                        r'"commence_time":"([^"]+)"', text)
    day = dt.date(2025, 3, 9)
    truth = [i for i, ts in stamps
             if dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).astimezone(ET).date() == day]
    b = json.loads(text)
    assert len(stamps) == len(b["data"])
    assert [e["id"] for e in events_on(b["data"], day)] == truth and truth


@pytest.mark.parametrize("bad", [{"id": "x", "commence_time": "tonight"}, {"id": "y", "commence_time": 17},
                                 {"commence_time": "2025-03-09T23:00:00Z"}, "junk", None])
def test_one_unreadable_event_is_skipped_and_the_days_other_events_kept(bad: Any) -> None:
    """Regression (fuzz): a commence_time that is not ISO 8601 raised out of fetch_events, so no event
    of the day was walked."""
    b = body("oddsapi/historical_events_2025-03-09.json")
    day = dt.date(2025, 3, 9)
    want = [e["id"] for e in events_on(b["data"], day)]
    assert [e["id"] for e in events_on([bad, *b["data"]], day)] == want


def test_every_endpoint_the_clients_call_has_a_fixture_in_the_readme() -> None:
    """The README's table names a response of each endpoint the clients request."""
    readme = raw("README.md")
    endpoints = Counter(re.findall(r'def (?:fetch|probe)_(\w+)\(self', (FIXTURES.parents[1] / "resources" /
                                                                      "clients.py").read_text()))
    named = {"stats": "/v1/stats", "games": "/v1/games", "injuries": "/v1/player_injuries",
             "box_scores": "/v1/box_scores", "leaguegamelog": "leaguegamelog", "schedule": "scheduleleaguev2",
             "events": "events", "event_odds_history": "player_points", "event_odds": "live form"}
    assert set(endpoints) == set(named)
    for endpoint, mention in named.items():
        assert mention in readme, endpoint
