"""Quota-aware odds: which endpoint a refresh uses, nothing landed bought twice (requests counted at the
simulated API), quota headers recorded, the sim's quota, the quota alert, the status table, the
backfill cost estimate."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import httpx
import polars as pl
import pytest
from rich.console import Console

from nba_assets.cli.commands.status import quota_table
from nba_assets.cli.cost import estimate
from resources.alerts import AlertsResource
from resources.clients import PROPS_LEADS, OddsApiClient
from resources.http import AuthError, HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.quota import quota_of
from resources.sim import SimClock, SimConfig, SimLeague, SimServer
from resources.sim import quota as sim_quota
from sensors.alerts import quota_events, reconcile

SEASON = 2025
NOW = dt.datetime(2025, 12, 10, 23, 0, tzinfo=dt.UTC)  # 18:00 ET: today's games have not tipped off
TODAY, PAST = dt.date(2025, 12, 10), dt.date(2025, 12, 5)


@pytest.fixture(scope="module")
def league():
    return SimLeague(SimConfig(seed=7, seasons=(SEASON,)))


class Counted:
    """The simulated API behind a transport that records every request's path (what the API bills)."""

    def __init__(self, league, state_dir: Path, now: dt.datetime = NOW):
        self.server = SimServer(league, SimClock(state_dir, fixed=now), state_dir)
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.server(request)

    def client(self, data_dir: Path) -> OddsApiClient:
        http = HttpSource(httpx.Client(transport=httpx.MockTransport(self)), RetryPolicy(max_attempts=3),
                          sleep=lambda s: None, rng=random.Random(0), name="oddsapi")
        return OddsApiClient(http, LandingZone(data_dir), "sim-key")

    def historical(self) -> int:
        return sum("/historical/" in p for p in self.paths)


def test_quota_of_reads_the_three_headers_and_nothing_else():
    assert quota_of(httpx.Headers({"x-requests-used": "12", "x-requests-remaining": "19988.0",
                                   "x-requests-last": "10"})) == {"used": 12, "remaining": 19988, "last": 10}
    assert quota_of(httpx.Headers({"content-type": "application/json"})) is None
    assert quota_of({"x-requests-remaining": "lots", "x-requests-used": "3"}) == {"used": 3}


def test_today_uses_current_endpoints_and_a_past_day_historical_ones_never_twice(league, tmp_path):
    api = Counted(league, tmp_path / "sim")
    odds = api.client(tmp_path)
    today = odds.fetch_events(TODAY, TODAY)
    assert today.events and api.paths == ["/v4/sports/basketball_nba/events"]
    for e in today.events:
        odds.refresh_event(e, NOW)
    assert api.historical() == 0 and len(api.paths) == 1 + len(today.events)

    api.paths.clear()
    past = odds.fetch_events(PAST, TODAY)
    for e in past.events:
        odds.refresh_event(e, NOW)
    walked = len(api.paths)
    assert api.historical() == walked == 1 + len(PROPS_LEADS) * len(past.events)  # events list + each lead
    # Everything is landed: the same refresh again buys nothing, events list included.
    api.paths.clear()
    again = odds.fetch_events(PAST, TODAY)
    for e in again.events:
        assert odds.refresh_event(e, NOW) == []
    assert api.paths == [] and [e["id"] for e in again.events] == [e["id"] for e in past.events]
    # Once today is past, its events were lined by current odds while upcoming: not walked.
    tomorrow = NOW + dt.timedelta(days=1)
    assert all(odds.refresh_event(e, tomorrow) == [] for e in today.events) and api.paths == []


def test_an_interrupted_fetch_resumes_after_its_landed_leads(league, tmp_path):
    api = Counted(league, tmp_path / "sim")
    odds = api.client(tmp_path)
    event = odds.fetch_events(PAST, TODAY).events[0]
    full = odds.fetch_event_odds_history(event)  # every lead on a fresh landing zone
    fresh = Counted(league, tmp_path / "sim2")
    odds2 = fresh.client(tmp_path / "b")
    commence = dt.datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00"))
    odds2.fetch_event_odds_history(event, now=commence - dt.timedelta(hours=12))  # stopped after two leads
    fresh.paths.clear()
    odds2.fetch_event_odds_history(event)
    assert len(fresh.paths) == len(full) - 2
    stamps = sorted(e["snapshot"] for e in odds2.landing.manifest("oddsapi", "event_odds", PAST))
    assert stamps == sorted(f.meta["snapshot"] for f in full)


def test_every_fetch_records_the_quota_and_the_latest_reading_is_kept(league, tmp_path):
    api = Counted(league, tmp_path / "sim")
    odds = api.client(tmp_path)
    event = odds.fetch_events(PAST, TODAY).events[0]
    landed = odds.fetch_event_odds_history(event)
    quotas = [f.meta["quota"] for f in landed]
    assert all(q["last"] == 10 for q in quotas)  # historical: 10 x 1 market x 1 region
    assert [q["remaining"] for q in quotas] == sorted((q["remaining"] for q in quotas), reverse=True)
    assert quotas[-1]["used"] == 1 + 10 * len(landed)  # the historical events list costs 1
    manifest = odds.landing.manifest("oddsapi", "event_odds", PAST)
    assert [e["quota"] for e in manifest] == quotas
    assert {k: v for k, v in odds.landing.quotas()["oddsapi"].items() if k != "at"} == quotas[-1]
    odds.fetch_event_odds(odds.fetch_events(TODAY, TODAY).events[0])
    assert odds.landing.quotas()["oddsapi"]["last"] == 1  # current odds: 1 market x 1 region


def test_the_sim_quota_runs_out_like_the_real_api(league, tmp_path):
    state = tmp_path / "sim"
    sim_quota.set_remaining(state, 15)
    odds = Counted(league, state).client(tmp_path)
    event = odds.fetch_events(PAST, TODAY).events[0]  # 1 credit: 14 left
    first_lead = dt.datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00")) - PROPS_LEADS[0]
    odds.fetch_event_odds_history(event, now=first_lead)  # one lead, 10 credits: 4 left
    assert odds.landing.quotas()["oddsapi"]["remaining"] == 4
    with pytest.raises(AuthError) as info:
        odds.fetch_event_odds_history(odds.fetch_events(PAST - dt.timedelta(days=1), TODAY).events[0])
    assert info.value.last_status == 401
    assert json.loads((state / sim_quota.QUOTA_FILE).read_text())["used"] == 12  # a refused request costs nothing


def test_quota_alert_fires_once_below_the_floor_and_resolves_above_it():
    alerts = AlertsResource()
    low = {"oddsapi": {"remaining": 900, "used": 19100, "at": "2025-12-10T23:00:00+00:00"}}
    ok = {"oddsapi": {"remaining": 1200, "used": 18800}}
    sent, open_ = reconcile({}, quota_events(alerts, low, 1000, "t1"), "t1")
    assert [(a.key, a.status) for a in sent] == [("quota:oddsapi", "firing")] and "900" in sent[0].title
    sent, open_ = reconcile(open_, quota_events(alerts, low, 1000, "t2"), "t2")
    assert sent == []  # still low: no second message
    sent, open_ = reconcile(open_, quota_events(alerts, ok, 1000, "t3"), "t3")
    assert [(a.key, a.status) for a in sent] == [("quota:oddsapi", "resolved")] and open_ == {}


def test_status_shows_the_remaining_quota_per_source(tmp_path):
    landing = LandingZone(tmp_path)
    console = Console(width=160, record=True)
    console.print(quota_table(str(tmp_path), 1000))
    assert "no reading yet" in console.export_text()
    landing.write("oddsapi", "events", [PAST], b"[]", url="https://x/v4/sports/basketball_nba/events", params={},
                  meta={"quota": {"used": 19500, "remaining": 500, "last": 0}})
    console = Console(width=160, record=True)
    console.print(quota_table(str(tmp_path), 1000))
    row = next(line for line in console.export_text().splitlines() if "oddsapi" in line)
    assert "500" in row and "19,500" in row and "LOW" in row


def test_backfill_cost_counts_only_what_is_not_landed(league, tmp_path):
    sched = league.schedule(SEASON)
    days = [PAST, PAST + dt.timedelta(days=1)]
    games = sched.filter(pl.col("game_date").is_in(days))
    landing = LandingZone(tmp_path)
    [odds, sdio, _] = estimate(games, landing, days, TODAY)
    leads = len(PROPS_LEADS)
    assert odds.games == sdio.games == games.height
    assert odds.requests == odds.requests_max == 2 + games.height * leads
    assert odds.credits == odds.credits_max == 2 + games.height * leads * 10
    assert sdio.requests == 2 + games.height and sdio.credits == 0

    api = Counted(league, tmp_path / "sim")
    client = api.client(tmp_path)
    first = client.fetch_events(PAST, TODAY).events
    for e in first:
        client.refresh_event(e, NOW)
    [odds2, _, _] = estimate(games, landing, days, TODAY)
    n_second = games.filter(pl.col("game_date") == days[1]).height
    assert odds2.games == n_second
    assert odds2.requests == 1 + n_second * leads and odds2.credits == 1 + n_second * leads * 10
    api.paths.clear()
    for e in client.fetch_events(days[1], TODAY).events:
        client.refresh_event(e, NOW)
    assert len(api.paths) == odds2.requests  # the estimate is what the fetch asks for


def _charge_many(state: str, times: int) -> None:
    for _ in range(times):
        assert sim_quota.charge(Path(state), {}, 3) is not None


def test_processes_charging_the_sim_at_once_lose_no_credit(tmp_path):
    """A deployment's run workers share the sim's credit count: each charge reads, checks and writes
    under the file's lock, so four processes charging together are all counted."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_charge_many, args=(str(tmp_path), 150)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert sim_quota.read(tmp_path, {}) == {"limit": sim_quota.DEFAULT_LIMIT, "used": 4 * 150 * 3}


def test_a_record_rewritten_in_place_reads_back_whole(tmp_path):
    from resources.quota import RECORD_BYTES, read_record, write_record

    path = tmp_path / "_quota.json"
    assert read_record(path) is None
    path.write_text(json.dumps({"used": 1, "note": "x" * 400}))  # an older, longer file (any writer's)
    write_record(path, json.dumps({"used": 2}))
    assert json.loads(path.read_text()) == {"used": 2} and path.stat().st_size == RECORD_BYTES
    write_record(path, json.dumps({"used": 3, "note": "y" * 300}))  # longer than a block: kept whole
    assert json.loads(read_record(path)) == {"used": 3, "note": "y" * 300}
    write_record(path, json.dumps({"used": 4}))
    assert json.loads(read_record(path)) == {"used": 4} and path.stat().st_size == RECORD_BYTES
