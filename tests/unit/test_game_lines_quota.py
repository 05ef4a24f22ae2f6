"""Quota-aware game lines (resources/clients_lines.py): requests counted at the simulated API (today's
and upcoming events from current odds, a past day from historical odds, never a landed slot twice), the
quota every response reports recorded, the current body's snapshot time, the backfill cost estimate."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import httpx
import polars as pl
import pytest

from nba_assets.cli.cost import estimate
from nba_assets.logic import game_lines as gl
from nba_assets.partitions import ET
from resources import parsers
from resources.clients import OddsApiClient, iso_z, parse_iso
from resources.clients_lines import CREDITS_CURRENT, CREDITS_PER_LEAD, ENDPOINT, GameLinesClient, lead_times
from resources.http import HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.sim import SimClock, SimConfig, SimServer
from resources.sources import sim_league

SEASON = 2025
NOW = dt.datetime(2025, 12, 10, 23, 0, tzinfo=dt.UTC)  # 18:00 ET: today's games have not tipped off
TODAY, PAST = dt.date(2025, 12, 10), dt.date(2025, 12, 5)
CURRENT = "/v4/sports/basketball_nba/events/"
HISTORICAL = "/v4/historical/sports/basketball_nba/events/"


@pytest.fixture(scope="module")
def league():
    return sim_league(SimConfig().seed)  # the sources' league: its season index is shared with other tests


class Api:
    """The simulated API at `now` behind a transport recording every request's path; the clients land
    in `data_dir` and the sim keeps its quota in `data_dir/sim`."""

    def __init__(self, league, data_dir: Path, now: dt.datetime):
        self.server = SimServer(league, SimClock(data_dir / "sim", fixed=now), data_dir / "sim")
        self.paths: list[str] = []
        http = HttpSource(httpx.Client(transport=httpx.MockTransport(self)), RetryPolicy(max_attempts=3),
                          sleep=lambda s: None, rng=random.Random(0), name="oddsapi")
        self.landing = LandingZone(data_dir)
        self.events = OddsApiClient(http, self.landing, "sim-key")
        self.lines = GameLinesClient(http, self.landing, "sim-key")
        self.now = now

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.server(request)

    def refresh(self, day: dt.date) -> list[dict]:
        """The game-lines asset's fetch of a day at `now`; returns the day's events."""
        events = self.events.fetch_events(day, self.now.astimezone(ET).date()).events
        for e in events:
            self.lines.fetch_event_lines(e, self.now)
        return events

    def odds_paths(self) -> list[str]:
        return [p for p in self.paths if p.endswith("/odds")]


def test_today_uses_one_current_request_per_event_and_a_second_run_asks_for_nothing(league, tmp_path):
    api = Api(league, tmp_path, NOW)
    events = api.refresh(TODAY)
    assert events and all(parse_iso(e["commence_time"]) > NOW for e in events)
    assert len(api.odds_paths()) == len(events) and all(p.startswith(CURRENT) for p in api.odds_paths())
    api.paths.clear()
    api.refresh(TODAY)
    assert api.odds_paths() == []  # every event's current slot is landed
    later = Api(league, tmp_path, NOW + dt.timedelta(minutes=20))  # same slots
    later.refresh(TODAY)
    assert later.odds_paths() == []
    # At an event's prediction time (T-10m) its next slot is due: one more current request, for it only.
    first = min(events, key=lambda e: e["commence_time"])
    at = parse_iso(first["commence_time"]) - dt.timedelta(minutes=10)
    predict = Api(league, tmp_path, at)
    predict.refresh(TODAY)
    assert [p for p in predict.odds_paths() if first["id"] in p] == [f"{CURRENT}{first['id']}/odds"]
    assert not any(p.startswith(HISTORICAL) for p in predict.odds_paths())


def test_a_past_day_uses_historical_requests_for_the_leads_not_landed_only(league, tmp_path):
    api = Api(league, tmp_path, NOW)
    events = api.refresh(PAST)
    assert len(api.odds_paths()) == 4 * len(events) and all(p.startswith(HISTORICAL) for p in api.odds_paths())
    api.paths.clear()
    api.refresh(PAST)
    assert api.paths == []  # events list and every lead landed
    # Today's events, lined once by current odds while upcoming: once past, only the three other leads.
    api.refresh(TODAY)
    tomorrow = Api(league, tmp_path, NOW + dt.timedelta(days=1))
    events = tomorrow.refresh(TODAY)
    assert len(tomorrow.odds_paths()) == 3 * len(events)
    assert all(p.startswith(HISTORICAL) for p in tomorrow.odds_paths())
    for e in events:
        asked = {x["params"]["date"] for x in tomorrow.landing.manifest("oddsapi", ENDPOINT, TODAY)
                 if "/historical/" in x["url"] and x["url"].endswith(f"{e['id']}/odds")}
        current = [x for x in tomorrow.landing.manifest("oddsapi", ENDPOINT, TODAY) if x.get("requested_at")
                   and x["url"].endswith(f"{e['id']}/odds")]
        assert len(current) == 1 and current[0]["lead"] not in asked
        assert asked | {current[0]["lead"]} == {iso_z(t) for t in lead_times(parse_iso(e["commence_time"]))}


def test_every_response_records_its_quota_and_the_sim_charges_like_the_api(league, tmp_path):
    api = Api(league, tmp_path, NOW)
    api.refresh(TODAY)
    current = api.landing.manifest("oddsapi", ENDPOINT, TODAY)
    assert current and all(e["quota"]["last"] == CREDITS_CURRENT == 2 for e in current)
    api.refresh(PAST)
    hist = api.landing.manifest("oddsapi", ENDPOINT, PAST)
    assert hist and all(e["quota"]["last"] == CREDITS_PER_LEAD == 20 for e in hist)
    used = [e["quota"]["used"] for e in current + hist]
    assert used == sorted(used) and len(set(used)) == len(used)
    # The current events list is free, the historical one costs 1: all credits are the lines' and that.
    assert used[-1] == CREDITS_CURRENT * len(current) + 1 + CREDITS_PER_LEAD * len(hist)
    reading = api.landing.quotas()["oddsapi"]
    assert reading["used"] == used[-1] and reading["last"] == 20 and reading["remaining"] == hist[-1]["quota"]["remaining"]


def test_a_current_body_is_timed_at_its_request_and_counts_as_of_the_prediction_time(league, tmp_path):
    event = Api(league, tmp_path / "e", NOW).events.fetch_events(TODAY, TODAY).events[0]
    at = parse_iso(event["commence_time"]) - gl.PREDICTION_LEAD
    api = Api(league, tmp_path, at)
    [landed] = api.lines.fetch_event_lines(event, at)
    res = parsers.parse_odds_game_lines(api.landing.read_json(landed), landed.name, landed.meta["requested_at"])
    assert res.rejects.height == 0 and res.rows.height > 0
    assert (res.rows["snapshot_ts"] == at).all() and (res.rows["minutes_before_tip"] == 10).all()
    bad = parsers.parse_odds_game_lines(api.landing.read_json(landed), landed.name, "yesterday")
    assert bad.rows.height == 0 and "requested_at" in bad.rejects["field"].to_list()
    # Without the request time, the books' last_update (before it) is the snapshot time.
    plain = parsers.parse_odds_game_lines(api.landing.read_json(landed), landed.name)
    assert (plain.rows["snapshot_ts"] < at).all()


def test_backfill_cost_counts_game_lines_as_their_own_feed_and_only_what_is_not_landed(league, tmp_path):
    sched = league.schedule(SEASON)
    days = [PAST, PAST + dt.timedelta(days=1)]
    games = sched.filter(pl.col("game_date").is_in(days))
    landing = LandingZone(tmp_path)
    lines = next(f for f in estimate(games, landing, days, TODAY) if f.feed == "oddsapi game lines")
    assert lines.games == games.height
    assert lines.requests == lines.requests_max == 4 * games.height
    assert lines.credits == lines.credits_max == 4 * 20 * games.height
    api = Api(league, tmp_path, NOW)
    api.refresh(PAST)
    api.paths.clear()
    n_second = games.filter(pl.col("game_date") == days[1]).height
    again = next(f for f in estimate(games, landing, days, TODAY) if f.feed == "oddsapi game lines")
    assert (again.games, again.requests, again.credits) == (n_second, 4 * n_second, 80 * n_second)
    api.refresh(days[1])
    assert len(api.odds_paths()) == again.requests  # the estimate is what the fetch asks for
    # Today and later: one current request (2 credits) per game.
    today_games = sched.filter(pl.col("game_date") == TODAY)
    now = next(f for f in estimate(today_games, landing, [TODAY], TODAY) if f.feed == "oddsapi game lines")
    assert (now.requests, now.credits) == (today_games.height, 2 * today_games.height)


def test_a_body_unchanged_since_an_earlier_refresh_keeps_a_row_per_capture(league, tmp_path):
    event = Api(league, tmp_path / "e", NOW).events.fetch_events(TODAY, TODAY).events[0]
    tip = parse_iso(event["commence_time"])
    # T-12m (the T-3h slot) and T-10m (the prediction slot): the sim's T-15m snapshot is in force at both.
    times = [tip - dt.timedelta(minutes=12), tip - gl.PREDICTION_LEAD]
    for at in times:
        assert len(Api(league, tmp_path, at).lines.fetch_event_lines(event, at)) == 1
    landing = LandingZone(tmp_path)
    [f] = landing.files("oddsapi", ENDPOINT, TODAY)  # the same body: one file, two manifest entries
    assert len(landing.manifest("oddsapi", ENDPOINT, TODAY)) == 2
    assert f.meta["captures"] == [iso_z(t) for t in times]
    res = parsers.parse_odds_game_lines(landing.read_json(f), f.name, f.meta["captures"])
    assert sorted(res.rows["snapshot_ts"].unique().to_list()) == times
    assert res.rows.height == 2 * res.rows["bookmaker"].n_unique()
