"""raw/game_lines: the parser, the game-line features (no leakage), the sim's market."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import numpy as np
import polars as pl
import pytest

from nba_assets import tables
from nba_assets.logic import game_lines as gl
from nba_assets.logic.history import REFRESH_OFFSETS
from resources import parsers
from resources.clients import iso_z
from resources.sim import SimClock, SimConfig
from resources.sim.game_lines import BOOK_SD, TOTAL_ERROR_SD, build_game_lines
from resources.sim.market import BOOKS, SNAPSHOT_OFFSETS
from resources.sim.transport import sim_transport
from resources.sources import sim_league
from tests.conftest import FIXTURES

UTC = dt.UTC
DAY = dt.date(2026, 1, 9)
TIP = dt.datetime(2026, 1, 10, 0, 30, tzinfo=UTC)  # 19:30 ET on DAY


def _book(key, spread=None, total=None, away_point=None, price=-110):
    markets = []
    if spread is not None:
        markets.append({"key": "spreads", "last_update": "2026-01-09T20:00:00Z", "outcomes": [
            {"name": "Boston Celtics", "price": price, "point": spread},
            {"name": "Toronto Raptors", "price": -110, "point": -spread if away_point is None else away_point}]})
    if total is not None:
        markets.append({"key": "totals", "last_update": "2026-01-09T20:00:00Z", "outcomes": [
            {"name": "Over", "price": price, "point": total}, {"name": "Under", "price": -110, "point": total}]})
    return {"key": key, "title": key, "last_update": "2026-01-09T20:00:00Z", "markets": markets}


def _body(*books, ts="2026-01-09T20:05:00Z"):
    event = {"id": "ev1", "sport_key": "basketball_nba", "commence_time": "2026-01-10T00:30:00Z",
             "home_team": "Boston Celtics", "away_team": "Toronto Raptors", "bookmakers": list(books)}
    return {"timestamp": ts, "previous_timestamp": None, "next_timestamp": None, "data": event}


# ------------------------------------------------------------------------------------------ parser
def test_a_book_gives_one_row_with_spread_and_total_and_a_one_market_book_keeps_the_other_null():
    res = parsers.parse_odds_game_lines(_body(_book("draftkings", -5.5, 221.5), _book("fanduel", total=1.91 + 219)), "f.json")
    tables.GAME_LINES.contract.validate(res.rows)
    rows = {r["bookmaker"]: r for r in res.rows.to_dicts()}
    assert rows["draftkings"]["home_spread"] == -5.5 and rows["draftkings"]["total"] == 221.5
    assert rows["draftkings"]["snapshot_ts"] == dt.datetime(2026, 1, 9, 20, 5, tzinfo=UTC)
    assert rows["draftkings"]["minutes_before_tip"] == pytest.approx(265.0)
    assert rows["fanduel"]["home_spread"] is None and rows["fanduel"]["total"] == pytest.approx(220.91)
    assert (rows["draftkings"]["home_team"], rows["draftkings"]["away_team"]) == ("BOS", "TOR")
    assert res.rejects.height == 0


def test_the_handmade_historical_response_gives_each_books_spread_and_total():
    body = json.loads((FIXTURES / "oddsapi" / "historical_event_odds_spreads_totals_handmade.json").read_text())
    res = parsers.parse_odds_game_lines(body, "f.json")
    assert res.rejects.height == 0
    got = {r["bookmaker"]: (r["home_spread"], r["total"]) for r in res.rows.to_dicts()}
    # the home side is the Lakers: the Celtics favoured by 4.5 means LAL +4.5
    assert got == {"draftkings": (4.5, 229.5), "fanduel": (5.0, 230.0), "betmgm": (None, 229.0)}
    assert set(res.rows["snapshot_ts"]) == {dt.datetime(2025, 1, 20, 23, 55, 39, tzinfo=UTC)}  # the wrapper's


def test_decimal_prices_are_converted_to_american():
    res = parsers.parse_odds_game_lines(_body(_book("betmgm", -2.0, 230.0, price=1.91)), "f.json")
    assert res.rows["home_spread_price"][0] == pytest.approx(-109.89, abs=0.01)


def test_a_bad_spread_is_rejected_by_book_field_and_rule_and_the_books_total_kept():
    res = parsers.parse_odds_game_lines(_body(_book("caesars", -5.5, 221.5, away_point=4.5)), "f.json")
    assert res.rows.height == 1 and res.rows["home_spread"][0] is None and res.rows["total"][0] == 221.5
    bad = res.rejects.to_dicts()[0]
    assert bad["field"] == "caesars.spreads.point" and "negative" in bad["rule"] and bad["source_game_id"] == "ev1"


def test_a_total_out_of_range_or_an_unknown_team_is_rejected_by_name():
    res = parsers.parse_odds_game_lines(_body(_book("draftkings", total=22.5)), "f.json")
    assert res.rows.height == 0 and res.rejects["rule"][0].startswith("point must be a number 150")
    body = _body(_book("draftkings", -5.5, 221.5))
    body["data"]["home_team"] = "Springfield Atoms"
    res = parsers.parse_odds_game_lines(body, "f.json")
    assert res.rows.height == 0 and res.rejects["rule"][0] == "unknown team name"


def test_a_body_that_is_not_odds_is_one_file_reject():
    res = parsers.parse_odds_game_lines("<html>rate limited</html>", "f.json")
    assert res.rows.height == 0 and res.rejects.height == 1 and res.rejects["field"][0] == "data"


# ---------------------------------------------------------------------------------------- features
def _lines(rows: list[tuple[str, dt.timedelta, float | None, float | None]]) -> pl.DataFrame:
    """(book, time before tip, home_spread, total) -> raw/game_lines rows of one BOS-TOR game."""
    out = [{"game_date": DAY, "event_id": "ev1", "commence_time": TIP, "home_team": "BOS", "away_team": "TOR",
            "bookmaker": b, "snapshot_ts": TIP - before, "home_spread": s, "home_spread_price": -110.0,
            "away_spread_price": -110.0, "total": tot, "over_price": -110.0, "under_price": -110.0,
            "minutes_before_tip": before.total_seconds() / 60, "landing_file": "f"} for b, before, s, tot in rows]
    return pl.DataFrame(out, schema=tables.GAME_LINES.empty().schema)


TEAMS = pl.DataFrame({"game_date": [DAY], "home_team": ["BOS"], "away_team": ["TOR"], "tipoff_utc": [TIP]})
ROWS = pl.DataFrame({"game_date": [DAY, DAY], "home_team": ["BOS", "BOS"], "away_team": ["TOR", "TOR"],
                     "player_lookup": ["home1", "away1"], "home": [True, False]})
H = dt.timedelta(hours=1)


def _features(lines: pl.DataFrame) -> dict[str, dict]:
    out = gl.add_game_lines(ROWS, lines, TEAMS)
    return {r["player_lookup"]: r for r in out.to_dicts()}


def test_implied_team_totals_split_the_total_by_the_spread_and_movement_is_latest_minus_opening():
    got = _features(_lines([("dk", 36 * H, -3.5, 218.0), ("dk", 3 * H, -5.5, 220.0), ("fd", 3 * H, -5.5, 222.0)]))
    home, away = got["home1"], got["away1"]
    assert home["team_spread"] == -5.5 and away["team_spread"] == 5.5
    assert home["implied_team_total"] == pytest.approx(221 / 2 + 2.75) and away["implied_team_total"] == pytest.approx(221 / 2 - 2.75)
    # opening: dk 218/-3.5 and fd 222/-5.5 (its first) -> medians 220 and -4.5
    assert home["implied_team_total_movement"] == pytest.approx((110.5 + 2.75) - (110 + 2.25))
    assert home["team_spread_movement"] == pytest.approx(-1.0) and away["team_spread_movement"] == pytest.approx(1.0)


def test_a_snapshot_after_the_prediction_time_or_after_tip_off_is_never_used():
    before = [("dk", 3 * H, -5.5, 220.0)]
    late = [("dk", dt.timedelta(minutes=5), -15.5, 250.0), ("dk", -H, -30.0, 280.0)]  # T-5m and in-game
    assert _features(_lines(before + late)) == _features(_lines(before))
    at_cutoff = [("dk", gl.PREDICTION_LEAD, -7.5, 225.0)]  # taken at the prediction time itself: usable
    assert _features(_lines(before + at_cutoff))["home1"]["team_spread"] == -7.5


def test_movement_is_unknown_while_every_book_has_one_snapshot():
    got = _features(_lines([("dk", 36 * H, -3.5, 218.0), ("fd", 30 * H, -4.5, 219.0)]))["home1"]
    assert got["team_spread"] == -4.0 and got["implied_team_total"] == pytest.approx(109.25 + 2.0)
    assert got["team_spread_movement"] is None and got["implied_team_total_movement"] is None


def test_without_lines_the_columns_are_null_and_the_rows_stay():
    got = _features(tables.GAME_LINES.empty())
    assert set(got) == {"home1", "away1"}
    assert all(got["home1"][c] is None for c in gl.COLUMNS)


def test_the_prediction_time_is_the_last_slate_refresh():
    assert gl.PREDICTION_LEAD == min(REFRESH_OFFSETS.values())


# --------------------------------------------------------------------------------------------- sim
def test_the_sims_lines_follow_the_teams_expected_points_within_the_stated_noise():
    rng = np.random.default_rng(0)
    n = 400
    tips = [dt.datetime(2026, 1, 1, 0, 30, tzinfo=UTC) + dt.timedelta(days=i) for i in range(n)]
    schedule = pl.DataFrame({"game_id": [f"g{i}" for i in range(n)], "game_date": [t.date() for t in tips],
                             "tipoff_utc": tips, "event_id": [f"e{i}" for i in range(n)]})
    home_exp, away_exp = rng.uniform(100, 125, n), rng.uniform(100, 125, n)
    box = pl.DataFrame({"game_id": [f"g{i}" for i in range(n)] * 2, "home": [True] * n + [False] * n,
                        "true_expected_points": np.concatenate([home_exp, away_exp])})
    lines = build_game_lines(7, 2025, schedule, box)
    assert lines.height == n * len(BOOKS) * len(SNAPSHOT_OFFSETS)
    assert (lines["snapshot_ts"] < lines["commence_time"]).all()
    close = lines.filter(pl.col("commence_time") - pl.col("snapshot_ts") == min(SNAPSHOT_OFFSETS))
    truth = pl.DataFrame({"game_id": [f"g{i}" for i in range(n)], "tot": home_exp + away_exp, "m": home_exp - away_exp})
    err = close.join(truth, on="game_id").select(t=pl.col("total") - pl.col("tot"), s=pl.col("home_spread") + pl.col("m"))
    # The closing error: 0.6 of the market's sd plus the book's, and the half-point rounding.
    assert abs(err["t"].mean()) < 0.6 and err["t"].std() == pytest.approx(np.hypot(0.6 * TOTAL_ERROR_SD, BOOK_SD), rel=0.15)
    assert err["s"].std() < 2.5 and abs(err["s"].mean()) < 0.4
    assert build_game_lines(7, 2025, schedule, box).equals(lines)  # seeded


def test_the_sim_answers_game_lines_with_the_days_seeded_503s_then_the_lines():
    # 2026-04-04: the sim seeds two 503s on the Odds API's event odds (resources/sim/faults.py)
    league = sim_league(SimConfig().seed)  # the sources' league: its season index is shared with other tests
    game = league.schedule(2025).filter(pl.col("game_date") == dt.date(2026, 4, 4)).row(0, named=True)
    client = httpx.Client(transport=sim_transport(league, SimClock(fixed=game["tipoff_utc"] + dt.timedelta(days=1))))
    url = f"https://api.the-odds-api.com/v4/historical/sports/basketball_nba/events/{game['event_id']}/odds"
    params = {"apiKey": "k", "date": iso_z(game["tipoff_utc"] - dt.timedelta(minutes=10)), "markets": "spreads,totals"}
    statuses = [client.get(url, params=params).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    res = parsers.parse_odds_game_lines(client.get(url, params=params).json(), "f.json")
    assert res.rejects.height == 0 and res.rows["bookmaker"].n_unique() == len(BOOKS)
    assert (res.rows["minutes_before_tip"] == 15).all()  # the last snapshot before T-10m: T-15m


def test_a_scheduled_game_without_pre_tip_lines_from_two_books_is_named():
    from checks.availability import game_line_availability

    schedule = pl.DataFrame({"game_date": [DAY, DAY], "home_team": ["BOS", "NYK"], "away_team": ["TOR", "MIA"],
                             "game_id": ["g1", "g2"]})
    lines = _lines([("dk", 3 * H, -5.5, 220.0), ("fd", 3 * H, -5.0, 221.0), ("dk", -H, -9.0, 230.0)])
    got = game_line_availability(schedule, lines)
    assert not got.passed and got.offending["game_id"].to_list() == ["g2"] and got.extra["games_without_lines"] == 1
    one_book = lines.filter(pl.col("bookmaker") == "dk")  # its only pre-tip line plus an in-game one
    assert not game_line_availability(schedule.head(1), one_book).passed
    assert game_line_availability(schedule.head(1), lines).passed
