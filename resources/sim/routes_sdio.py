"""SportsDataIO NBA odds routes of the simulated sources (a mixin of SimServer): betting events of a date,
player props of a game, in the API's format (times in US Eastern without an offset, team keys GS, NO,
NY, SA, PHO; tests/fixtures/sportsdataio/README.md names the documentation the format follows).

The props are the same simulated market The Odds API serves: each book's latest pre-tip snapshot at
the sim clock's now, `Updated` two minutes before the snapshot's time (the feed polls the books).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from nba_assets.partitions import ET
from resources.sim.market import BOOK_TITLES
from resources.sim.routes_odds import _event_lines
from resources.sim.wire import HttpError, SeasonIndex, json_response

SDIO_HOST = "api.sportsdata.io"
PREFIX = "/v3/nba/odds/json/"
SDIO_KEYS = {"GSW": "GS", "NOP": "NO", "NYK": "NY", "SAS": "SA", "PHX": "PHO"}
SPORTSBOOK_IDS = {"draftkings": 7, "fanduel": 8, "betmgm": 19, "caesars": 21}
UPDATE_LAG = timedelta(minutes=2)
NO_KEY = {"statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include "
          "subscription key when making requests to an API."}


def sdio_game_id(game_id: str) -> int:
    """The sim's SportsDataIO GameID of a regular-season NBA.com game id: its season digits and
    sequence ("0022500578" -> 2500578)."""
    return int(game_id[3:])


def _et(ts: datetime) -> str:
    return ts.astimezone(ET).replace(tzinfo=None).isoformat(timespec="seconds")


class SdioRoutes:
    def _sdio(self, req: httpx.Request) -> httpx.Response:
        if not (req.headers.get("ocp-apim-subscription-key", "").strip() or req.url.params.get("key", "").strip()):
            raise HttpError(401, NO_KEY)
        path = req.url.path
        if not path.startswith(PREFIX):
            raise HttpError(404, {"statusCode": 404, "message": "Resource not found"})
        name, _, arg = path[len(PREFIX):].partition("/")
        if name == "BettingEventsByDate":
            d = self._date(arg, name="date")
            return json_response(200, [self._sdio_event(g) for g in self._games_on(d)])
        if name == "BettingPlayerPropsByGameID":
            return json_response(200, self._sdio_props(arg))
        raise HttpError(404, {"statusCode": 404, "message": "Resource not found"})

    def _sdio_event(self, g: dict) -> dict:
        now = self.clock.now()
        gid = sdio_game_id(g["game_id"])
        status = {1: "Scheduled", 2: "InProgress", 3: "Final"}[self._status(g, now)]
        home, away = (SDIO_KEYS.get(x, x) for x in (g["home_team"], g["away_team"]))
        start = _et(g["tipoff_utc"])
        return {"BettingEventID": gid, "Name": f"{away} @ {home}", "Season": g["season_year"] + 1,
                "BettingEventTypeID": 1, "BettingEventType": "Game", "StartDate": start,
                "Created": _et(g["tipoff_utc"] - timedelta(days=3)), "Updated": _et(min(now, g["tipoff_utc"])),
                "GameID": gid, "GlobalGameID": 20_000_000 + gid, "GameStatus": status, "Quarter": None,
                "AwayTeam": away, "HomeTeam": home, "GameStartTime": start, "BettingMarkets": []}

    def _sdio_game(self, arg: str) -> tuple[SeasonIndex, dict]:
        try:
            gid = int(arg)
        except ValueError:
            raise HttpError(400, {"statusCode": 400, "message": f"Invalid gameId {arg!r}"}) from None
        game_id, season = f"002{gid:07d}", 2000 + gid // 100_000
        if season in self.league.config.seasons:
            idx = self._idx(season)
            if game_id in idx.games:
                return idx, idx.games[game_id]
        raise HttpError(404, {"statusCode": 404, "message": "Game not found"})

    def _sdio_props(self, arg: str) -> list[dict]:
        idx, g = self._sdio_game(arg)
        now, tip = self.clock.now(), g["tipoff_utc"]
        gid = sdio_game_id(g["game_id"])
        snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now and t < tip]
        if not snaps:
            return []
        lines = _event_lines(idx, g["event_id"])
        markets: dict[str, dict] = {}
        for book, title in BOOK_TITLES.items():
            # The book's latest snapshot that is not after now or tip-off.
            rows = next((lines[(t, book)] for t in reversed(snaps) if (t, book) in lines), None)
            snap = next((t for t in reversed(snaps) if (t, book) in lines), None)
            for name, over, under, line in rows or []:
                m = markets.setdefault(name, self._sdio_market(gid, len(markets), name))
                for side, price in (("Over", over), ("Under", under)):
                    m["BettingOutcomes"].append({
                        "BettingOutcomeID": gid * 1000 + len(m["BettingOutcomes"]),
                        "BettingMarketID": m["BettingMarketID"],
                        "SportsBook": {"SportsbookID": SPORTSBOOK_IDS[book], "Name": title},
                        "BettingOutcomeTypeID": 3 if side == "Over" else 4, "BettingOutcomeType": side,
                        "PayoutAmerican": price, "PayoutDecimal": _decimal(price), "Value": line,
                        "Participant": name, "IsAvailable": now < tip, "IsAlternate": False,
                        "Created": _et(snaps[0] - UPDATE_LAG), "Updated": _et(snap - UPDATE_LAG),
                        "Unlisted": None, "IsInPlay": False,
                    })
        return list(markets.values())

    @staticmethod
    def _sdio_market(gid: int, n: int, name: str) -> dict:
        return {"BettingMarketID": gid * 100 + n, "BettingEventID": gid, "BettingMarketTypeID": 2,
                "BettingMarketType": "Player Prop", "BettingBetTypeID": 45, "BettingBetType": "Total Points",
                "BettingPeriodTypeID": 1, "BettingPeriodType": "Full Game", "Name": f"{name} Total Points",
                "PlayerName": name, "GameID": gid, "AnyBetsAvailable": True, "BettingOutcomes": []}


def _decimal(american: int) -> float:
    return round(1 + (american / 100 if american > 0 else 100 / -american), 2)
