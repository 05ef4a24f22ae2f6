"""The Odds API's game lines (spreads and totals) of an event, at the few snapshot times the features need.

Props walk every snapshot (resources/clients.py); game lines need less: the opening line and the latest
line before the prediction time and before tip-off. An event has four leads before its tip-off
(SNAPSHOT_LEADS); lead i's slot runs from it to the next lead (the last one's to tip-off). Spent as a
paying user would (docs/data.md), like the props:
- An event on today's slate or later, not tipped off yet: at a refresh whose slot has nothing landed,
  one request to the CURRENT event odds endpoint (markets x regions credits: 2 here); the line in force
  now is the slot's snapshot (its snapshot_ts is the request time, `requested_at` in the manifest; a
  body identical to one landed at an earlier refresh is the same file, so its entry lists every
  capture time, `captures`, and the raw table keeps a row per capture).
  A slot already landed, a slot still in the future and an event already tipped off cost nothing.
- An event of a day already past: the HISTORICAL event odds endpoint (10 x markets x regions: 20 here)
  for each lead whose slot has nothing landed; the API answers with the snapshot in force at the lead.
Every landed response records its lead (`lead`) and the quota headers (`quota`, resources/quota.py) in
its manifest entry, so a refresh or a re-run never buys a landed slot twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from nba_assets.partitions import ET
from resources.clients import SPORT, KeyedClient, OddsApiClient, iso_z, parse_iso
from resources.landing import LandedFile, content_name
from resources.quota import odds_cost, quota_of

ENDPOINT = "game_lines"
MARKETS = "spreads,totals"
# The opening line (the props' earliest snapshot, T-36 h), a mid-day one, the prediction time (the
# last slate refresh, T-10 m: logic/game_lines.PREDICTION_LEAD) and the closing line (1 s before tip).
SNAPSHOT_LEADS = (timedelta(hours=36), timedelta(hours=3), timedelta(minutes=10), timedelta(seconds=1))
CREDITS_CURRENT = odds_cost(markets=2, regions=1, historical=False)  # 2: spreads + totals, region us
CREDITS_PER_LEAD = odds_cost(markets=2, regions=1, historical=True)  # 20 per historical lead


def lead_times(commence: datetime) -> list[datetime]:
    """The event's snapshot times (tip-off minus each lead, whole seconds), oldest first."""
    return [(commence - lead).replace(microsecond=0) for lead in SNAPSHOT_LEADS]


def slot_of(times: list[datetime], commence: datetime, at: datetime) -> datetime | None:
    """The lead whose slot holds `at` (the latest lead at or before it); None before the first lead or
    from tip-off on."""
    if at >= commence:
        return None
    passed = [t for t in times if t <= at]
    return passed[-1] if passed else None


def landed_leads(entries: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """{event id: the leads (ISO Z) landed with status 200} from a day's game_lines manifest. An entry
    names its lead (`lead`); one without it is a historical request, whose lead is its `date` param."""
    out: dict[str, set[str]] = {}
    for e in entries:
        url = str(e.get("url", "")).rstrip("/")
        if e.get("status") != 200 or not url.endswith("/odds") or "/events/" not in url:
            continue
        params = e.get("params") if isinstance(e.get("params"), dict) else {}
        lead = e.get("lead") or (params.get("date") if "/historical/" in url else None)
        if lead:
            out.setdefault(url.split("/")[-2], set()).add(str(lead))
    return out


class GameLinesClient(KeyedClient):
    """Spreads and totals of Odds API events, landed under oddsapi/game_lines/<game date>/."""

    source = "oddsapi"
    BASE_URL = OddsApiClient.BASE_URL

    def due_leads(self, event: Mapping[str, Any], now: datetime) -> list[datetime]:
        """The leads of an event that are due by `now` and whose slot has nothing landed, oldest first."""
        commence = parse_iso(str(event["commence_time"]))
        landed = landed_leads(self.landing.manifest(self.source, ENDPOINT, commence.astimezone(ET).date()))
        got = landed.get(str(event["id"]), set())
        return [t for t in lead_times(commence) if t <= now and iso_z(t) not in got]

    def fetch_event_lines(self, event: Mapping[str, Any], now: datetime) -> list[LandedFile]:
        """Land what a refresh at `now` needs of the event (module docstring); returns what was landed."""
        event_id = str(event["id"])
        commence = parse_iso(str(event["commence_time"]))
        game_date = commence.astimezone(ET).date()
        due = self.due_leads(event, now)
        if game_date >= now.astimezone(ET).date():
            slot = slot_of(lead_times(commence), commence, now)
            if slot is None or slot not in due:
                return []
            url = f"{self.base_url}/v4/sports/{SPORT}/events/{event_id}/odds"
            params = self._params()
            resp = self.http.get(url, params=params)
            return self._land(game_date, url, params, resp, lead=iso_z(slot), requested_at=iso_z(now),
                              captures=self._captures(game_date, resp.content, iso_z(now)))
        url = f"{self.base_url}/v4/historical/sports/{SPORT}/events/{event_id}/odds"
        landed: list[LandedFile] = []
        for at in due:
            params = self._params(date=iso_z(at))
            resp = self.http.get(url, params=params)
            landed += self._land(game_date, url, params, resp, lead=iso_z(at))
        return landed

    def _captures(self, game_date: date, body: bytes, now: str) -> list[str]:
        """Every time this exact body was captured, `now` included: a current body unchanged since an
        earlier refresh lands as the same file, whose latest manifest entry must still name the earlier
        capture (the line was in force then too)."""
        name = content_name(self.landing.redact(body))
        return sorted({str(e["requested_at"]) for e in self.landing.manifest(self.source, ENDPOINT, game_date)
                       if e.get("file") == name and e.get("requested_at")} | {now})

    def _params(self, **extra: str) -> dict[str, str]:
        return {**({"apiKey": self._api_key} if self._api_key else {}), **extra,
                "regions": "us", "markets": MARKETS, "oddsFormat": "american"}

    def _land(self, game_date: date, url: str, params: dict[str, str], resp: httpx.Response,
              **meta: Any) -> list[LandedFile]:
        return self.landing.write(self.source, ENDPOINT, [game_date], resp.content, url=url,
                                  params=params, status=resp.status_code,
                                  meta={"quota": quota_of(resp), **meta})
