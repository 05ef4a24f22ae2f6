"""NBA.com stats routes of the simulated sources (a mixin of SimServer): leaguegamelog, scheduleleaguev2."""

from __future__ import annotations

from datetime import datetime

import httpx

from nba_assets.partitions import ET
from resources.sim.wire import (
    NBA_GAMELOG_HEADERS,
    HttpError,
    SeasonIndex,
    iso_z,
    json_response,
    pct,
)
from resources.teams import BY_TRICODE


class NbaComRoutes:
    def _season_param(self, params: httpx.QueryParams) -> int:
        text = params.get("Season", "")
        try:
            start, end = text.split("-")
            season = int(start)
            ok = len(end) == 2 and int(end) == (season + 1) % 100
        except ValueError:
            ok = False
        if not ok:
            raise HttpError(400, {"message": f"Season {text!r} is not valid; expected e.g. 2025-26"})
        return season

    def _nba_gamelog(self, params: httpx.QueryParams) -> httpx.Response:
        season = self._season_param(params)
        if params.get("PlayerOrTeam", "T") != "P":
            raise HttpError(400, {"message": "the simulated leaguegamelog serves PlayerOrTeam=P only"})
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
        return json_response(200, {"resource": "leaguegamelog", "parameters": parameters, "resultSets": [result]})

    def _nba_rows(self, idx: SeasonIndex, g: dict, now: datetime) -> list[list]:
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
                fgm, fga, pct(fgm, fga) if fga else None, r["fg3m"], r["fg3a"],
                pct(r["fg3m"], r["fg3a"]) if r["fg3a"] else None, r["ftm"], r["fta"],
                pct(r["ftm"], r["fta"]) if r["fta"] else None, r["oreb"], r["dreb"], r["reb"], r["ast"],
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
            raise HttpError(404, {"message": f"no schedule for {params.get('Season')}"})
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
                "time": iso_z(now),
            },
            "leagueSchedule": {"seasonYear": params.get("Season"), "leagueId": "00", "gameDates": game_dates},
        }
        return json_response(200, body)

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
            "gameDateUTC": iso_z(datetime.combine(d, datetime.min.time(), tzinfo=ET)),
            "gameTimeUTC": f"1900-01-01T{tip:%H:%M:%S}Z", "gameDateTimeUTC": iso_z(tip),
            "day": f"{d:%a}", "monthNum": d.month, "weekNumber": 0, "weekName": "", "ifNecessary": False,
            "gameLabel": "", "gameSubLabel": "", "seriesText": "",
            "arenaName": f"{BY_TRICODE[g['home_team']].city} Arena",
            "arenaCity": BY_TRICODE[g["home_team"]].city, "postponedStatus": "N", "isNeutral": False,
            "homeTeam": team(g["home_team"], g["home_score"]),
            "awayTeam": team(g["away_team"], g["away_score"]),
        }
