"""Ball Don't Lie routes of the simulated sources (a mixin of SimServer): /v1/games, /v1/box_scores,
/v1/stats, /v1/player_injuries."""

from __future__ import annotations

from datetime import datetime

import httpx
import polars as pl

from nba_assets.partitions import ET
from resources.sim import faults as F
from resources.sim.wire import (
    STATS_GAME_KEYS,
    HttpError,
    SeasonIndex,
    iso_z,
    json_response,
    pct,
)
from resources.teams import BY_TRICODE, Team


class BdlRoutes:
    @staticmethod
    def _bdl_team(t: Team, abbreviation: str | None = None) -> dict:
        return {"id": t.bdl_id, "conference": t.conference, "division": t.division, "city": t.city,
                "name": t.name, "full_name": t.full_name, "abbreviation": abbreviation or t.tricode}

    def _bdl_state(self, g: dict, now: datetime) -> tuple[str, int, str | None, int, int]:
        """status, period, time, home score, visitor score as BDL shows them at `now`."""
        st = self._status(g, now)
        if st == 1:
            return iso_z(g["tipoff_utc"]), 0, None, 0, 0
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
                "home_team_score": hs, "visitor_team_score": vs, "datetime": iso_z(g["tipoff_utc"]),
                "home_team": self._bdl_team(BY_TRICODE[g["home_team"]]),
                "visitor_team": self._bdl_team(BY_TRICODE[g["away_team"]])}

    def _bdl_player(self, idx: SeasonIndex, pid: int, team_id: int | None = None) -> dict:
        p = idx.players[pid]
        out = {"id": p["bdl_player_id"], "first_name": p["first_name"], "last_name": p["last_name"],
               "position": p["position"], "height": p["height"], "weight": p["weight"],
               "jersey_number": p["jersey_number"], "college": p["college"], "country": p["country"],
               "draft_year": p["draft_year"], "draft_round": 1 if p["draft_year"] else None,
               "draft_number": None}
        if team_id is not None:
            out["team_id"] = team_id
        return out

    def _bdl_line(self, idx: SeasonIndex, r: dict, with_player_team: int | None = None) -> dict:
        variant = idx.malformed.get((r["game_id"], r["nba_player_id"]))
        minutes = "00" if r["dnp"] else str(int(r["minutes"]))
        line = {
            "min": "abc" if variant == "bdl_min_abc" else minutes,
            "fgm": r["fgm"], "fga": r["fga"], "fg_pct": pct(r["fgm"], r["fga"]),
            "fg3m": r["fg3m"], "fg3a": r["fg3a"], "fg3_pct": pct(r["fg3m"], r["fg3a"]),
            "ftm": r["ftm"], "fta": r["fta"], "ft_pct": pct(r["ftm"], r["fta"]),
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
        return json_response(200, {"data": [self._bdl_game(g, now) for g in chunk], "meta": meta})

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
        return json_response(200, {"data": data})

    def _bdl_stats(self, params: httpx.QueryParams) -> httpx.Response:
        dates = sorted({self._date(d, name="dates[]") for d in params.get_list("dates[]")})
        if not dates:
            raise HttpError(400, {"error": "the simulated /v1/stats needs dates[]"})
        self._transient("bdl/stats", dates)
        per_page, cursor = self._paging(params)
        now = self.clock.now()
        rows: list[tuple[SeasonIndex, dict, dict]] = []
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
                    raise HttpError(500, {"error": "Internal Server Error", "page": page})
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
        return json_response(200, {"data": data, "meta": meta})

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
        return json_response(200, {"data": chunk, "meta": meta})
