"""Source clients against small MockTransport servers: pagination resume, odds walk, params, redaction."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from resources.clients import (
    BdlClient,
    NbaComClient,
    OddsApiClient,
    PaginationError,
    events_window,
    iso_z,
    season_label,
    season_year_of,
)
from resources.http import AuthError, HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.sources import FetchDisabled, MissingApiKey, SourcesResource
from tests.conftest import FIXTURES

D = date(2025, 1, 20)
BDL_KEY = "bdl-SECRET-123"
ODDS_KEY = "odds-SECRET-456"
SAMPLES = FIXTURES


def http_for(handler, name, attempts=3) -> tuple[HttpSource, list[float]]:
    slept: list[float] = []
    http = HttpSource(
        httpx.Client(transport=httpx.MockTransport(handler)),
        RetryPolicy(max_attempts=attempts),
        sleep=slept.append,
        rng=random.Random(0),
        name=name,
    )
    return http, slept


# ------------------------------------------------------------------------------------ BDL pagination
class FakeStats:
    """/v1/stats with 4 pages (cursors c2..c4); `broken` cursors answer 503 while `broken` holds them."""

    def __init__(self, pages: int = 4):
        self.pages = pages
        self.broken: set[str] = set()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/v1/stats"
        if request.headers.get("Authorization") != BDL_KEY:
            return httpx.Response(401, json={"error": "Unauthorized"})
        cursor = request.url.params.get("cursor")
        if cursor in self.broken:
            return httpx.Response(503, text="upstream down")
        n = 1 if cursor is None else int(cursor[1:])
        meta = {"per_page": 100}
        if n < self.pages:
            meta["next_cursor"] = f"c{n + 1}"
        rows = [{"id": n * 100 + i, "pts": i, "date": request.url.params["dates[]"]} for i in range(3)]
        return httpx.Response(200, json={"data": rows, "meta": meta})

    def cursors(self) -> list[str | None]:
        return [r.url.params.get("cursor") for r in self.requests]


def bdl(tmp_path, server, key=BDL_KEY):
    http, slept = http_for(server, "bdl")
    return BdlClient(http, LandingZone(tmp_path), key), slept


def test_stats_follow_cursor_and_land_every_page(tmp_path):
    server = FakeStats()
    client, _ = bdl(tmp_path, server)
    landed = client.fetch_stats(D)
    assert len(landed) == 4
    assert server.cursors() == [None, "c2", "c3", "c4"]
    req = server.requests[0]
    assert req.url.params["dates[]"] == "2025-01-20" and req.url.params["per_page"] == "100"
    entries = client.landing.manifest("bdl", "stats", D)
    assert [(e["page"], e["cursor"], e["next_cursor"], e["complete"]) for e in entries] == [
        (1, None, "c2", False),
        (2, "c2", "c3", False),
        (3, "c3", "c4", False),
        (4, "c4", None, True),
    ]
    assert len({e["fetch_id"] for e in entries}) == 1
    assert client.landing.incomplete_fetch("bdl", "stats", D) is None
    # A new call is a new fetch (late boxscores), not a resume of a finished one.
    client.fetch_stats(D)
    assert server.cursors()[4:] == [None, "c2", "c3", "c4"]


def test_failed_page_keeps_landed_pages_and_next_call_resumes(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server = FakeStats()
    server.broken = {"c3"}
    client, slept = bdl(tmp_path, server)
    with pytest.raises(PaginationError) as info:
        client.fetch_stats(D)
    err = info.value
    msg = str(err)
    assert "page 3" in msg and "cursor c3" in msg and "2025-01-20" in msg
    assert "2 page(s)" in msg and str(client.landing.folder("bdl", "stats", D)) in msg
    assert (err.page, err.cursor, err.pages_landed) == (3, "c3", 2)
    assert len(slept) == 2  # retried under the shared policy before giving up
    assert [f.name for f in client.landing.files("bdl", "stats", D)] == [
        e["file"] for e in client.landing.manifest("bdl", "stats", D)
    ]
    assert [e["page"] for e in client.landing.manifest("bdl", "stats", D)] == [1, 2]
    fetch_id = err.fetch_id
    assert client.landing.incomplete_fetch("bdl", "stats", D) == (fetch_id, "c3")

    server.broken.clear()
    server.requests.clear()
    landed = client.fetch_stats(D)
    assert server.cursors() == ["c3", "c4"]  # resumed, pages 1-2 not refetched
    assert len(landed) == 2
    entries = client.landing.manifest("bdl", "stats", D)
    assert [(e["page"], e["fetch_id"]) for e in entries] == [(n, fetch_id) for n in (1, 2, 3, 4)]
    assert entries[-1]["complete"] is True
    assert len(client.landing.files("bdl", "stats", D)) == 4
    assert client.landing.incomplete_fetch("bdl", "stats", D) is None
    assert BDL_KEY not in msg and BDL_KEY not in caplog.text


def test_failure_again_after_resume_names_the_same_page(tmp_path):
    server = FakeStats()
    server.broken = {"c3"}
    client, _ = bdl(tmp_path, server)
    with pytest.raises(PaginationError):
        client.fetch_stats(D)
    server.requests.clear()
    with pytest.raises(PaginationError) as info:
        client.fetch_stats(D)
    assert info.value.page == 3 and "2 page(s)" in str(info.value)
    assert set(server.cursors()) == {"c3"}


def test_stale_unfinished_fetch_is_not_resumed(tmp_path):
    server = FakeStats()
    server.broken = {"c3"}
    http, _ = http_for(server, "bdl")
    client = BdlClient(http, LandingZone(tmp_path), BDL_KEY, resume_within=timedelta(0))
    with pytest.raises(PaginationError) as info:
        client.fetch_stats(D)
    server.broken.clear()
    server.requests.clear()
    client.fetch_stats(D)
    assert server.cursors() == [None, "c2", "c3", "c4"]  # started over
    entries = client.landing.manifest("bdl", "stats", D)
    assert {e["fetch_id"] for e in entries[2:]} != {info.value.fetch_id}
    assert client.landing.incomplete_fetch("bdl", "stats", D) is None


def test_malformed_page_is_landed_and_fails_loudly(tmp_path):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("cursor"))
        if request.url.params.get("cursor") == "c2" and calls.count("c2") == 1:
            return httpx.Response(200, text="<html>maintenance</html>")
        nxt = "c2" if request.url.params.get("cursor") is None else None
        return httpx.Response(200, json={"data": [], "meta": {"next_cursor": nxt}})

    http, _ = http_for(handler, "bdl")
    client = BdlClient(http, LandingZone(tmp_path), BDL_KEY)
    with pytest.raises(PaginationError, match="page 2") as info:
        client.fetch_games(D)
    assert info.value.pages_landed == 1
    bodies = [f.path.read_bytes() for f in client.landing.files("bdl", "games", D)]
    assert b"<html>maintenance</html>" in bodies  # kept for inspection
    client.fetch_games(D)
    assert calls == [None, "c2", "c2"]
    entries = client.landing.manifest("bdl", "games", D)
    assert [(e["page"], e["cursor"], e["complete"]) for e in entries] == [
        (1, None, False),
        (2, "c2", False),  # the maintenance page
        (2, "c2", True),  # the same page, re-requested by the resume
    ]
    assert len({e["fetch_id"] for e in entries}) == 1


def test_bdl_auth_header_and_401(tmp_path):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"data": [], "meta": {}})

    http, _ = http_for(handler, "bdl")
    BdlClient(http, LandingZone(tmp_path), "Bearer abc").fetch_box_scores(D)
    BdlClient(http, LandingZone(tmp_path), "abc").fetch_injuries(D)
    assert seen[0].headers["Authorization"] == "Bearer abc"
    assert seen[0].url.path == "/v1/box_scores" and seen[0].url.params["date"] == "2025-01-20"
    assert seen[1].headers["Authorization"] == "abc"
    assert seen[1].url.path == "/v1/player_injuries"
    assert dict(seen[1].url.params) == {"per_page": "100", "date": "2025-01-20"}

    client, _ = bdl(tmp_path, FakeStats(), key="wrong-key")
    with pytest.raises(AuthError, match="missing or invalid API key for bdl") as info:
        client.fetch_stats(D)
    assert "wrong-key" not in str(info.value)


# ------------------------------------------------------------------------------------ NBA.com
def test_nbacom_params_headers_and_schedule_hard_links(tmp_path):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"resultSets": [], "path": request.url.path})

    http, _ = http_for(handler, "nbacom")
    client = NbaComClient(http, LandingZone(tmp_path))
    [f] = client.fetch_leaguegamelog(D)
    assert f.path.parent.parent.name == "leaguegamelog"
    assert dict(seen[0].url.params) == {
        "Counter": "0", "DateFrom": "01/20/2025", "DateTo": "01/20/2025", "Direction": "ASC",
        "LeagueID": "00", "PlayerOrTeam": "P", "Season": "2024-25", "SeasonType": "Regular Season",
        "Sorter": "DATE",
    }
    assert seen[0].headers["Referer"] == "https://www.nba.com/"
    assert "Mozilla" in seen[0].headers["User-Agent"] and "json" in seen[0].headers["Accept"]

    dates = [date(2025, 10, 21), date(2025, 10, 22), date(2025, 10, 23)]
    landed = client.fetch_schedule(2025, dates)
    assert len(seen) == 2  # one request for the whole season
    assert seen[1].url.path == "/stats/scheduleleaguev2"
    assert dict(seen[1].url.params) == {"LeagueID": "00", "Season": "2025-26"}
    assert [f.path.parent.name for f in landed] == [d.isoformat() for d in dates]
    assert len({f.path.stat().st_ino for f in landed}) == 1
    assert client.fetch_schedule(2025, []) == [] and len(seen) == 2


def test_season_helpers():
    assert season_year_of(date(2025, 10, 21)) == 2025
    assert season_year_of(date(2025, 9, 30)) == 2025  # preseason belongs to the new season
    assert season_year_of(date(2026, 4, 12)) == 2025
    assert season_label(2025) == "2025-26" and season_label(1999) == "1999-00"


# ------------------------------------------------------------------------------------ Odds API
def test_events_window_params_and_filter(tmp_path):
    seen = []
    tip_today = "2025-01-21T00:30:00Z"  # 19:30 ET on the 20th
    tip_tomorrow = "2025-01-22T00:30:00Z"

    def handler(request):
        seen.append(request)
        data = [
            {"id": "e1", "commence_time": tip_today, "home_team": "Los Angeles Lakers"},
            {"id": "e2", "commence_time": tip_tomorrow, "home_team": "Boston Celtics"},
        ]
        body = {"timestamp": "2025-01-20T17:00:00Z", "next_timestamp": None, "data": data}
        return httpx.Response(200, json=body)

    http, _ = http_for(handler, "oddsapi")
    client = OddsApiClient(http, LandingZone(tmp_path), ODDS_KEY)
    got = client.fetch_events(D)
    assert [e["id"] for e in got.events] == ["e1"]  # a stray event of another day is not walked
    assert len(got.files) == 1 and got.files[0].path.parent.parent.name == "events"
    p = seen[0].url.params
    assert seen[0].url.path == "/v4/historical/sports/basketball_nba/events"
    assert p["apiKey"] == ODDS_KEY
    assert p["date"] == "2025-01-20T17:00:00Z"  # 12:00 EST
    assert p["commenceTimeFrom"] == "2025-01-20T05:00:00Z"
    assert p["commenceTimeTo"] == "2025-01-21T11:00:00Z"
    assert ODDS_KEY not in (got.files[0].path.parent / "_manifest.jsonl").read_text()
    # Summer time: 12:00 EDT is 16:00 UTC.
    assert iso_z(events_window(date(2025, 4, 1))[0]) == "2025-04-01T16:00:00Z"


class FakeOddsHistory:
    """Historical event odds: a snapshot at every requested date, the next one `step` later."""

    def __init__(self, commence: datetime, step: timedelta):
        self.commence, self.step = commence, step
        self.dates: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v4/historical/sports/basketball_nba/events/ev1/odds"
        p = request.url.params
        assert (p["regions"], p["markets"], p["oddsFormat"], p["apiKey"]) == (
            "us", "player_points", "american", ODDS_KEY,
        )
        self.dates.append(p["date"])
        at = datetime.fromisoformat(p["date"].replace("Z", "+00:00"))
        body = {
            "timestamp": iso_z(at),
            "previous_timestamp": iso_z(at - self.step),
            "next_timestamp": iso_z(at + self.step),
            "data": {"id": "ev1", "commence_time": iso_z(self.commence), "bookmakers": []},
        }
        return httpx.Response(200, json=body)


COMMENCE = datetime(2025, 1, 21, 0, 30, tzinfo=UTC)
EVENT = {"id": "ev1", "commence_time": "2025-01-21T00:30:00Z"}


def odds(tmp_path, server):
    http, _ = http_for(server, "oddsapi")
    return OddsApiClient(http, LandingZone(tmp_path), ODDS_KEY)


LEAD_DATES = ["2025-01-19T12:30:00Z", "2025-01-20T12:30:00Z", "2025-01-20T21:30:00Z", "2025-01-20T23:30:00Z",
              "2025-01-21T00:15:00Z", "2025-01-21T00:29:59Z", "2025-01-21T03:30:00Z"]


def test_odds_history_asks_each_fixed_lead_once_through_tip_off_plus_3h(tmp_path):
    # Snapshots five minutes apart, as on the real API: the leads span T-36h to the close, not an hour.
    server = FakeOddsHistory(COMMENCE, timedelta(minutes=5))
    client = odds(tmp_path, server)
    landed = client.fetch_event_odds_history(EVENT)
    # T-36h, T-12h, T-3h, T-1h, T-15m, T-1s and T+3h (an in-game snapshot lands: downstream drops it).
    assert server.dates == LEAD_DATES
    assert len(landed) == 7
    # Landed under the ET game date of tip-off, not the UTC date.
    assert {f.path.parent.name for f in landed} == {"2025-01-20"}
    entries = client.landing.manifest("oddsapi", "event_odds", D)
    assert [e["cursor"] for e in entries] == LEAD_DATES and [e["complete"] for e in entries] == [False] * 6 + [True]
    assert ODDS_KEY not in json.dumps(entries)
    server.dates.clear()
    assert client.fetch_event_odds_history(EVENT) == [] and server.dates == []  # nothing asked twice


def test_odds_history_asks_no_lead_after_now_and_resumes_with_the_rest(tmp_path):
    server = FakeOddsHistory(COMMENCE, timedelta(hours=10))
    client = odds(tmp_path, server)
    client.fetch_event_odds_history(EVENT, now=COMMENCE - timedelta(hours=2))
    assert server.dates == LEAD_DATES[:3]
    server.dates.clear()
    client.fetch_event_odds_history(EVENT)
    assert server.dates == LEAD_DATES[3:]


# ------------------------------------------------------------------------------------ sources resource
def test_sources_resource_modes_and_key_handling(tmp_path):
    live = SourcesResource(mode="live", data_dir=str(tmp_path), bdl_api_key=BDL_KEY, odds_api_key=None)
    assert live.fetching_enabled
    assert BDL_KEY not in repr(live) and BDL_KEY not in str(live)
    assert BDL_KEY not in repr(live.bdl())
    with pytest.raises(MissingApiKey, match="ODDS_API_KEY"):
        live.odds()
    assert live.nbacom().base_url == "https://stats.nba.com"  # no key needed
    landing = SourcesResource(mode="landing", data_dir=str(tmp_path))
    assert not landing.fetching_enabled
    with pytest.raises(FetchDisabled, match="NBA_LAKE_SOURCE=landing: not fetching"):
        landing.bdl()
    assert landing.landing().root == LandingZone(tmp_path).root
    with pytest.raises(ValueError, match="not one of"):
        SourcesResource(mode="prod").fetching_enabled


def test_clients_land_real_samples_byte_for_byte(tmp_path):
    sample = SAMPLES / "bdl" / "stats_sample.json"
    raw = sample.read_bytes()

    def handler(request):
        return httpx.Response(200, content=raw, headers={"content-type": "application/json"})

    http, _ = http_for(handler, "bdl")
    client = BdlClient(http, LandingZone(tmp_path), BDL_KEY)
    landed = client.fetch_stats(D)
    assert landed[0].path.read_bytes() == raw  # untouched
    assert client.landing.read_json(landed[0]) == json.loads(raw)


# ------------------------------------------------------------------------------------ against the sim
try:
    from resources.sim import SimClock, SimConfig, SimLeague, sim_transport
except ImportError:  # the simulated league is optional for these unit tests
    SimLeague = None

SIM_SEASON = 2024
SIM_NOW = datetime(2025, 6, 1, tzinfo=UTC)  # after the season: every boxscore and snapshot is out


@pytest.fixture(scope="module")
def sim_league():
    if SimLeague is None:
        pytest.skip("resources.sim is not available")
    # One season only: generating a season takes seconds.
    return SimLeague(SimConfig(seed=7, seasons=(SIM_SEASON,)))


def sim_http(league, state_dir: Path, name: str) -> tuple[HttpSource, list[float]]:
    transport = sim_transport(league, SimClock(state_dir, fixed=SIM_NOW), state_dir)
    slept: list[float] = []
    http = HttpSource(httpx.Client(transport=transport), RetryPolicy(max_attempts=5), sleep=slept.append,
                      rng=random.Random(0), name=name)
    return http, slept


def test_sim_bdl_stats_pagination_fault_resumes_and_lands_every_row(sim_league, tmp_path):
    faults = sim_league.faults(SIM_SEASON)
    day = faults.filter(faults["kind"] == "pagination_failure")["game_date"].min()
    http, slept = sim_http(sim_league, tmp_path / "sim", "bdl")
    client = BdlClient(http, LandingZone(tmp_path), "sim-key")
    with pytest.raises(PaginationError) as info:
        client.fetch_stats(day)
    assert info.value.page == 2 and info.value.pages_landed == 1
    assert len(client.landing.files("bdl", "stats", day)) == 1
    client.fetch_stats(day)  # the source recovered: resume from page 2
    entries = client.landing.manifest("bdl", "stats", day)
    assert len({e["fetch_id"] for e in entries}) == 1 and entries[-1]["complete"]
    assert [e["page"] for e in entries] == list(range(1, len(entries) + 1))
    rows = [r for f in client.landing.files("bdl", "stats", day) for r in client.landing.read_json(f)["data"]]
    box = sim_league.boxscores(SIM_SEASON)
    truth = box.filter(box["game_date"] == day)
    assert {(r["game"]["id"], r["player"]["id"]) for r in rows} == set(
        zip(
            sim_league.schedule(SIM_SEASON).join(truth, on="game_id")["bdl_game_id"].to_list(),
            sim_league.schedule(SIM_SEASON).join(truth, on="game_id")["bdl_player_id"].to_list(),
            strict=True,
        )
    )


def test_sim_nbacom_and_odds_endpoints(sim_league, tmp_path):
    sched = sim_league.schedule(SIM_SEASON)
    day = sched["game_date"].sort()[40]
    nba_http, _ = sim_http(sim_league, tmp_path / "sim", "nbacom")
    nba = NbaComClient(nba_http, LandingZone(tmp_path))
    [log_file] = nba.fetch_leaguegamelog(day)
    gamelog = nba.landing.read_json(log_file)["resultSets"][0]
    assert gamelog["rowSet"] and "PLAYER_ID" in gamelog["headers"]
    landed = nba.fetch_schedule(SIM_SEASON, [day, day + timedelta(days=1)])
    assert len(landed) == 2 and nba.landing.read_json(landed[0])["leagueSchedule"]["gameDates"]

    odds_http, _ = sim_http(sim_league, tmp_path / "sim", "oddsapi")
    client = OddsApiClient(odds_http, LandingZone(tmp_path), "sim-key")
    got = client.fetch_events(day)
    assert {e["id"] for e in got.events} == set(sched.filter(sched["game_date"] == day)["event_id"].to_list())
    event = got.events[0]
    snaps = client.fetch_event_odds_history(event)
    assert len(snaps) >= 2
    stamps = [client.landing.read_json(f)["timestamp"] for f in snaps]
    assert stamps == sorted(stamps) and len(stamps) == 7  # a lead past the last snapshot repeats it
    assert len({f.name for f in snaps}) == len(set(stamps))  # the same snapshot is one landed file
    assert {f.path.parent.name for f in snaps} == {day.isoformat()}
    commence = datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00"))
    assert all(
        datetime.fromisoformat(s.replace("Z", "+00:00")) <= commence + timedelta(hours=3) for s in stamps
    )


def test_sources_resource_sim_mode_serves_the_clients(sim_league, tmp_path, monkeypatch):
    import resources.sources as sources_mod

    monkeypatch.setattr(sources_mod, "_sim_league", lambda seed, seeded_faults=True: sim_league)
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    res = SourcesResource(mode="sim", data_dir=str(tmp_path))
    day = sim_league.schedule(SIM_SEASON)["game_date"].sort()[0]
    [f] = res.bdl().fetch_box_scores(day)
    assert res.landing().read_json(f)["data"]
    assert f.path.is_relative_to(tmp_path / "landing" / "bdl" / "box_scores")
    assert res.odds().fetch_events(day).events
