"""The Odds API v4 routes of the simulated sources (a mixin of SimServer): events, historical event odds."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import polars as pl

from resources.sim.clock import parse_ts
from resources.sim.market import BOOK_TITLES, BOOKS
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
            for g in self._idx(s).games.values():
                c = g["tipoff_utc"]
                if c > floor and (lo is None or c >= lo) and (hi is None or c <= hi):
                    out.append(g)
        out.sort(key=lambda g: (g["tipoff_utc"], g["game_id"]))
        return [self._event(g) for g in out]

    def _odds_body(self, idx: SeasonIndex, g: dict, snap: datetime | None) -> dict:
        body = self._event(g)
        books = []
        frame = idx.props.get(g["event_id"])
        if snap is not None and frame is not None:
            at = frame.filter(pl.col("snapshot_ts") == snap)
            for book in BOOKS:
                rows = at.filter(pl.col("bookmaker") == book)
                if rows.height == 0:
                    continue
                # Books refresh a few minutes apart; last_update is never after the snapshot.
                upd = iso_z(snap - timedelta(minutes=1 + BOOKS.index(book)))
                outcomes = []
                for r in rows.iter_rows(named=True):
                    for side, price in (("Over", r["over_price"]), ("Under", r["under_price"])):
                        outcomes.append(
                            {"name": side, "description": r["player_name"], "price": price, "point": r["line"]}
                        )
                market = {"key": "player_points", "last_update": upd, "outcomes": outcomes}
                books.append({"key": book, "title": BOOK_TITLES[book], "last_update": upd, "markets": [market]})
        body["bookmakers"] = books
        return body

    def _event_game(self, event: str) -> tuple[SeasonIndex, dict]:
        for s in self.league.config.seasons:
            idx = self._idx(s)
            if event in idx.by_event:
                return idx, idx.by_event[event]
        raise HttpError(404, {
            "message": "Event not found. The event may have expired or the event id is invalid.",
            "error_code": "EVENT_NOT_FOUND",
        })

    def _odds(self, path: str, params: httpx.QueryParams) -> httpx.Response:
        now = self.clock.now()
        base = f"/v4/sports/{ODDS_SPORT}/events"
        hist = f"/v4/historical/sports/{ODDS_SPORT}/events"
        parts = path.split("/")
        if path == base:
            return json_response(200, self._events_at(now, params))
        if path == hist:
            ts = self._ts_param(params, "date")
            if ts is None:
                raise HttpError(422, MISSING_DATE)
            ts = min(ts, now)
            nxt = ts + timedelta(minutes=5)
            return json_response(200, {
                "timestamp": iso_z(ts),
                "previous_timestamp": iso_z(ts - timedelta(minutes=5)),
                "next_timestamp": iso_z(nxt) if nxt <= now else None,
                "data": self._events_at(ts, params),
            })
        markets = set(params.get("markets", "player_points").split(","))
        if path.startswith(base + "/") and len(parts) == 7 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
            self._transient("oddsapi/event_odds", [g["game_date"]])
            snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now]
            snap = snaps[-1] if snaps and "player_points" in markets else None
            return json_response(200, self._odds_body(idx, g, snap))
        if path.startswith(hist + "/") and len(parts) == 8 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
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
            return json_response(200, {
                "timestamp": iso_z(snap if snap is not None else ts),
                "previous_timestamp": iso_z(before[-2]) if len(before) >= 2 else None,
                "next_timestamp": iso_z(after[0]) if after else None,
                "data": self._odds_body(idx, g, use),
            })
        raise HttpError(404, {"message": f"Unknown path {path}", "error_code": "NOT_FOUND"})
