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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import polars as pl

from resources.sim import faults as F
from resources.sim.clock import SimClock, parse_ts
from resources.sim.league import SimLeague
from resources.sim.market import BOOK_TITLES, BOOKS
from resources.teams import BY_TRICODE, Team

ET = ZoneInfo("America/New_York")
BDL_HOST = "api.balldontlie.io"
NBA_HOST = "stats.nba.com"
ODDS_HOST = "api.the-odds-api.com"
HOST_SOURCE = {BDL_HOST: "bdl", NBA_HOST: "nbacom", ODDS_HOST: "oddsapi"}
COUNTERS_FILE = "fault_counters.json"
PER_PAGE_DEFAULT = 25
PER_PAGE_MAX = 100
ODDS_SPORT = "basketball_nba"
NBA_GAMELOG_HEADERS = [
    "SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID",
    "GAME_DATE", "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA",
    "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "PLUS_MINUS", "FANTASY_PTS",
    "VIDEO_AVAILABLE",
]
STATS_GAME_KEYS = ("id", "date", "season", "status", "period", "time", "postseason", "home_team_score",
                   "visitor_team_score", "datetime")
MISSING_DATE = {"message": "Missing date parameter", "error_code": "MISSING_PARAMETER"}
ODDS_TEAM_NAMES = {"LAC": "Los Angeles Clippers"}  # The Odds API spells some teams differently


class _HttpError(Exception):
    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _iso_z(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    # Fixed key order (insertion) and compact separators: same data + same clock => same bytes.
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return httpx.Response(
        status, content=content, headers={"content-type": "application/json", **(headers or {})}
    )


def _pct(made: int, att: int) -> float:
    return round(made / att, 3) if att else 0.0


@dataclass
class _SeasonIndex:
    season_year: int
    games: dict[str, dict]  # game_id -> schedule row
    by_date: dict[date, list[dict]]
    by_event: dict[str, dict]
    by_bdl_id: dict[int, dict]
    box: dict[str, list[dict]]  # game_id -> player rows (home first, starters first)
    players: dict[int, dict]  # nba_player_id -> bio
    props: dict[str, pl.DataFrame]  # event_id -> snapshot rows
    snap_times: dict[str, list[datetime]]  # event_id -> sorted snapshot times
    injuries: dict[date, pl.DataFrame]
    late: dict[str, datetime]  # game_id -> boxscore release
    corrections: dict[tuple[str, int], datetime]
    duplicates: dict[str, int]  # game_id -> nba_player_id
    malformed: dict[tuple[str, int], str]  # (game_id, player) -> variant
    transient: dict[tuple[str, date], str]  # (endpoint, date) -> kind
    pagination: set[date]


# The per-season lookups are pure functions of the league: share them across transports (each test,
# asset run or sensor tick builds a new client) so only the first one pays for indexing.
_INDEX_CACHE: weakref.WeakKeyDictionary[SimLeague, dict[int, _SeasonIndex]] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


class SimServer:
    """Answers requests for one league and clock; keeps per-instance transient-fault counters."""

    def __init__(self, league: SimLeague, clock: SimClock, state_dir: Path | None = None):
        self.league = league
        self.clock = clock
        self.state_dir = Path(state_dir) if state_dir is not None else None
        with _INDEX_LOCK:
            self._index = _INDEX_CACHE.setdefault(league, {})
        self._counts: dict[tuple[str, date], int] = {}
        self._pages: dict[str, int] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def __call__(self, request: httpx.Request) -> httpx.Response:
        try:
            with self._lock:
                return self._route(request)
        except _HttpError as e:
            return _json(e.status, e.body, e.headers)

    def _route(self, req: httpx.Request) -> httpx.Response:
        host, path = req.url.host, req.url.path.rstrip("/")
        if HOST_SOURCE.get(host) in self._down():
            raise _HttpError(503, {"error": "Service Unavailable", "message": "source outage"})
        if req.method != "GET":
            raise _HttpError(405, {"error": "method not allowed"})
        if host == BDL_HOST:
            if not req.headers.get("authorization", "").strip():
                raise _HttpError(401, {"error": "Unauthorized", "message": "Authorization header required"})
            routes = {"/v1/games": self._bdl_games, "/v1/box_scores": self._bdl_box_scores,
                      "/v1/stats": self._bdl_stats, "/v1/player_injuries": self._bdl_injuries}
        elif host == NBA_HOST:
            if not req.headers.get("user-agent", "").strip():
                raise _HttpError(403, {"message": "Access Denied: a User-Agent header is required"})
            routes = {
                "/stats/leaguegamelog": self._nba_gamelog,
                "/stats/scheduleleaguev2": self._nba_schedule,
            }
        elif host == ODDS_HOST:
            if not req.url.params.get("apiKey", "").strip():
                raise _HttpError(401, {"message": "API key is missing. Pass the apiKey query parameter.",
                                       "error_code": "MISSING_KEY"})
            return self._odds(path, req.url.params)
        else:
            raise _HttpError(404, {"error": "not found", "host": host, "path": path})
        handler = routes.get(path)
        if handler is None:
            raise _HttpError(404, {"error": "not found", "host": host, "path": path})
        return handler(req.url.params)

    def _idx(self, season: int) -> _SeasonIndex:
        if season not in self._index:
            with _INDEX_LOCK:
                if season not in self._index:
                    self._index[season] = self._build_index(season)
        return self._index[season]

    def _build_index(self, season: int) -> _SeasonIndex:
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
        snap_times = {e: sorted(set(f["snapshot_ts"].to_list())) for e, f in by_event_props.items()}
        inj = {k[0]: v for k, v in lg.injuries(season).partition_by("report_date", as_dict=True).items()}
        fl = lg.faults(season)

        def kind(k: str) -> list[dict]:
            return fl.filter(pl.col("kind") == k).to_dicts()

        return _SeasonIndex(
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

    def _season_idx(self, d: date) -> _SeasonIndex | None:
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

    def _box_available(self, idx: _SeasonIndex, g: dict, now: datetime) -> bool:
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
        if not self._outages:
            return set()
        now = self.clock.now()
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
                raise _HttpError(429, {"error": "Too Many Requests"}, {"Retry-After": "1"})
            if kind == F.SERVER_ERROR and n <= F.SERVER_ERROR_TIMES:
                raise _HttpError(503, {"error": "Service Unavailable"})

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
            raise _HttpError(400, {"error": f"missing parameter {name}"})
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            raise _HttpError(400, {"error": f"invalid {name}: {text!r}"}) from None

    @staticmethod
    def _paging(params: httpx.QueryParams) -> tuple[int, int]:
        try:
            per_page = min(max(int(params.get("per_page", PER_PAGE_DEFAULT)), 1), PER_PAGE_MAX)
            cursor = int(params.get("cursor", 0))
        except ValueError:
            raise _HttpError(400, {"error": "per_page and cursor must be integers"}) from None
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

    # ------------------------------------------------------------------ Ball Don't Lie
    @staticmethod
    def _bdl_team(t: Team, abbreviation: str | None = None) -> dict:
        return {"id": t.bdl_id, "conference": t.conference, "division": t.division, "city": t.city,
                "name": t.name, "full_name": t.full_name, "abbreviation": abbreviation or t.tricode}

    def _bdl_state(self, g: dict, now: datetime) -> tuple[str, int, str | None, int, int]:
        """status, period, time, home score, visitor score as BDL shows them at `now`."""
        st = self._status(g, now)
        if st == 1:
            return _iso_z(g["tipoff_utc"]), 0, None, 0, 0
        if st == 3:
            return "Final", 4, "Final", g["home_score"], g["away_score"]
        frac = (now - g["tipoff_utc"]) / F.GAME_LENGTH
        q = min(int(frac * 4) + 1, 4)
        return (f"{q}{'st nd rd th'.split()[q - 1]} Qtr", q, "6:00",
                int(g["home_score"] * frac), int(g["away_score"] * frac))

    def _bdl_game(self, g: dict, now: datetime) -> dict:
        status, period, time_, hs, vs = self._bdl_state(g, now)
        return {"id": g["bdl_game_id"], "date": g["game_date"].isoformat(), "season": g["season_year"],
                "status": status, "period": period, "time": time_, "postseason": False,
                "home_team_score": hs, "visitor_team_score": vs, "datetime": _iso_z(g["tipoff_utc"]),
                "home_team": self._bdl_team(BY_TRICODE[g["home_team"]]),
                "visitor_team": self._bdl_team(BY_TRICODE[g["away_team"]])}

    def _bdl_player(self, idx: _SeasonIndex, pid: int, team_id: int | None = None) -> dict:
        p = idx.players[pid]
        out = {"id": p["bdl_player_id"], "first_name": p["first_name"], "last_name": p["last_name"],
               "position": p["position"], "height": p["height"], "weight": p["weight"],
               "jersey_number": p["jersey_number"], "college": p["college"], "country": p["country"],
               "draft_year": p["draft_year"], "draft_round": 1 if p["draft_year"] else None,
               "draft_number": None}
        if team_id is not None:
            out["team_id"] = team_id
        return out

    def _bdl_line(self, idx: _SeasonIndex, r: dict, with_player_team: int | None = None) -> dict:
        variant = idx.malformed.get((r["game_id"], r["nba_player_id"]))
        minutes = "00" if r["dnp"] else str(int(r["minutes"]))
        line = {
            "min": "abc" if variant == "bdl_min_abc" else minutes,
            "fgm": r["fgm"], "fga": r["fga"], "fg_pct": _pct(r["fgm"], r["fga"]),
            "fg3m": r["fg3m"], "fg3a": r["fg3a"], "fg3_pct": _pct(r["fg3m"], r["fg3a"]),
            "ftm": r["ftm"], "fta": r["fta"], "ft_pct": _pct(r["ftm"], r["fta"]),
            "oreb": r["oreb"], "dreb": r["dreb"], "reb": r["reb"], "ast": r["ast"], "stl": r["stl"],
            "blk": r["blk"], "turnover": r["tov"], "pf": r["pf"],
            "pts": None if variant == "bdl_pts_null" else r["points"],
        }
        return line

    def _bdl_games(self, params: httpx.QueryParams) -> httpx.Response:
        dates = [self._date(d, name="dates[]") for d in params.get_list("dates[]")]
        seasons = [int(s) for s in params.get_list("seasons[]") if s.isdigit()]
        self._transient("bdl/games", dates)
        now = self.clock.now()
        games: list[dict] = []
        for d in sorted(set(dates)):
            games += self._games_on(d)
        for s in seasons:
            if s in self.league.config.seasons:
                games += list(self._idx(s).games.values())
        games = sorted({g["game_id"]: g for g in games}.values(), key=lambda g: g["bdl_game_id"])
        per_page, cursor = self._paging(params)
        chunk, meta = self._page(games, per_page, cursor)
        return _json(200, {"data": [self._bdl_game(g, now) for g in chunk], "meta": meta})

    def _bdl_box_scores(self, params: httpx.QueryParams) -> httpx.Response:
        d = self._date(params.get("date"))
        self._transient("bdl/box_scores", [d])
        now = self.clock.now()
        idx = self._season_idx(d)
        data = []
        for g in self._games_on(d):
            if not self._box_available(idx, g, now):
                continue
            game = self._bdl_game(g, now)
            hs, vs = g["home_score"], g["away_score"]
            seq = int(g["game_id"][-5:])
            body = {"id": game["id"], "date": game["date"], "datetime": game["datetime"]}
            for side, score in (("home", hs), ("visitor", vs)):
                w = seq % 5 - 2 if side == "home" else (seq // 5) % 5 - 2
                q = [score // 4 + (1 if k < score % 4 else 0) for k in range(4)]
                q = [q[0] + w, q[1] - w, q[2] - w, q[3] + w]
                body |= {f"{side}_q{k + 1}": q[k] for k in range(4)}
                body |= {f"{side}_ot{k}": None for k in (1, 2, 3)}
                body |= {f"{side}_timeouts_remaining": 1 + seq % 2, f"{side}_in_bonus": bool(seq % 3)}
            for k in ("season", "status", "period", "time", "postseason", "home_team_score",
                      "visitor_team_score"):
                body[k] = game[k]
            for side, tri in (("home_team", g["home_team"]), ("visitor_team", g["away_team"])):
                t = BY_TRICODE[tri]
                rows = [r for r in idx.box[g["game_id"]] if r["team"] == tri]
                variants = {idx.malformed.get((g["game_id"], r["nba_player_id"])) for r in rows}
                pho = "bdl_team_PHO" in variants
                team = self._bdl_team(t, "PHO" if pho else None)
                team["players"] = [
                    self._bdl_line(idx, r)
                    | {"plus_minus": r["plus_minus"], "player": self._bdl_player(idx, r["nba_player_id"])}
                    for r in rows
                ]
                body[side] = team
            data.append(body)
        return _json(200, {"data": data})

    def _bdl_stats(self, params: httpx.QueryParams) -> httpx.Response:
        dates = sorted({self._date(d, name="dates[]") for d in params.get_list("dates[]")})
        if not dates:
            raise _HttpError(400, {"error": "the simulated /v1/stats needs dates[]"})
        self._transient("bdl/stats", dates)
        per_page, cursor = self._paging(params)
        now = self.clock.now()
        rows: list[tuple[_SeasonIndex, dict, dict]] = []
        for d in dates:
            idx = self._season_idx(d)
            for g in self._games_on(d):
                if not self._box_available(idx, g, now):
                    continue
                dup = idx.duplicates.get(g["game_id"])
                for r in idx.box[g["game_id"]]:
                    rows.append((idx, g, r))
                    if r["nba_player_id"] == dup:
                        rows.append((idx, g, r))
        page = cursor // per_page + 1
        for d in dates:
            idx = self._season_idx(d)
            if idx and d in idx.pagination and page == F.PAGINATION_FAIL_PAGE and cursor < len(rows):
                if self._page_fails(d, page):
                    raise _HttpError(500, {"error": "Internal Server Error", "page": page})
        chunk, meta = self._page(rows, per_page, cursor)
        data = []
        for idx, g, r in chunk:
            t = BY_TRICODE[r["team"]]
            variant = idx.malformed.get((g["game_id"], r["nba_player_id"]))
            game = self._bdl_game(g, now)
            data.append(
                {"id": r["stat_id"]}
                | self._bdl_line(idx, r)
                | {
                    "player": self._bdl_player(idx, r["nba_player_id"], t.bdl_id),
                    "team": self._bdl_team(t, "PHO" if variant == "bdl_team_PHO" else None),
                    "game": {k: game[k] for k in STATS_GAME_KEYS}
                    | {"home_team_id": BY_TRICODE[g["home_team"]].bdl_id,
                       "visitor_team_id": BY_TRICODE[g["away_team"]].bdl_id},
                }
            )
        return _json(200, {"data": data, "meta": meta})

    def _bdl_injuries(self, params: httpx.QueryParams) -> httpx.Response:
        now = self.clock.now()
        d = self._date(params.get("date")) if params.get("date") else now.astimezone(ET).date()
        idx = self._season_idx(d)
        frame = idx.injuries.get(d) if idx else None
        rows = []
        if frame is not None:
            frame = frame.filter(pl.col("report_ts") <= now).sort(["team", "nba_player_id"])
            for r in frame.iter_rows(named=True):
                player = self._bdl_player(idx, r["nba_player_id"], BY_TRICODE[r["team"]].bdl_id)
                rows.append({"player": player, "return_date": r["return_date"], "description": r["description"],
                             "status": r["status"]})
        per_page, cursor = self._paging(params)
        chunk, meta = self._page(rows, per_page, cursor)
        return _json(200, {"data": chunk, "meta": meta})

    # ------------------------------------------------------------------ NBA.com
    def _season_param(self, params: httpx.QueryParams) -> int:
        text = params.get("Season", "")
        try:
            start, end = text.split("-")
            season = int(start)
            ok = len(end) == 2 and int(end) == (season + 1) % 100
        except ValueError:
            ok = False
        if not ok:
            raise _HttpError(400, {"message": f"Season {text!r} is not valid; expected e.g. 2025-26"})
        return season

    def _nba_gamelog(self, params: httpx.QueryParams) -> httpx.Response:
        season = self._season_param(params)
        if params.get("PlayerOrTeam", "T") != "P":
            raise _HttpError(400, {"message": "the simulated leaguegamelog serves PlayerOrTeam=P only"})
        d_from, d_to = (
            self._date(params.get(k), "%m/%d/%Y", k) if params.get(k) else None for k in ("DateFrom", "DateTo")
        )
        rows: list[list] = []
        regular = params.get("SeasonType", "Regular Season") == "Regular Season"
        if season in self.league.config.seasons and regular:
            idx = self._idx(season)
            dates = [
                d for d in sorted(idx.by_date) if (d_from is None or d >= d_from) and (d_to is None or d <= d_to)
            ]
            self._transient("nbacom/leaguegamelog", dates)
            now = self.clock.now()
            for d in dates:
                for g in idx.by_date[d]:
                    if self._box_available(idx, g, now):
                        rows += self._nba_rows(idx, g, now)
            if params.get("Direction", "ASC") == "DESC":
                rows.sort(key=lambda r: r[7], reverse=True)
        parameters = {k: params.get(k) for k in ("Counter", "DateFrom", "DateTo", "Direction", "LeagueID",
                                                  "PlayerOrTeam", "Season", "SeasonType", "Sorter")}
        result = {"name": "LeagueGameLog", "headers": NBA_GAMELOG_HEADERS, "rowSet": rows}
        return _json(200, {"resource": "leaguegamelog", "parameters": parameters, "resultSets": [result]})

    def _nba_rows(self, idx: _SeasonIndex, g: dict, now: datetime) -> list[list]:
        out = []
        dup = idx.duplicates.get(g["game_id"])
        for r in idx.box[g["game_id"]]:
            if r["dnp"]:
                continue  # the league game log lists only players who played
            fgm, fga, pts = r["fgm"], r["fga"], r["points"]
            fix = idx.corrections.get((g["game_id"], r["nba_player_id"]))
            if fix is not None and now >= fix:
                fgm, fga, pts = fgm + 1, fga + 1, pts + 2
            home = r["home"]
            t = BY_TRICODE[r["team"]]
            matchup = f"{r['team']} vs. {r['opponent']}" if home else f"{r['team']} @ {r['opponent']}"
            won = (g["home_score"] > g["away_score"]) == home
            fantasy = pts + 1.2 * r["reb"] + 1.5 * r["ast"] + 3 * r["stl"] + 3 * r["blk"] - r["tov"]
            malformed = idx.malformed.get((g["game_id"], r["nba_player_id"])) == "nbacom_pts_null"
            row = [
                f"2{idx.season_year}", r["nba_player_id"], r["player_name"], t.nba_id, t.tricode, t.full_name,
                g["game_id"], g["game_date"].isoformat(), matchup, "W" if won else "L", int(r["minutes"]),
                fgm, fga, _pct(fgm, fga) if fga else None, r["fg3m"], r["fg3a"],
                _pct(r["fg3m"], r["fg3a"]) if r["fg3a"] else None, r["ftm"], r["fta"],
                _pct(r["ftm"], r["fta"]) if r["fta"] else None, r["oreb"], r["dreb"], r["reb"], r["ast"],
                r["stl"], r["blk"], r["tov"], r["pf"], None if malformed else pts, r["plus_minus"],
                round(fantasy, 1), 1,
            ]
            out.append(row)
            if r["nba_player_id"] == dup:
                out.append(list(row))
        return out

    def _nba_schedule(self, params: httpx.QueryParams) -> httpx.Response:
        season = self._season_param(params)
        if season not in self.league.config.seasons:
            raise _HttpError(404, {"message": f"no schedule for {params.get('Season')}"})
        idx = self._idx(season)
        now = self.clock.now()
        record: dict[str, list[int]] = {t: [0, 0] for t in BY_TRICODE}
        game_dates = []
        for d in sorted(idx.by_date):
            games = []
            for seq, g in enumerate(sorted(idx.by_date[d], key=lambda x: x["game_id"]), start=1):
                st = self._status(g, now)
                if st == 3:
                    home_won = g["home_score"] > g["away_score"]
                    record[g["home_team"]][0 if home_won else 1] += 1
                    record[g["away_team"]][1 if home_won else 0] += 1
                games.append(self._nba_game(g, seq, st, record, now))
            game_dates.append({"gameDate": f"{d:%m/%d/%Y} 00:00:00", "games": games})
        body = {
            "meta": {
                "version": 1,
                "request": f"http://nba.cloud/league/00/{params.get('Season')}/scheduleleaguev2?Format=json",
                "time": _iso_z(now),
            },
            "leagueSchedule": {"seasonYear": params.get("Season"), "leagueId": "00", "gameDates": game_dates},
        }
        return _json(200, body)

    def _nba_game(self, g: dict, seq: int, st: int, record: dict[str, list[int]], now: datetime) -> dict:
        tip = g["tipoff_utc"]
        local = tip.astimezone(ET)
        d = g["game_date"]
        clock_text = f"{local:%-I:%M} {'pm' if local.hour >= 12 else 'am'} ET"
        text = {1: clock_text, 2: "In Progress", 3: "Final"}[st]

        def team(tri: str, score: int) -> dict:
            t = BY_TRICODE[tri]
            return {"teamId": t.nba_id, "teamName": t.name, "teamCity": t.city, "teamTricode": t.tricode,
                    "teamSlug": t.name.lower().replace(" ", "-"),
                    "wins": record[tri][0], "losses": record[tri][1],
                    "score": score if st == 3 else 0, "seed": 0}

        return {
            "gameId": g["game_id"], "gameCode": f"{d:%Y%m%d}/{g['away_team']}{g['home_team']}",
            "gameStatus": st, "gameStatusText": text, "gameSequence": seq,
            "gameDateEst": f"{d.isoformat()}T00:00:00Z", "gameTimeEst": f"1900-01-01T{local:%H:%M:%S}Z",
            "gameDateTimeEst": f"{local:%Y-%m-%dT%H:%M:%S}Z",
            "gameDateUTC": _iso_z(datetime.combine(d, datetime.min.time(), tzinfo=ET)),
            "gameTimeUTC": f"1900-01-01T{tip:%H:%M:%S}Z", "gameDateTimeUTC": _iso_z(tip),
            "day": f"{d:%a}", "monthNum": d.month, "weekNumber": 0, "weekName": "", "ifNecessary": False,
            "gameLabel": "", "gameSubLabel": "", "seriesText": "",
            "arenaName": f"{BY_TRICODE[g['home_team']].city} Arena",
            "arenaCity": BY_TRICODE[g["home_team"]].city, "postponedStatus": "N", "isNeutral": False,
            "homeTeam": team(g["home_team"], g["home_score"]),
            "awayTeam": team(g["away_team"], g["away_score"]),
        }

    # ------------------------------------------------------------------ The Odds API
    @staticmethod
    def _odds_team(tri: str) -> str:
        return ODDS_TEAM_NAMES.get(tri, BY_TRICODE[tri].full_name)

    def _event(self, g: dict) -> dict:
        return {"id": g["event_id"], "sport_key": ODDS_SPORT, "sport_title": "NBA",
                "commence_time": _iso_z(g["tipoff_utc"]), "home_team": self._odds_team(g["home_team"]),
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
            raise _HttpError(422, body) from None

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

    def _odds_body(self, idx: _SeasonIndex, g: dict, snap: datetime | None) -> dict:
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
                upd = _iso_z(snap - timedelta(minutes=1 + BOOKS.index(book)))
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

    def _event_game(self, event: str) -> tuple[_SeasonIndex, dict]:
        for s in self.league.config.seasons:
            idx = self._idx(s)
            if event in idx.by_event:
                return idx, idx.by_event[event]
        raise _HttpError(404, {
            "message": "Event not found. The event may have expired or the event id is invalid.",
            "error_code": "EVENT_NOT_FOUND",
        })

    def _odds(self, path: str, params: httpx.QueryParams) -> httpx.Response:
        now = self.clock.now()
        base = f"/v4/sports/{ODDS_SPORT}/events"
        hist = f"/v4/historical/sports/{ODDS_SPORT}/events"
        parts = path.split("/")
        if path == base:
            return _json(200, self._events_at(now, params))
        if path == hist:
            ts = self._ts_param(params, "date")
            if ts is None:
                raise _HttpError(422, MISSING_DATE)
            ts = min(ts, now)
            nxt = ts + timedelta(minutes=5)
            return _json(200, {
                "timestamp": _iso_z(ts),
                "previous_timestamp": _iso_z(ts - timedelta(minutes=5)),
                "next_timestamp": _iso_z(nxt) if nxt <= now else None,
                "data": self._events_at(ts, params),
            })
        markets = set(params.get("markets", "player_points").split(","))
        if path.startswith(base + "/") and len(parts) == 7 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
            self._transient("oddsapi/event_odds", [g["game_date"]])
            snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now]
            snap = snaps[-1] if snaps and "player_points" in markets else None
            return _json(200, self._odds_body(idx, g, snap))
        if path.startswith(hist + "/") and len(parts) == 8 and parts[-1] == "odds":
            idx, g = self._event_game(parts[-2])
            self._transient("oddsapi/historical_event_odds", [g["game_date"]])
            ts = self._ts_param(params, "date")
            if ts is None:
                raise _HttpError(422, MISSING_DATE)
            ts = min(ts, now)
            snaps = [t for t in idx.snap_times.get(g["event_id"], []) if t <= now]
            before = [t for t in snaps if t <= ts]
            after = [t for t in snaps if t > ts]
            snap = before[-1] if before else None
            use = snap if "player_points" in markets else None
            return _json(200, {
                "timestamp": _iso_z(snap if snap is not None else ts),
                "previous_timestamp": _iso_z(before[-2]) if len(before) >= 2 else None,
                "next_timestamp": _iso_z(after[0]) if after else None,
                "data": self._odds_body(idx, g, use),
            })
        raise _HttpError(404, {"message": f"Unknown path {path}", "error_code": "NOT_FOUND"})


def sim_transport(league: SimLeague, clock: SimClock, state_dir: Path | None = None) -> httpx.MockTransport:
    """An httpx transport answering the three sources' endpoints from the simulated league."""
    return httpx.MockTransport(SimServer(league, clock, state_dir))
