"""The Odds API's game lines (spreads and totals) of an event, at the few snapshot times the features need.

Props walk every snapshot (resources/clients.py); game lines need less: the opening line and the latest
line before the prediction time and before tip-off. So an event is asked at fixed leads before its
tip-off (SNAPSHOT_LEADS) through the historical event odds endpoint with `markets=spreads,totals`; the
API answers with the snapshot in force at that time. A lead still in the future is not asked yet, and
a lead already landed (its manifest entry, status 200) is never asked again: a refresh costs only the
leads that became due since the last one. Credits (The Odds API's pricing): 10 per market per region
for a historical odds request, so 20 per lead here, 80 for an event's four leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from nba_assets.partitions import ET
from resources.clients import SPORT, iso_z, parse_iso
from resources.http import HttpSource
from resources.landing import LandedFile, LandingZone

ENDPOINT = "game_lines"
MARKETS = "spreads,totals"
# The opening line (the props' earliest snapshot, T-36 h), a mid-day one, the prediction time (the
# last slate refresh, T-10 m: logic/game_lines.PREDICTION_LEAD) and the closing line (1 s before tip).
SNAPSHOT_LEADS = (timedelta(hours=36), timedelta(hours=3), timedelta(minutes=10), timedelta(seconds=1))
CREDITS_PER_LEAD = 20  # historical odds: 10 credits per market (2) per region (1)


class GameLinesClient:
    """Spreads and totals of Odds API events, landed under oddsapi/game_lines/<game date>/."""

    source = "oddsapi"

    def __init__(self, http: HttpSource, landing: LandingZone, api_key: str | None,
                 base_url: str = "https://api.the-odds-api.com") -> None:
        self.http = http
        self.landing = landing
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"GameLinesClient(base_url={self.base_url!r}, api_key={'***' if self._api_key else None})"

    def due_leads(self, event: Mapping[str, Any], now: datetime) -> list[datetime]:
        """The snapshot times of an event that are due by `now` and not landed yet, oldest first."""
        commence = parse_iso(str(event["commence_time"]))
        landed = self._landed_times(str(event["id"]), commence.astimezone(ET).date())
        times = [(commence - lead).replace(microsecond=0) for lead in SNAPSHOT_LEADS]
        return [t for t in times if t <= now and iso_z(t) not in landed]

    def fetch_event_lines(self, event: Mapping[str, Any], now: datetime) -> list[LandedFile]:
        """Land the event's due snapshots (due_leads); returns what was landed."""
        event_id = str(event["id"])
        game_date = parse_iso(str(event["commence_time"])).astimezone(ET).date()
        url = f"{self.base_url}/v4/historical/sports/{SPORT}/events/{event_id}/odds"
        landed: list[LandedFile] = []
        for at in self.due_leads(event, now):
            params = {**({"apiKey": self._api_key} if self._api_key else {}), "date": iso_z(at),
                      "regions": "us", "markets": MARKETS, "oddsFormat": "american"}
            resp = self.http.get(url, params=params)
            landed += self.landing.write(self.source, ENDPOINT, [game_date], resp.content, url=url,
                                         params=params, status=resp.status_code)
        return landed

    def _landed_times(self, event_id: str, game_date) -> set[str]:
        suffix = f"/events/{event_id}/odds"
        return {
            str(e["params"].get("date"))
            for e in self.landing.manifest(self.source, ENDPOINT, game_date)
            if str(e.get("url", "")).endswith(suffix) and e.get("status") == 200 and isinstance(e.get("params"), dict)
        }
