"""The Odds API v4 routes of the simulated sources (a mixin of SimServer): events, historical event odds."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx

from resources import quota
from resources.sim import quota as sim_quota
from resources.sim.clock import parse_ts
from resources.sim.market import BOOK_TITLES, BOOKS
from resources.sim.routes_lines import GAME_MARKETS
from resources.sim.schedule import calendar_for
from resources.sim.wire import (
    MISSING_DATE,
    ODDS_SPORT,
    ODDS_TEAM_NAMES,
    HttpError,
    SeasonIndex,
    iso_z,
    json_response,
)
from resources.teams import BY_TRICODE


class OddsRoutes:
    @staticmethod
    def _odds_team(tri: str) -> str:
        return ODDS_TEAM_NAMES.get(tri, BY_TRICODE[tri].full_name)

    def _event(self, g: dict) -> dict:
        return {"id": g["event_id"], "sport_key": ODDS_SPORT, "sport_title": "NBA",
                "commence_time": iso_z(g["tipoff_utc"]), "home_team": self._odds_team(g["home_team"]),
                "away_team": self._odds_team(g["away_team"])}

    @staticmethod
    def _ts_param(params: httpx.QueryParams, name: str) -> datetime | None:
        text = params.get(name)
        if not text:
            return None
        try:
            return parse_ts(text)
        except ValueError:
            body = {"message": f"Invalid {name}: {text!r}", "error_code": "INVALID_PARAMETER"}
            raise HttpError(422, body) from None

    def _events_at(self, ts: datetime, params: httpx.QueryParams) -> list[dict]:
        lo = self._ts_param(params, "commenceTimeFrom")
        hi = self._ts_param(params, "commenceTimeTo")
        # Like the real API: upcoming and live events (commenced within the last day).
        floor = ts - timedelta(days=1)
        out = []
        for s in self.league.config.seasons:
            if not _season_may_overlap(s, max(floor, lo) if lo is not None else floor, hi):
                continue  # not a game of it in the window: no need to generate that season
            for g in self._idx(s).games.values():
                c = g["tipoff_utc"]
                if c > floor and (lo is None or c >= lo) and (hi is None or c <= hi):
                    out.append(g)
        out.sort(key=lambda g: (g["tipoff_utc"], g["game_id"]))
        return [self._event(g) for g in out]

    def _odds_body(self, idx: SeasonIndex, g: dict, snap: datetime | None) -> dict:
        body = self._event(g)
        books = []
        by_snap_book = _event_lines(idx, g["event_id"]) if snap is not None else {}
        for book in BOOKS:
            rows = by_snap_book.get((snap, book))
            if not rows:
                continue
            # Books refresh a few minutes apart; last_update is never after the snapshot.
            upd = iso_z(snap - timedelta(minutes=1 + BOOKS.index(book)))
            outcomes = []
            for name, over, under, line in rows:
                for side, price in (("Over", over), ("Under", under)):
                    outcomes.append({"name": side, "description": name, "price": price, "point": line})
            market = {"key": "player_points", "last_update": upd, "outcomes": outcomes}
            books.append({"key": book, "title": BOOK_TITLES[book], "last_update": upd, "markets": [market]})
        body["bookmakers"] = books
        return body

    def _event_game(self, event: str) -> tuple[SeasonIndex, dict]:
        # Seasons already indexed first: an event id belongs to one season, and generating the
        # others only to find it elsewhere costs seconds each.
        seasons = self.league.config.seasons
        for s in sorted(seasons, key=lambda s: s not in self._index):
            idx = self._idx(s)
            if event in idx.by_event:
                return idx, idx.by_event[event]
        raise HttpError(404, {
            "message": "Event not found. The event may have expired or the event id is invalid.",
            "error_code": "EVENT_NOT_FOUND",
        })

    def _charged(self, body: dict | list, cost: int) -> httpx.Response:
        """The body with the quota headers, charged `cost` credits (resources/sim/quota.py)."""
        memory = self._quota_memory
        headers = sim_quota.charge(self.state_dir, memory, cost)
        if headers is None:
            state = sim_quota.read(self.state_dir, memory)
            raise HttpError(401, sim_quota.OUT_OF_CREDITS, sim_quota.headers(state, 0))
        return json_response(200, body, headers)

    def _odds(self, path: str, params: httpx.QueryParams) -> httpx.Response:
        now = self.clock.now()
        base = f"/v4/sports/{ODDS_SPORT}/events"
        hist = f"/v4/historical/sports/{ODDS_SPORT}/events"
        parts = path.split("/")
        if path == base:
            return self._charged(self._events_at(now, params), 0)  # the current events list is free
        if path == hist:
            ts = self._ts_param(params, "date")
            if ts is None:
                raise HttpError(422, MISSING_DATE)
            ts = min(ts, now)
            nxt = ts + timedelta(minutes=5)
            data = self._events_at(ts, params)
            return self._charged({
                "timestamp": iso_z(ts),
                "previous_timestamp": iso_z(ts - timedelta(minutes=5)),
                "next_timestamp": iso_z(nxt) if nxt <= now else None,
                "data": data,
            }, quota.HISTORICAL_EVENTS_COST if data else 0)
        markets = set(params.get("markets", "player_points").split(","))
        game_markets = bool(markets & set(GAME_MARKETS))  # spreads/totals: routes_lines.py
        regions = len([r for r in params.get("regions", "us").split(",") if r.strip()])
        if path.startswith(base + "/") and len(parts) == 7 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
            if game_markets:
                return self._game_line_odds(idx, g, params, historical=False)
            self._transient("oddsapi/event_odds", [g["game_date"]])
            snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now]
            snap = snaps[-1] if snaps and "player_points" in markets else None
            body = self._odds_body(idx, g, snap)
            return self._charged(body, quota.odds_cost(markets=int(bool(body["bookmakers"])), regions=regions,
                                                       historical=False))
        if path.startswith(hist + "/") and len(parts) == 8 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
            if game_markets:
                return self._game_line_odds(idx, g, params, historical=True)
            self._transient("oddsapi/historical_event_odds", [g["game_date"]])
            ts = self._ts_param(params, "date")
            if ts is None:
                raise HttpError(422, MISSING_DATE)
            ts = min(ts, now)
            snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now]
            before = [t for t in snaps if t <= ts]
            after = [t for t in snaps if t > ts]
            snap = before[-1] if before else None
            use = snap if "player_points" in markets else None
            data = self._odds_body(idx, g, use)
            return self._charged({
                "timestamp": iso_z(snap if snap is not None else ts),
                "previous_timestamp": iso_z(before[-2]) if len(before) >= 2 else None,
                "next_timestamp": iso_z(after[0]) if after else None,
                "data": data,
            }, quota.odds_cost(markets=int(bool(data["bookmakers"])), regions=regions, historical=True))
        raise HttpError(404, {"message": f"Unknown path {path}", "error_code": "NOT_FOUND"})


def _season_may_overlap(season: int, after: datetime, until: datetime | None) -> bool:
    """Whether a season can have a tip-off in (after, until]: its games sit between opening night and
    the last day in ET, so a day of margin each side in UTC is safe."""
    cal = calendar_for(season)
    first = datetime.combine(cal.opening - timedelta(days=1), time(0), tzinfo=UTC)
    last = datetime.combine(cal.last_day + timedelta(days=2), time(0), tzinfo=UTC)
    return last > after and (until is None or first <= until)


def _event_lines(idx: SeasonIndex, event_id: str) -> dict[tuple[datetime, str], list[tuple]]:
    """An event's snapshot rows as {(snapshot_ts, bookmaker): [(name, over, under, line)]} in frame
    order, split once per event (filtering the frame per request cost a second per 100 requests)."""
    cached = idx.lines_by_snapshot.get(event_id)
    if cached is None:
        cached = {}
        frame = idx.props.get(event_id)
        if frame is not None:
            cols = frame.select("snapshot_ts", "bookmaker", "player_name", "over_price", "under_price", "line")
            for ts, book, name, over, under, line in cols.iter_rows():
                cached.setdefault((ts, book), []).append((name, over, under, line))
        idx.lines_by_snapshot[event_id] = cached
    return cached
