"""SportsDataIO's NBA odds API (v3), the second props feed: betting events of a date and the player props
of a game (https://sportsdata.io/developers/api-documentation/nba#odds).

- `GET /v3/nba/odds/json/BettingEventsByDate/{date}`: the date's betting events, each with its GameID,
  teams (SportsDataIO keys: GS, NO, NY, SA, PHO) and GameStartTime (US Eastern, no offset).
- `GET /v3/nba/odds/json/BettingPlayerPropsByGameID/{gameId}`: the game's player-prop BettingMarkets, each
  with its BettingOutcomes (one per sportsbook and side: Over/Under, Value = the line, PayoutAmerican,
  Updated in US Eastern time).

The key goes in the `Ocp-Apim-Subscription-Key` header, never in the URL, so no landed URL carries it.
The subscription is flat-rate: requests cost no credits and the API reports no quota. The current
endpoints are all there is in the plan this client targets: a game's props are fetched while it is
upcoming, and once after tip-off for its closing lines; a game whose props were landed by a request
made after its tip-off is never fetched again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import httpx

from nba_assets.partitions import ET
from resources.clients import KeyedClient, PoisonResponse, _json_or_none
from resources.http import redact_url
from resources.landing import LandedFile

log = logging.getLogger(__name__)
KEY_HEADER = "Ocp-Apim-Subscription-Key"


def start_time(event: Mapping[str, Any]) -> datetime | None:
    """A betting event's tip-off: GameStartTime (or StartDate), US Eastern without an offset."""
    raw = event.get("GameStartTime") or event.get("StartDate")
    if not isinstance(raw, str):
        return None
    try:
        ts = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return ts.replace(tzinfo=ET) if ts.tzinfo is None else ts


class SportsDataIoClient(KeyedClient):
    """SportsDataIO NBA odds: betting events of a date, player props of a game."""

    source = "sportsdataio"
    BASE_URL = "https://api.sportsdata.io"

    def _get(self, url: str) -> httpx.Response:
        return self.http.get(url, headers={KEY_HEADER: self._api_key} if self._api_key else {})

    def fetch_events(self, game_date: date) -> list[dict]:
        """The date's betting events (landed); those with a GameID and a readable start time."""
        url = f"{self.base_url}/v3/nba/odds/json/BettingEventsByDate/{game_date.isoformat()}"
        resp = self._get(url)
        files = self.landing.write(self.source, "betting_events", [game_date], resp.content, url=url,
                                   params=None, status=resp.status_code)
        body = _json_or_none(resp.content)
        if not isinstance(body, list):
            moved = self.landing.quarantine(files[0], "betting events response is not a list")
            raise PoisonResponse(
                f"{self.source}: betting events of {game_date} are not a list; quarantined to {moved}; "
                "the next run re-fetches them", source=self.source, endpoint=httpx.URL(url).path,
                params=None, attempts=1, last_status=resp.status_code, file=files[0], moved=moved)
        events = []
        for e in body:
            if isinstance(e, dict) and e.get("GameID") is not None and start_time(e) is not None:
                events.append(e)
            else:
                log.warning("sportsdataio events %s: skipped %.200r: needs a GameID and a GameStartTime",
                            game_date, e)
        return events

    def probe_events(self, game_date: date) -> Any:
        """The date's betting events, NOT landed: whether the API answers (the outage recovery sensor)."""
        return self._get(f"{self.base_url}/v3/nba/odds/json/BettingEventsByDate/{game_date.isoformat()}").json()

    def fetch_player_props(self, event: Mapping[str, Any], now: datetime) -> list[LandedFile]:
        """The game's player props, landed with the time they were asked (`now`, the sources' clock);
        nothing when a body asked at or after tip-off is already landed (its closing lines)."""
        tip = start_time(event)
        if tip is None:
            return []
        game_date = tip.date()
        url = f"{self.base_url}/v3/nba/odds/json/BettingPlayerPropsByGameID/{event['GameID']}"
        if now >= tip and self._closing_landed(url, game_date, tip):
            return []
        resp = self._get(url)
        return self.landing.write(self.source, "player_props", [game_date], resp.content, url=url,
                                  params=None, status=resp.status_code, meta={"requested_at": now.isoformat()})

    def _closing_landed(self, url: str, game_date: date, tip: datetime) -> bool:
        url = redact_url(url)
        for e in self.landing.manifest(self.source, "player_props", game_date):
            if e.get("url") == url and e.get("status") == 200 and e.get("requested_at"):
                if datetime.fromisoformat(e["requested_at"]) >= tip:
                    return True
        return False
