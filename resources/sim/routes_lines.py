"""The Odds API's spreads and totals markets in the simulated sources (a mixin of SimServer).

The same event odds endpoints as the props (live `/v4/sports/.../events/{id}/odds` and historical
`/v4/historical/sports/.../events/{id}/odds`) with `markets=spreads,totals` (or one of them): the
bookmakers' game lines at the snapshot in force, in the real API's shape (spreads: one outcome per team
with its point; totals: Over and Under with the same point). A request asks for the game markets or for
player_points, not both at once (the project's clients never mix them). Seeded transient faults and
operator outages apply as to the props: a day's seeded 429/503 on either event odds endpoint
answers the game-line requests too (their counters are shared with the props'). Each answer is charged
like the real API (`_charged`: markets x regions credits, 10x for historical ones) with its quota headers.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

import httpx

from resources import quota
from resources.sim.market import BOOK_TITLES, BOOKS
from resources.sim.wire import MISSING_DATE, HttpError, iso_z

GAME_MARKETS = ("spreads", "totals")


class GameLineRoutes:
    def _game_line_snapshots(self, season: int, event_id: str) -> dict[datetime, dict[str, tuple]]:
        """{snapshot_ts: {book: row}} of an event, built once per season."""
        cache = self.__dict__.setdefault("_game_line_cache", {})
        if season not in cache:
            by_event: dict[str, dict[datetime, dict[str, tuple]]] = {}
            cols = ("event_id", "snapshot_ts", "bookmaker", "home_spread", "home_spread_price",
                    "away_spread_price", "total", "over_price", "under_price")
            for ev, ts, book, *rest in self.league.game_lines(season).select(cols).iter_rows():
                by_event.setdefault(ev, {}).setdefault(ts, {})[book] = tuple(rest)
            cache[season] = by_event
        return cache[season].get(event_id, {})

    def _game_line_odds(self, idx, g: dict, params: httpx.QueryParams, historical: bool) -> httpx.Response:
        markets = set(params.get("markets", "").split(","))
        if "player_points" in markets:
            raise HttpError(422, {"message": "sim: ask for player_points apart from spreads/totals",
                                  "error_code": "INVALID_MARKET_COMBO"})
        now = self.clock.now()
        for endpoint in ("oddsapi/event_odds", "oddsapi/historical_event_odds"):  # the Odds API's faults of the day
            self._transient(endpoint, [g["game_date"]])
        snaps_by_ts = self._game_line_snapshots(idx.season_year, g["event_id"])
        times = sorted(t for t in snaps_by_ts if t <= now)
        at = now
        if historical:
            ts = self._ts_param(params, "date")
            if ts is None:
                raise HttpError(422, MISSING_DATE)
            at = min(ts, now)
        i = bisect.bisect_right(times, at)
        snap = times[i - 1] if i else None
        body = self._event(g)
        body["bookmakers"] = self._game_line_books(g, snaps_by_ts.get(snap, {}), snap, markets) if snap else []
        # Billed like the real API: markets x regions credits (10x historical) for the markets answered.
        regions = len([r for r in params.get("regions", "us").split(",") if r.strip()])
        answered = len(markets & set(GAME_MARKETS)) if body["bookmakers"] else 0
        cost = quota.odds_cost(markets=answered, regions=regions, historical=historical)
        if not historical:
            return self._charged(body, cost)
        return self._charged({
            "timestamp": iso_z(snap if snap is not None else at),
            "previous_timestamp": iso_z(times[i - 2]) if i >= 2 else None,
            "next_timestamp": iso_z(times[i]) if i < len(times) else None,
            "data": body,
        }, cost)

    def _game_line_books(self, g: dict, rows: dict[str, tuple], snap: datetime, markets: set[str]) -> list[dict]:
        home, away = self._odds_team(g["home_team"]), self._odds_team(g["away_team"])
        books = []
        for book in BOOKS:
            row = rows.get(book)
            if row is None:
                continue
            spread, home_price, away_price, total, over, under = row
            upd = iso_z(snap - timedelta(minutes=1 + BOOKS.index(book)))
            out = []
            if "spreads" in markets:
                out.append({"key": "spreads", "last_update": upd, "outcomes": [
                    {"name": home, "price": home_price, "point": spread},
                    {"name": away, "price": away_price, "point": -spread if spread else 0.0}]})
            if "totals" in markets:
                out.append({"key": "totals", "last_update": upd, "outcomes": [
                    {"name": "Over", "price": over, "point": total},
                    {"name": "Under", "price": under, "point": total}]})
            books.append({"key": book, "title": BOOK_TITLES[book], "last_update": upd, "markets": out})
        return books


__all__ = ["GAME_MARKETS", "GameLineRoutes"]
