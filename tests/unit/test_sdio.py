"""The second props feed (SportsDataIO): parser on the hand-made fixtures (format from the API's
documentation), its failing records, the sim's route in the same format, the client's "closing lines
landed" rule, the reconciliation with The Odds API, availability per feed."""

from __future__ import annotations

import datetime as dt
import json
import random

import httpx
import polars as pl
import pytest

from checks.availability import lines_per_game, prop_availability
from nba_assets import tables
from nba_assets.logic.props import BOTH, SNAPSHOT_TOLERANCE, lines_by_feed, reconcile_feeds
from resources.http import HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.parsers.sdio import book_key, games_of, parse_sdio_player_props
from resources.sdio import KEY_HEADER, SportsDataIoClient
from resources.sim import SimClock, SimConfig, SimLeague, SimServer
from tests.conftest import FIXTURES

SDIO = FIXTURES / "sportsdataio"
UTC = dt.UTC


def _load(name: str):
    return json.loads((SDIO / name).read_text())


def _games():
    return games_of(_load("betting_events_2025-12-10_handmade.json"))


def test_events_map_sportsdataio_team_keys_and_eastern_times():
    games = _games()
    assert games["22150"] == {"home_team": "NOP", "away_team": "MEM",
                              "commence_time": dt.datetime(2025, 12, 11, 1, 0, tzinfo=UTC)}
    assert (games["22151"]["home_team"], games["22151"]["away_team"]) == ("PHX", "GSW")


def test_player_props_become_one_row_per_player_and_book():
    res = parse_sdio_player_props(_load("player_props_22150_handmade.json"), "f.json", _games())
    rows = res.rows.sort("player_lookup", "bookmaker")
    assert rows.select("player_lookup", "bookmaker", "line", "over_price", "under_price").rows() == [
        ("jarenjacksonjr", "draftkings", 22.5, -115.0, -105.0),
        ("jarenjacksonjr", "fanduel", 23.5, -110.0, -110.0),  # the alternate 26.5 is not the book's line
        ("zionwilliamson", "betmgm", 24.5, -110.0, None),  # a lone Over keeps a null Under
        ("zionwilliamson", "draftkings", 24.5, -120.0, 100.0),
    ]
    fd = rows.filter(pl.col("bookmaker") == "fanduel").row(0, named=True)
    # The later Updated of the two sides, 11:36:12 ET = 16:36:12 UTC; tip-off 20:00 ET.
    assert fd["snapshot_ts"] == dt.datetime(2025, 12, 10, 16, 36, 12, tzinfo=UTC)
    assert fd["minutes_before_tip"] == pytest.approx(8 * 60 + 23.8)
    assert set(rows["event_id"]) == {"sdio:22150"} and set(rows["source"]) == {"sportsdataio"}
    assert (fd["home_team"], fd["away_team"], fd["game_date"]) == ("NOP", "MEM", dt.date(2025, 12, 10))
    assert res.rejects.height == 0
    tables.PROP_LINES.contract.validate(rows)


def test_bad_records_are_rejected_by_name_and_the_good_ones_kept():
    body = _load("player_props_22150_handmade.json")
    outs = body[0]["BettingOutcomes"]
    outs[0]["Value"] = 99.5  # DraftKings' Over and Under disagree on the line
    body[1]["BettingOutcomes"][2]["PayoutAmerican"] = "n/a"
    body.append(dict(body[1], GameID=99999, PlayerName="Nobody Known"))
    res = parse_sdio_player_props(body, "f.json", _games())
    rules = {(r["player"], r["field"], r["rule"]) for r in res.rejects.iter_rows(named=True)}
    assert ("Jaren Jackson Jr.", "DraftKings.Value", "one line per book (Over and Under agree)") in rules
    assert ("Zion Williamson", "BetMGM.over.PayoutAmerican", "price is not American odds") in rules
    assert ("Nobody Known", "GameID", "game is not in the date's betting events") in rules
    assert res.rows.select("player_lookup", "bookmaker").rows() == [
        ("jarenjacksonjr", "fanduel"), ("zionwilliamson", "draftkings")]
    whole = parse_sdio_player_props({"message": "oops"}, "f.json", _games())
    assert whole.rows.height == 0 and whole.rejects["rule"][0] == "response must be a list of betting markets"


def test_book_names_become_odds_api_keys():
    assert [book_key(b) for b in ("DraftKings", "FanDuel", "BetMGM", "Caesars")] == [
        "draftkings", "fanduel", "betmgm", "caesars"]


# --------------------------------------------------------------------------------------- the sim route
@pytest.fixture(scope="module")
def league():
    return SimLeague(SimConfig(seed=7, seasons=(2025,)))


def _client(league, state_dir, data_dir, now, seen):
    server = SimServer(league, SimClock(state_dir, fixed=now), state_dir)

    def handler(request):
        seen.append(request)
        return server(request)

    http = HttpSource(httpx.Client(transport=httpx.MockTransport(handler)), RetryPolicy(max_attempts=2),
                      sleep=lambda s: None, rng=random.Random(0), name="sportsdataio")
    return SportsDataIoClient(http, LandingZone(data_dir), "sim-key")


def test_sim_answers_in_the_documented_format_and_closing_lines_are_fetched_once(league, tmp_path):
    day = dt.date(2025, 12, 10)
    before = dt.datetime(2025, 12, 10, 23, 0, tzinfo=UTC)
    seen: list[httpx.Request] = []
    client = _client(league, tmp_path / "sim", tmp_path, before, seen)
    events = client.fetch_events(day)
    fixture_event, fixture_market = _load("betting_events_2025-12-10_handmade.json")[0], _load(
        "player_props_22150_handmade.json")[0]
    assert set(events[0]) <= set(fixture_event) and seen[0].headers[KEY_HEADER] == "sim-key"
    assert "sim-key" not in seen[0].url.query.decode()
    [f] = client.fetch_player_props(events[0], before)
    markets = client.landing.read_json(f)
    assert markets and set(markets[0]) <= set(fixture_market)
    assert set(markets[0]["BettingOutcomes"][0]) <= set(fixture_market["BettingOutcomes"][0])
    res = parse_sdio_player_props(markets, f.name, games_of(client.landing.read_json(
        client.landing.files("sportsdataio", "betting_events", day)[0])))
    assert res.rows.height > 0 and res.rejects.height == 0
    tip = dt.datetime.fromisoformat(events[0]["GameStartTime"]).replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    after = tip + dt.timedelta(hours=4)
    client2 = _client(league, tmp_path / "sim", tmp_path, after, seen)
    seen.clear()
    assert client2.fetch_player_props(events[0], after) and len(seen) == 1  # the closing lines, once
    assert client2.fetch_player_props(events[0], after) == [] and len(seen) == 1


def test_the_sim_refuses_a_request_without_the_key(league, tmp_path):
    server = SimServer(league, SimClock(tmp_path, fixed=dt.datetime(2025, 12, 10, tzinfo=UTC)), tmp_path)
    resp = server(httpx.Request("GET", "https://api.sportsdata.io/v3/nba/odds/json/BettingEventsByDate/2025-12-10"))
    assert resp.status_code == 401


# --------------------------------------------------------------------------------------- reconciliation
def _rows(source: str, ts: list[dt.datetime], lines: list[float], book: str = "draftkings") -> pl.DataFrame:
    tip = dt.datetime(2025, 12, 11, 1, tzinfo=UTC)
    n = len(ts)
    return pl.DataFrame({
        "game_date": [dt.date(2025, 12, 10)] * n, "event_id": [f"{source}:1"] * n, "commence_time": [tip] * n,
        "home_team": ["NOP"] * n, "away_team": ["MEM"] * n, "player_name": ["Zion Williamson"] * n,
        "player_lookup": ["zionwilliamson"] * n, "bookmaker": [book] * n, "market": ["player_points"] * n,
        "line": lines, "over_price": [-110.0] * n, "under_price": [-110.0] * n, "snapshot_ts": ts,
        "minutes_before_tip": [(tip - t).total_seconds() / 60 for t in ts], "landing_file": ["f"] * n,
        "source": [source] * n,
    }, schema=tables.PROP_LINES.empty().schema)


def test_same_line_within_the_tolerance_is_one_observation_from_both_feeds():
    t0 = dt.datetime(2025, 12, 10, 15, tzinfo=UTC)
    odds = _rows("oddsapi", [t0, t0 + dt.timedelta(hours=6)], [24.5, 25.5])
    sdio = _rows("sportsdataio", [t0 - dt.timedelta(minutes=2),  # same line, 2 min apart: merged
                                  t0 + dt.timedelta(hours=6) - SNAPSHOT_TOLERANCE - dt.timedelta(seconds=1),  # too far
                                  t0 + dt.timedelta(hours=8)], [24.5, 25.5, 25.5])  # only SportsDataIO saw it
    rows, merged = reconcile_feeds(odds, sdio)
    assert merged == 1
    assert rows.select("source", "line").rows() == [
        (BOTH, 24.5), ("oddsapi", 25.5), ("sportsdataio", 25.5), ("sportsdataio", 25.5)]
    assert lines_by_feed(rows) == {"oddsapi": 2, "sportsdataio": 3}
    tables.PROP_LINES.contract.validate(rows)


def test_a_different_line_or_book_is_never_merged_and_one_feed_alone_passes_through():
    t0 = dt.datetime(2025, 12, 10, 15, tzinfo=UTC)
    odds = _rows("oddsapi", [t0], [24.5])
    moved = _rows("sportsdataio", [t0 + dt.timedelta(minutes=1)], [25.5])
    other_book = _rows("sportsdataio", [t0], [24.5], book="fanduel")
    rows, merged = reconcile_feeds(odds, pl.concat([moved, other_book]))
    assert merged == 0 and sorted(rows["source"]) == ["oddsapi", "sportsdataio", "sportsdataio"]
    alone, _ = reconcile_feeds(odds.clear(), moved)
    assert alone["source"].to_list() == ["sportsdataio"]
    alone, _ = reconcile_feeds(odds, moved.clear())
    assert alone["source"].to_list() == ["oddsapi"]


def test_availability_counts_lines_per_feed():
    t0 = dt.datetime(2025, 12, 10, 15, tzinfo=UTC)
    rows, _ = reconcile_feeds(_rows("oddsapi", [t0], [24.5]),
                              _rows("sportsdataio", [t0, t0 + dt.timedelta(hours=3)], [24.5, 25.5]))
    slate = pl.DataFrame({"game_date": [dt.date(2025, 12, 10), dt.date(2025, 12, 10)],
                          "home_team": ["NOP", "PHX"], "away_team": ["MEM", "GSW"]})
    per_game = lines_per_game(slate, rows).sort("home_team")
    assert per_game.select("home_team", "n_oddsapi", "n_sportsdataio").rows() == [("NOP", 1, 2), ("PHX", 0, 0)]
    extra = prop_availability(slate, rows).extra
    assert (extra["lines_oddsapi"], extra["lines_sportsdataio"]) == (1, 2)
    only_sdio, _ = reconcile_feeds(_rows("oddsapi", [], []), _rows("sportsdataio", [t0], [24.5]))
    assert prop_availability(slate, only_sdio).extra["games_lined_only_by_sportsdataio"] == 1


def test_a_props_feed_recorded_down_is_attributed_to_that_feed():
    from sensors.outages import sources_down

    assert sources_down(tables.PROP_LINES, "sportsdataio: GET ... failed (HTTP 503)") == ["sportsdataio"]
    assert sources_down(tables.PROP_LINES, "oddsapi: 503; sportsdataio: 503") == ["oddsapi", "sportsdataio"]
    assert sources_down(tables.PROP_LINES, "GET /v4/... failed") == ["oddsapi"]  # a record without a prefix
    assert sources_down(tables.INJURIES, "bdl is down") == ["bdl"]
