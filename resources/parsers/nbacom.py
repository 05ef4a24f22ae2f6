"""NBA.com responses: leaguegamelog (player box lines) and scheduleleaguev2 (the season schedule)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from nba_assets import tables
from nba_assets.history import SEASON_TYPES
from nba_assets.partitions import ET
from resources.parsers import common as pc
from resources.teams import (
    BY_NBA_ID,
    BY_TRICODE,
)

_MATCHUP = re.compile(r"^\s*([A-Za-z]{2,4})\s+(vs\.?|@)\s+([A-Za-z]{2,4})\s*$")


def _result_set(body: Any, name: str) -> tuple[list[str], list[Any]] | None:
    """(headers, rowSet) of the named result set; stats.nba.com also answers `resultSet` (singular)."""
    if not isinstance(body, Mapping):
        return None
    sets = body.get("resultSets")
    if isinstance(sets, Mapping):
        sets = [sets]
    if not isinstance(sets, list):
        single = body.get("resultSet")
        sets = [single] if isinstance(single, Mapping) else []
    sets = [s for s in sets if isinstance(s, Mapping)]
    chosen = next((s for s in sets if s.get("name") == name), sets[0] if sets else None)
    if chosen is None:
        return None
    headers, rows = chosen.get("headers"), chosen.get("rowSet")
    if not isinstance(headers, list) or not isinstance(rows, list):
        return None
    return [str(h).upper() for h in headers], rows


def _nbacom_game_id(field: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value).zfill(10)  # a numeric id lost its leading zeros
    if isinstance(value, str) and re.fullmatch(r"\d{10}", value.strip()):
        return value.strip()
    raise pc._Bad(field, value, "game id must be 10 digits")


def _matchup(team: str, matchup: Any) -> tuple[str, str]:
    """'GSW vs. NYK' -> (home GSW, away NYK); 'NYK @ GSW' -> (home GSW, away NYK)."""
    m = _MATCHUP.match(matchup) if isinstance(matchup, str) else None
    if m is None:
        raise pc._Bad("MATCHUP", matchup, "matchup must be 'TEAM vs. OPP' or 'TEAM @ OPP'")
    first = pc._tricode("MATCHUP", m[1])
    other = pc._tricode("MATCHUP", m[3])
    if first != team:
        raise pc._Bad("MATCHUP", matchup, f"matchup must start with the row's team {team}")
    return (first, other) if m[2].startswith("vs") else (other, first)


def parse_nbacom_leaguegamelog(body: dict, landing_file: str) -> pc.ParseResult:
    """stats/leaguegamelog (PlayerOrTeam=P): one row per player who played; columns found by header name."""
    ctx = pc._Ctx("nbacom", "leaguegamelog", landing_file)
    out = pc._Collector(ctx, pc.BOX_TABLE, ["source_game_id", "player_id"])
    found = _result_set(body, "LeagueGameLog")
    if found is None:
        rule = "response must hold a LeagueGameLog result set"
        return pc._file_reject(ctx, pc.BOX_TABLE, "resultSets", body, rule)
    headers, row_set = found
    required = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE",
                "MATCHUP", "MIN", *pc.NBACOM_STAT_FIELDS.values()]  # fmt: skip
    missing = [h for h in required if h not in headers]
    if missing:
        return pc._file_reject(ctx, pc.BOX_TABLE, "headers", ",".join(missing), "LeagueGameLog headers are missing")
    for raw in row_set:
        if not isinstance(raw, list) or len(raw) != len(headers):
            out.bad(pc._Bad("rowSet", pc._short(raw), f"row must have {len(headers)} values like the headers"))
            continue
        r = dict(zip(headers, raw, strict=True))
        name = r["PLAYER_NAME"] if isinstance(r["PLAYER_NAME"], str) else None
        game_id = str(r["GAME_ID"]) if r["GAME_ID"] is not None else None
        game_date: dt.date | None = None
        try:
            game_date = pc._iso_date("GAME_DATE", r["GAME_DATE"])
            game_id = _nbacom_game_id("GAME_ID", r["GAME_ID"])
            season = _season_from_id(r["SEASON_ID"])
            team = pc._tricode("TEAM_ABBREVIATION", r["TEAM_ABBREVIATION"])
            home, away = _matchup(team, r["MATCHUP"])
            game = pc._Game(game_id, game_date, season, home, away)
            row = pc._box_record(
                game,
                team=lambda t=team: t,
                player_id=lambda: pc._int_id("PLAYER_ID", r["PLAYER_ID"]),
                player_name=lambda: r["PLAYER_NAME"],
                name_field="PLAYER_NAME",
                stats=lambda: pc._box_stats(r, pc.NBACOM_STAT_FIELDS, "MIN"),
                landing_file=landing_file,
            )
        except pc._Bad as bad:
            out.bad(bad, game_date=game_date, game_id=game_id, player=name)
        else:
            out.add(row, {"game_date": game_date, "game_id": game_id, "player": name})
    return out.result()


def _season_from_id(value: Any) -> int:
    """SEASON_ID '22024' (type digit + start year) -> 2024."""
    s = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{5}", s):
        raise pc._Bad("SEASON_ID", value, "season id must be a type digit + 4-digit year")
    return pc._season_year("SEASON_ID", int(s[1:]))


def _schedule_game_date(g: Mapping[str, Any], day: Mapping[str, Any]) -> dt.date:
    if g.get("gameDateEst") is not None:
        return pc._iso_date("gameDateEst", g.get("gameDateEst"))
    # Older payloads only date the gameDates entry: "10/02/2025 00:00:00" / "01/20/2025 12:00:00 AM".
    raw = day.get("gameDate")
    try:
        return dt.datetime.strptime(str(raw).split()[0], "%m/%d/%Y").date()
    except (ValueError, IndexError):
        raise pc._Bad("gameDateEst", None, "game date (gameDateEst) is required") from None


def _tipoff(g: Mapping[str, Any], game_date: dt.date) -> dt.datetime | None:
    """Tip-off in pc.UTC: gameDateTimeUTC, else gameDateTimeEst as ET wall time, else gameDateUTC+gameTimeUTC.

    The CDN's gameDateUTC is ET midnight expressed in pc.UTC (date part = the ET date), so a tip after
    midnight pc.UTC needs the day added back: the combination must land on `game_date` in ET.
    """
    if g.get("gameDateTimeUTC"):
        return pc._utc("gameDateTimeUTC", g["gameDateTimeUTC"])
    if g.get("gameDateTimeEst"):
        # The CDN suffixes ET wall times with a misleading "Z"; the clock reading is Eastern.
        wall = pc._utc("gameDateTimeEst", g["gameDateTimeEst"]).replace(tzinfo=None)
        return wall.replace(tzinfo=ET).astimezone(pc.UTC)
    if g.get("gameDateUTC") and g.get("gameTimeUTC"):
        d = pc._iso_date("gameDateUTC", g["gameDateUTC"])
        t_raw = str(g["gameTimeUTC"])
        t_part = t_raw.split("T")[-1].rstrip("Z")
        try:
            t = dt.time.fromisoformat(t_part)
        except ValueError:
            raise pc._Bad("gameTimeUTC", t_raw, "time must be HH:MM:SS") from None
        ts = dt.datetime.combine(d, t, tzinfo=pc.UTC)
        if ts.astimezone(ET).date() < game_date:
            ts += dt.timedelta(days=1)
        return ts
    return None


EXHIBITION_TYPES = ("preseason", "allstar")


def _schedule_team(side: str, team: Mapping[str, Any], season_type: str) -> tuple[str, int]:
    tri, tid = team.get("teamTricode"), team.get("teamId")
    if not tid or not tri:
        raise pc._Bad(f"{side}.teamId", tid, "teams not yet determined")
    code = tri.strip().upper() if isinstance(tri, str) else None
    franchise = BY_TRICODE.get(code) if code else None
    if franchise is None and isinstance(tid, int) and not isinstance(tid, bool):
        franchise = BY_NBA_ID.get(tid)
    if franchise is None:
        # Exhibitions (preseason against overseas clubs, the All-Star teams) are known and out of scope.
        rule = pc.EXHIBITION_RULE if season_type in EXHIBITION_TYPES else "not an NBA franchise"
        raise pc._Bad(f"{side}.teamTricode", tri, rule)
    if tid != franchise.nba_id:
        raise pc._Bad(f"{side}.teamId", tid, f"team id does not match tricode {franchise.tricode}")
    return franchise.tricode, franchise.nba_id


def _final_score(side: str, team: Mapping[str, Any]) -> int:
    v = team.get("score")
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= pc.MAX_SCORE:
        raise pc._Bad(f"{side}.score", v, f"final score must be an integer 0-{pc.MAX_SCORE}")
    return v


# The status texts of a game that will not be played on its date. Only the text says so: gameStatus stays
# 1, and the feed's `postponedStatus` flag has been seen set on every game of a season.
CALLED_OFF_TEXTS = frozenset({"ppd", "postponed", "cancelled", "canceled"})


def _called_off(text: object) -> bool:
    return isinstance(text, str) and text.strip().lower() in CALLED_OFF_TEXTS


def parse_nbacom_schedule(
    body: dict, landing_file: str, game_dates: set[dt.date] | None = None
) -> pc.ParseResult:
    """leagueSchedule.gameDates[].games[] (CDN scheduleleaguev2 and the stats API): one row per game.

    Only games on `game_dates` are kept (rows and rejects) when given. A preseason or All-Star game with
    a team that is not an NBA franchise (an overseas club, an All-Star team) is left out under the
    out-of-scope rule `EXHIBITION_RULE`, which the rejects check counts without failing; in any other
    game such a team is rejected as "not an NBA franchise".
    """
    ctx = pc._Ctx("nbacom", "schedule", landing_file)
    table = tables.SCHEDULE
    # A rescheduled game keeps its id: inside one file both dates stay apart (raw.schedule is
    # sliced per date downstream, where game_id alone is the key).
    out = pc._Collector(ctx, table, ["game_date", "game_id"])
    days = pc._list(body, "leagueSchedule", "gameDates")
    if days is None:
        rule = "response must hold leagueSchedule.gameDates"
        return pc._file_reject(ctx, table, "leagueSchedule.gameDates", body, rule)
    for day in days:
        day = pc._dict(day)
        for g in out.items(day.get("games"), "gameDates.games"):
            g = pc._dict(g)
            gid = g.get("gameId")
            game_id = gid if isinstance(gid, str) else (str(gid) if gid is not None else None)
            game_date: dt.date | None = None
            try:
                game_date = _schedule_game_date(g, day)
                if game_dates is not None and game_date not in game_dates:
                    continue
                game_id = _nbacom_game_id("gameId", gid)
                season_type = SEASON_TYPES.get(game_id[2])
                if season_type is None:
                    raise pc._Bad("gameId", game_id, f"unknown season type digit {game_id[2]!r}")
                yy = int(game_id[3:5])
                season_year = 2000 + yy if yy < 46 else 1900 + yy  # the BAA/NBA began in 1946
                status = g.get("gameStatus")
                if status not in (1, 2, 3) or isinstance(status, bool):
                    raise pc._Bad("gameStatus", status, "status must be 1, 2 or 3")
                home_t, away_t = pc._dict(g.get("homeTeam")), pc._dict(g.get("awayTeam"))
                home, home_id = _schedule_team("homeTeam", home_t, season_type)
                away, away_id = _schedule_team("awayTeam", away_t, season_type)
                final = status == 3
                row = {
                    "game_date": game_date,
                    "game_id": game_id,
                    "season_year": season_year,
                    "season_type": season_type,
                    "nbacom_game_code": pc._opt_str(g.get("gameCode")),
                    "home_team": home,
                    "away_team": away,
                    "home_team_id": home_id,
                    "away_team_id": away_id,
                    "tipoff_utc": _tipoff(g, game_date),
                    "status": status,
                    "postponed": _called_off(g.get("gameStatusText")),
                    # In-progress scores are partial: only a final score is a fact of the game.
                    "home_score": _final_score("homeTeam", home_t) if final else None,
                    "away_score": _final_score("awayTeam", away_t) if final else None,
                    "landing_file": landing_file,
                }
            except pc._Bad as bad:
                out.bad(bad, game_date=game_date, game_id=game_id)
            else:
                out.add(row, {"game_date": game_date, "game_id": game_id})
    return out.result()
