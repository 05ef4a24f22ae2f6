"""Network faults and poison responses through the real clients, retry budget and raw assets (sim).

- a storm: ~30 % of request attempts fail (429 with/without Retry-After, 500, 503, timeouts, resets);
  a two-week raw backfill lands exactly the files of a clean run;
- a page that keeps failing past the whole retry budget fails the run naming it, keeps the pages
  landed before it, and the next run resumes at that page;
- an HTML page served with 200 is quarantined, the other days land, and the next run re-fetches it;
- so is an odds `events` body that is not a list (found while fetching: the odds walk needs its ids).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import dagster as dg
import httpx
import polars as pl

from nba_assets import raw
from nba_assets.raw import RAW_ASSETS, REJECTS_CHECK, bdl_boxscores, nbacom_boxscores, prop_lines
from resources.env import resources_for
from resources.http import RETRY_BUDGET
from resources.landing import QUARANTINE
from resources.settings import settings
from resources.sim import network
from resources.sources import SourcesResource
from tests.conftest import file_hashes, range_tags

_ORIGINAL_TRANSPORT = SourcesResource._sim_transport
TABLES = ("schedule", "bdl_boxscores", "nbacom_boxscores", "prop_lines", "injuries")


def _run(assets, instance, **kw):
    return dg.materialize(assets, resources=resources_for(settings()), instance=instance, **kw)


def _hashes(data) -> dict[str, dict[str, str]]:
    return {t: file_hashes(data / "lake" / "raw" / t) for t in TABLES}


class _Rule(httpx.BaseTransport):
    """Answers requests matching `when` with `answer` (at most `times` times), the rest from `inner`."""

    def __init__(self, inner, when: Callable[[httpx.Request], bool], answer, times: int) -> None:
        self.inner, self.when, self.answer, self.left = inner, when, answer, times
        self.hits = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            hit = self.left > 0 and self.when(request)
            if hit:
                self.left -= 1
                self.hits += 1
        return self.answer(request) if hit else self.inner.handle_request(request)


def _wrap(monkeypatch, **rule) -> list[_Rule]:
    made: list[_Rule] = []
    original = SourcesResource._sim_transport

    def patched(self):
        if not made:  # one rule (and its counter) for the whole test, whichever client asks first
            made.append(_Rule(original(self), **rule))
        else:
            made[0].inner = original(self)
        return made[0]

    monkeypatch.setattr(SourcesResource, "_sim_transport", patched)
    return made


def test_a_fault_storm_on_a_two_week_backfill_lands_exactly_the_clean_rows(sim_lake, instance, tmp_path,
                                                                          monkeypatch):
    start, end = "2025-11-10", "2025-11-23"
    monkeypatch.setenv("NBA_LAKE_SIM_FAULTS", "none")
    assert _run(RAW_ASSETS, instance, tags=range_tags(start, end)).success
    clean = _hashes(sim_lake)
    assert all(len(v) == 14 for v in clean.values())

    stormy = tmp_path / "storm"
    stormy.mkdir()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(stormy))
    monkeypatch.setenv("NBA_LAKE_SIM_NETWORK_FAULT_RATE", "0.3")
    network.STATS.clear()
    res = _run(RAW_ASSETS, instance, tags=range_tags(start, end))
    assert res.success
    stats = dict(network.STATS)
    injected = sum(v for k, v in stats.items() if k != "requests")
    print(f"storm: {stats['requests']} request attempts, {injected} faults injected: {stats}")
    assert 0.25 < injected / stats["requests"] < 0.35
    assert all(stats[k] > 0 for k in network.KINDS)
    assert _hashes(stormy) == clean  # every table, every day: byte-identical files


def test_a_page_failing_past_the_retry_budget_fails_the_run_naming_it_and_resumes(sim_lake, instance,
                                                                                 monkeypatch):
    # Rate limited for ever (a 5xx for ever is a source outage: the day is written from what is landed
    # and reported, nba_assets/outage.py).
    day = "2025-12-08"

    def page2(req: httpx.Request) -> bool:
        return req.url.path == "/v1/stats" and "cursor" in req.url.params

    budget = RETRY_BUDGET.requests_per_failing_page
    # The resumes' waits (1 s, 2 s per call) are not what this test proves: the count of requests is.
    monkeypatch.setattr(raw, "RESUME_BACKOFF_S", 0.0)
    rules = _wrap(monkeypatch, when=page2, times=10_000,
                  answer=lambda r: httpx.Response(429, json={"message": "Too Many Requests"}, request=r))
    res = _run([bdl_boxscores], instance, partition_key=day, raise_on_error=False)
    assert not res.success
    assert rules[0].hits == budget == 30  # the whole budget, not more: 5 attempts x 3 calls x 2 runs
    failures = [e for e in res.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    err, msgs = failures[-1].step_failure_data.error, []
    while err is not None:
        msgs.append(err.message)
        err = err.cause
    msg = " <- ".join(msgs)
    assert "page 2" in msg and day in msg and "resumes at page 2" in msg, msg
    folder = sim_lake / "landing" / "bdl" / "stats" / day
    pages = [json.loads(x)["page"] for x in (folder / "_manifest.jsonl").read_text().splitlines()]
    assert pages == [1]  # page 1 landed once, kept through every retry

    monkeypatch.undo()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(sim_lake))
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    from tests.conftest import SIM_NOW

    monkeypatch.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    assert _run([bdl_boxscores], instance, partition_key=day).success
    pages = [json.loads(x)["page"] for x in (folder / "_manifest.jsonl").read_text().splitlines()]
    assert pages[0] == 1 and pages.count(1) == 1 and 2 in pages  # resumed at page 2


def test_an_html_page_with_200_is_quarantined_the_other_days_land_and_the_next_run_refetches(
    sim_lake, instance, monkeypatch
):
    days = ["2025-12-05", "2025-12-06", "2025-12-07"]
    poisoned = "12/06/2025"

    def gamelog_of_day(req: httpx.Request) -> bool:
        return req.url.path == "/stats/leaguegamelog" and req.url.params.get("DateFrom") == poisoned

    html = b"<!DOCTYPE html><html><body>Access Denied - edge error 18.2c</body></html>"
    _wrap(monkeypatch, when=gamelog_of_day, times=1,
          answer=lambda r: httpx.Response(200, content=html, headers={"content-type": "text/html"}, request=r))
    res = _run([nbacom_boxscores], instance, tags=range_tags(days[0], days[-1]))
    assert res.success
    lake = sim_lake / "lake" / "raw" / "nbacom_boxscores"
    heights = {d: pl.read_parquet(lake / f"{d}.parquet").height for d in days}
    assert heights["2025-12-05"] > 0 and heights["2025-12-07"] > 0 and heights["2025-12-06"] == 0
    evs = {e.partition: e for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK}
    ev = evs["2025-12-06"]  # the day's own record; the step's record names the range's failing days
    assert not ev.passed and ev.metadata["failing_dates"].value == "2025-12-06"
    assert evs[None].metadata["range_failing_dates"].value == "2025-12-06"
    assert {d: evs[d].passed for d in days} == {d: d != "2025-12-06" for d in days}
    table = ev.metadata["rejects"].value
    assert "quarantined" in table and "body" in table
    qdir = sim_lake / "landing" / "nbacom" / "leaguegamelog" / "2025-12-06" / QUARANTINE
    [kept] = [p for p in qdir.iterdir() if p.suffix == ".json"]
    assert kept.read_bytes() == html

    # Next run, the source answers normally: the day is re-fetched and lands; the poison stays kept.
    res = _run([nbacom_boxscores], instance, partition_key="2025-12-06")
    assert res.success
    assert pl.read_parquet(lake / "2025-12-06.parquet").height > 0
    assert [e.passed for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK] == [True]
    assert kept.exists()


def test_an_odds_events_body_that_is_not_a_list_is_quarantined_the_other_days_land_and_the_next_run_refetches(
    sim_lake, instance, monkeypatch
):
    # Persistent for the whole run (a retry would get the same body): the day is quarantined, not retried.
    days = ["2025-12-05", "2025-12-06", "2025-12-07"]

    def events_of_day(req: httpx.Request) -> bool:
        return req.url.path.endswith("/events") and req.url.params.get("date", "").startswith("2025-12-06")

    body = {"message": "Usage quota has been reached", "error_code": "OUT_OF_USAGE_CREDITS"}
    rules = _wrap(monkeypatch, when=events_of_day, times=10_000,
                  answer=lambda r: httpx.Response(200, json=body, request=r))
    res = _run([prop_lines], instance, tags=range_tags(days[0], days[-1]))
    assert res.success
    assert rules[0].hits == 1  # quarantined at once, not re-asked within the run
    lake = sim_lake / "lake" / "raw" / "prop_lines"
    sources = {d: set(pl.read_parquet(lake / f"{d}.parquet")["source"]) for d in days}
    # 12-06's odds were not walked: the day is lined by the second feed alone.
    assert sources["2025-12-06"] == {"sportsdataio"}, sources
    assert all(any("oddsapi" in s for s in sources[d]) for d in ("2025-12-05", "2025-12-07")), sources
    evs = {e.partition: e for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK}
    assert not evs["2025-12-06"].passed and evs["2025-12-06"].metadata["failing_dates"].value == "2025-12-06"
    assert evs[None].metadata["range_failing_dates"].value == "2025-12-06"
    assert {d: evs[d].passed for d in days} == {d: d != "2025-12-06" for d in days}
    table = evs["2025-12-06"].metadata["rejects"].value
    qdir = sim_lake / "landing" / "oddsapi" / "events" / "2025-12-06" / QUARANTINE
    [kept] = [p for p in qdir.iterdir() if p.suffix == ".json"]
    assert json.loads(kept.read_bytes()) == body
    assert "events" in table and kept.name in table and "quarantined" in table, table

    # Next run, the source answers normally: the day's events are re-fetched and its lines land.
    monkeypatch.setattr(SourcesResource, "_sim_transport", _ORIGINAL_TRANSPORT)
    res = _run([prop_lines], instance, partition_key="2025-12-06")
    assert res.success
    assert pl.read_parquet(lake / "2025-12-06.parquet").height > 0
    assert [e.passed for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK] == [True]
    assert kept.exists()
