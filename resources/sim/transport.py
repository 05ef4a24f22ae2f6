"""The simulated sources over HTTP: Ball Don't Lie, NBA.com stats and The Odds API v4, served through an
`httpx.MockTransport` in each API's real JSON format, so the real client code runs offline.

What a response contains depends on the sim clock (games final, boxscores released, odds snapshots
taken). Injected faults (see faults.py) are applied here: transient 429/503s, a failing page, late
boxscores, duplicate and malformed rows, a stat correction on one source.
"""

from __future__ import annotations

import json
import threading
import weakref
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from resources.sim import faults as F
from resources.sim.clock import SimClock
from resources.sim.injury_pdf import CMS_HOST, OFFICIAL_HOST
from resources.sim.league import SimLeague
from resources.sim.routes_bdl import BdlRoutes
from resources.sim.routes_injury import InjuryReportRoutes
from resources.sim.routes_lines import GameLineRoutes
from resources.sim.routes_nbacom import NbaComRoutes
from resources.sim.routes_odds import OddsRoutes
from resources.sim.routes_sdio import SDIO_HOST, SdioRoutes
from resources.sim.wire import (
    BDL_HOST,
    COUNTERS_FILE,
    NBA_HOST,
    ODDS_HOST,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    HttpError,
    SeasonIndex,
    json_response,
)

HOST_SOURCE = {BDL_HOST: "bdl", NBA_HOST: "nbacom", ODDS_HOST: "oddsapi", CMS_HOST: "nbacom", OFFICIAL_HOST: "nbacom",
               SDIO_HOST: "sportsdataio"}

# The per-season lookups are pure functions of the league: share them across transports (each test,
# asset run or sensor tick builds a new client) so only the first one pays for indexing.
_INDEX_CACHE: weakref.WeakKeyDictionary[SimLeague, dict[int, SeasonIndex]] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


class SimServer(BdlRoutes, NbaComRoutes, OddsRoutes, GameLineRoutes, InjuryReportRoutes, SdioRoutes):
    """Answers requests for one league and clock; keeps per-instance transient-fault counters."""

    def __init__(self, league: SimLeague, clock: SimClock, state_dir: Path | None = None):
        self.league = league
        self.clock = clock
        self.state_dir = Path(state_dir) if state_dir is not None else None
        with _INDEX_LOCK:
            self._index = _INDEX_CACHE.setdefault(league, {})
        self._counts: dict[tuple[str, date], int] = {}
        self._pages: dict[str, int] = {}
        self._quota_memory: dict[str, dict[str, int]] = {}  # the Odds API quota without a state dir
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def __call__(self, request: httpx.Request) -> httpx.Response:
        try:
            with self._lock:
                return self._route(request)
        except HttpError as e:
            return json_response(e.status, e.body, e.headers)

    def _route(self, req: httpx.Request) -> httpx.Response:
        host, path = req.url.host, req.url.path.rstrip("/")
        if HOST_SOURCE.get(host) in self._down():
            raise HttpError(503, {"error": "Service Unavailable", "message": "source outage"})
        if req.method != "GET":
            raise HttpError(405, {"error": "method not allowed"})
        if host == BDL_HOST:
            if not req.headers.get("authorization", "").strip():
                raise HttpError(401, {"error": "Unauthorized", "message": "Authorization header required"})
            routes = {"/v1/games": self._bdl_games, "/v1/box_scores": self._bdl_box_scores,
                      "/v1/stats": self._bdl_stats, "/v1/player_injuries": self._bdl_injuries}
        elif host == NBA_HOST:
            if not req.headers.get("user-agent", "").strip():
                raise HttpError(403, {"message": "Access Denied: a User-Agent header is required"})
            routes = {
                "/stats/leaguegamelog": self._nba_gamelog,
                "/stats/scheduleleaguev2": self._nba_schedule,
            }
        elif host == ODDS_HOST:
            if not req.url.params.get("apiKey", "").strip():
                raise HttpError(401, {"message": "API key is missing. Pass the apiKey query parameter.",
                                       "error_code": "MISSING_KEY"})
            return self._odds(path, req.url.params)
        elif host in (CMS_HOST, OFFICIAL_HOST):
            return self._injury_report(host, req.url.path)
        elif host == SDIO_HOST:
            return self._sdio(req)
        else:
            raise HttpError(404, {"error": "not found", "host": host, "path": path})
        handler = routes.get(path)
        if handler is None:
            raise HttpError(404, {"error": "not found", "host": host, "path": path})
        return handler(req.url.params)

    def _idx(self, season: int) -> SeasonIndex:
        if season not in self._index:
            with _INDEX_LOCK:
                if season not in self._index:
                    self._index[season] = self._build_index(season)
        return self._index[season]

    def _build_index(self, season: int) -> SeasonIndex:
        lg = self.league
        sched = lg.schedule(season).sort("game_id")
        games = {g["game_id"]: g for g in sched.iter_rows(named=True)}
        by_date: dict[date, list[dict]] = {}
        for g in games.values():
            by_date.setdefault(g["game_date"], []).append(g)
        box_rows = (
            lg.boxscores(season)
            .sort(
                ["game_id", "home", "dnp", "minutes", "nba_player_id"],
                descending=[False, True, False, True, False],
            )
            .with_columns(stat_id=20_000_000 + (season - 2023) * 1_000_000 + pl.int_range(pl.len()))
        )
        box: dict[str, list[dict]] = {}
        for r in box_rows.iter_rows(named=True):
            box.setdefault(r["game_id"], []).append(r)
        players = {p["nba_player_id"]: p for p in lg.players(season).iter_rows(named=True)}
        props = lg.prop_snapshots(season)
        by_event_props = {k[0]: v for k, v in props.partition_by("event_id", as_dict=True).items()}
        times = props.group_by("event_id").agg(pl.col("snapshot_ts").unique().sort())
        snap_times = dict(zip(times["event_id"].to_list(), times["snapshot_ts"].to_list(), strict=True))
        inj = {k[0]: v for k, v in lg.injuries(season).partition_by("report_date", as_dict=True).items()}
        fl = lg.faults(season)

        def kind(k: str) -> list[dict]:
            return fl.filter(pl.col("kind") == k).to_dicts()

        return SeasonIndex(
            season_year=season,
            games=games,
            by_date=by_date,
            by_event={g["event_id"]: g for g in games.values()},
            by_bdl_id={g["bdl_game_id"]: g for g in games.values()},
            box=box,
            players=players,
            props=by_event_props,
            snap_times=snap_times,
            injuries=inj,
            late={f["game_id"]: f["release_ts"] for f in kind(F.LATE_BOXSCORE)},
            corrections={
                (f["game_id"], f["nba_player_id"]): f["release_ts"] for f in kind(F.STAT_CORRECTION)
            },
            duplicates={f["game_id"]: f["nba_player_id"] for f in kind(F.DUPLICATE_ROW)},
            malformed={(f["game_id"], f["nba_player_id"]): f["detail"] for f in kind(F.MALFORMED_RECORD)},
            transient={
                (f["detail"], f["game_date"]): f["kind"] for f in kind(F.RATE_LIMIT) + kind(F.SERVER_ERROR)
            },
            pagination={f["game_date"] for f in kind(F.PAGINATION_FAILURE)},
        )

    def _season_idx(self, d: date) -> SeasonIndex | None:
        s = self.league.season_of(d)
        return self._idx(s) if s is not None else None

    def _games_on(self, d: date) -> list[dict]:
        idx = self._season_idx(d)
        return idx.by_date.get(d, []) if idx else []

    # ------------------------------------------------------------------ clock
    @staticmethod
    def _status(g: dict, now: datetime) -> int:
        if now < g["tipoff_utc"]:
            return 1
        return 2 if now < g["tipoff_utc"] + F.GAME_LENGTH else 3

    def _box_available(self, idx: SeasonIndex, g: dict, now: datetime) -> bool:
        if self._status(g, now) != 3:
            return False
        release = idx.late.get(g["game_id"])
        held = self._withheld().get(g["game_id"])
        return (release is None or now >= release) and (held is None or now >= held)

    def _down(self) -> set[str]:
        """Sources inside an operator outage window (control.py) at the sim clock's now."""
        from resources.sim.control import OUTAGES_FILE, outages

        if self.state_dir is None:
            return set()
        f = self.state_dir / OUTAGES_FILE
        stamp = f.stat().st_mtime_ns if f.exists() else None
        if stamp != getattr(self, "_outage_stamp", "unset"):
            self._outages, self._outage_stamp = outages(self.state_dir), stamp
        now = self.clock.now() if self._outages else None
        return {s for s, a, b in self._outages if a <= now < b}

    def _withheld(self) -> dict[str, datetime]:
        """Operator-withheld boxscores (control.py), re-read only when the file changes."""
        from resources.sim.control import WITHHELD_FILE, withheld

        if self.state_dir is None:
            return {}
        f = self.state_dir / WITHHELD_FILE
        stamp = f.stat().st_mtime_ns if f.exists() else None
        if stamp != getattr(self, "_held_stamp", "unset"):
            self._held, self._held_stamp = withheld(self.state_dir), stamp
        return self._held

    # ------------------------------------------------------------------ faults
    def _transient(self, endpoint: str, dates: list[date]) -> None:
        for d in dates:
            idx = self._season_idx(d)
            kind = idx.transient.get((endpoint, d)) if idx else None
            if kind is None:
                continue
            n = self._counts.get((endpoint, d), 0) + 1
            self._counts[(endpoint, d)] = n
            if kind == F.RATE_LIMIT and n == 1:
                raise HttpError(429, {"error": "Too Many Requests"}, {"Retry-After": "1"})
            if kind == F.SERVER_ERROR and n <= F.SERVER_ERROR_TIMES:
                raise HttpError(503, {"error": "Service Unavailable"})

    def _page_fails(self, d: date, page: int) -> bool:
        """Count a request for (date, page); True while it is within the failing budget."""
        key = f"{d.isoformat()}|{page}"
        if self.state_dir is None:
            self._pages[key] = n = self._pages.get(key, 0) + 1
            return n <= F.PAGINATION_FAIL_TIMES
        # Persisted so a re-run in a new process gets past the failure (like a source that recovers).
        path = self.state_dir / COUNTERS_FILE
        counts = json.loads(path.read_text()) if path.exists() else {}
        counts[key] = n = counts.get(key, 0) + 1
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(counts, sort_keys=True))
        tmp.replace(path)
        return n <= F.PAGINATION_FAIL_TIMES

    # ------------------------------------------------------------------ shared parsing
    @staticmethod
    def _date(text: str | None, fmt: str = "%Y-%m-%d", name: str = "date") -> date:
        if not text:
            raise HttpError(400, {"error": f"missing parameter {name}"})
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            raise HttpError(400, {"error": f"invalid {name}: {text!r}"}) from None

    @staticmethod
    def _paging(params: httpx.QueryParams) -> tuple[int, int]:
        try:
            per_page = min(max(int(params.get("per_page", PER_PAGE_DEFAULT)), 1), PER_PAGE_MAX)
            cursor = int(params.get("cursor", 0))
        except ValueError:
            raise HttpError(400, {"error": "per_page and cursor must be integers"}) from None
        return per_page, max(cursor, 0)

    @staticmethod
    def _page(items: list, per_page: int, cursor: int) -> tuple[list, dict]:
        # The cursor is the offset of the next row: opaque to clients, stable for a given clock.
        chunk = items[cursor: cursor + per_page]
        meta: dict[str, Any] = {}
        if cursor + per_page < len(items):
            meta["next_cursor"] = cursor + per_page
        meta["per_page"] = per_page
        return chunk, meta


def sim_transport(league: SimLeague, clock: SimClock, state_dir: Path | None = None) -> httpx.MockTransport:
    """An httpx transport answering the three sources' endpoints from the simulated league."""
    return httpx.MockTransport(SimServer(league, clock, state_dir))
