"""Pure parsers: one landed API response body -> contract-shaped raw rows + structured rejects.

Every function takes the decoded JSON body and the landing file's name (a content hash) and returns a
`ParseResult`. A record with ANY bad field is rejected whole, with a reject row naming the source,
game, player, field, value and rule; every other record of the response survives (one malformed
stat line never takes its game down). A response whose overall shape is wrong (missing `data`, no
headers, ...) yields a single reject for the file instead of an exception, so one bad landed file
cannot block a season backfill; the raw assets' `no_rejected_records` check makes it loud.

Duplicates inside one response: identical records collapse to one; records sharing a business
key but disagreeing are all rejected ("conflicting rows"), because nothing in the response says
which one is right. Across responses, `latest_fetch_wins` keeps the newest fetch of each key.

DNP rule (both box score feeds): minutes 0 (or "00", "", null, "0:00") with no non-zero stat is a
DNP row: dnp=True and every stat 0 (null stats become 0). Minutes 0 WITH a non-zero stat is a real
appearance of a few seconds (the feeds round it down to 0), validated like any played row.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from checks.contracts import empty_frame
from resources.names import player_lookup as _player_lookup
from resources.teams import (
    BY_BDL_ID,
    BY_NBA_ID,
    BY_TRICODE,
    UnknownTeamError,
    canonical_tricode,
    tricode_from_full_name,
)

ET = ZoneInfo("America/New_York")
UTC = dt.UTC

REJECT_SCHEMA: dict[str, Any] = {
    "source": pl.Utf8,
    "endpoint": pl.Utf8,
    "landing_file": pl.Utf8,
    "game_date": pl.Date,
    "source_game_id": pl.Utf8,
    "player": pl.Utf8,
    "field": pl.Utf8,
    "value": pl.Utf8,
    "rule": pl.Utf8,
}

BOX_TABLE = "raw/bdl_boxscores"  # both box score tables share BoxscoreContract
MAX_MINUTES = 70.0
MAX_POINTS = 100
MAX_SCORE = 250
MIN_LINE, MAX_LINE = 0.5, 80.0

# Contract stat column -> source field. Points first: its rules are the ones users ask about.
BDL_STAT_FIELDS: dict[str, str] = {
    "points": "pts", "fgm": "fgm", "fga": "fga", "fg3m": "fg3m", "fg3a": "fg3a", "ftm": "ftm",
    "fta": "fta", "oreb": "oreb", "dreb": "dreb", "reb": "reb", "ast": "ast", "stl": "stl",
    "blk": "blk", "tov": "turnover", "pf": "pf",
}  # fmt: skip
NBACOM_STAT_FIELDS: dict[str, str] = {
    "points": "PTS", "fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A", "ftm": "FTM",
    "fta": "FTA", "oreb": "OREB", "dreb": "DREB", "reb": "REB", "ast": "AST", "stl": "STL",
    "blk": "BLK", "tov": "TOV", "pf": "PF",
}  # fmt: skip

# The 3rd digit of an NBA.com game id. 6 (the NBA Cup final) is deliberately absent: the schedule
# contract has no such season type, so those games are rejected by name rather than mislabelled.
SEASON_TYPES: dict[str, str] = {
    "1": "preseason", "2": "regular", "3": "allstar", "4": "playoffs", "5": "play-in",
}  # fmt: skip


# ------------------------------------------------------------------------------------------ result
@dataclass(frozen=True)
class ParseResult:
    rows: pl.DataFrame  # valid rows, contract-shaped (columns and dtypes of the contract)
    rejects: pl.DataFrame  # REJECT_SCHEMA; one row per rejected record
    # REJECT_SCHEMA; one row per identical repeat of a record inside one response. The record is kept
    # once (no data lost or doubled), but a source that repeats rows is reported, not silently fixed.
    duplicates: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))

    def describe_rejects(self) -> list[str]:
        """One readable line per reject, e.g. "bdl stats game 18447346 (2026-01-09) player 'Jalen Williams':
        field pts=None violates 'points is required'" (on one line)."""
        lines = []
        for r in self.rejects.iter_rows(named=True):
            head = f"{r['source']} {r['endpoint']}"
            if r["source_game_id"] is not None:
                head += f" game {r['source_game_id']}"
            if r["game_date"] is not None:
                head += f" ({r['game_date']})"
            if r["player"] is not None:
                head += f" player '{r['player']}'"
            if r["source_game_id"] is None and r["player"] is None:
                head += f" file {r['landing_file']}"
            lines.append(f"{head}: field {r['field']}={r['value']} violates '{r['rule']}'")
        return lines


class _Bad(Exception):
    """One violated rule of one record: which field, what value, which rule."""

    def __init__(self, field: str, value: Any, rule: str) -> None:
        super().__init__(f"{field}={value!r}: {rule}")
        self.field, self.value, self.rule = field, value, rule


@dataclass(frozen=True)
class _Ctx:
    """Where a record came from; fills the reject row."""

    source: str
    endpoint: str
    landing_file: str

    def reject(
        self,
        bad: _Bad,
        game_date: dt.date | None = None,
        game_id: str | None = None,
        player: str | None = None,
    ) -> dict[str, Any]:
        return {
            "source": self.source,
            "endpoint": self.endpoint,
            "landing_file": self.landing_file,
            "game_date": game_date,
            # str(): a malformed record may carry a number or list where a name/id belongs.
            "source_game_id": None if game_id is None else str(game_id),
            "player": None if player is None else str(player),
            "field": bad.field,
            "value": None if bad.value is None else str(bad.value),
            "rule": bad.rule,
        }


def _rejects_frame(rejects: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rejects, schema=REJECT_SCHEMA, orient="row") if rejects else pl.DataFrame(
        schema=REJECT_SCHEMA
    )


# ------------------------------------------------------------------------------------ value rules
_PLAIN_MINUTES = re.compile(r"-?\d{1,3}(?:\.\d+)?")  # "35", "00", "12.5"
_CLOCK_MINUTES = re.compile(r"(\d{1,3}):([0-5]\d)(?:\.\d+)?")  # "35:22", "0:00"
_ISO_MINUTES = re.compile(r"PT(\d{1,3})M(\d{1,2}(?:\.\d+)?)S")  # NBA.com live: "PT35M22.00S"


def parse_minutes(value: Any) -> float | None:
    """Minutes played as a float, or None when unparseable.

    "35" -> 35.0; "35:22" -> 35.37 (min + sec/60, 2 decimals); "PT35M22.00S" -> 35.37; numbers pass
    through; "00"/"0"/""/null/"0:00" -> 0.0 (the caller decides DNP). Range checks are the caller's.
    """
    if value is None:
        return 0.0
    if isinstance(value, bool):  # bool is an int subclass; True minutes is a type error, not 1.0
        return None
    if isinstance(value, (int, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return 0.0
    if _PLAIN_MINUTES.fullmatch(s):
        return float(s)
    if m := _CLOCK_MINUTES.fullmatch(s):
        return round(int(m[1]) + int(m[2]) / 60, 2)
    if m := _ISO_MINUTES.fullmatch(s):
        secs = float(m[2])
        return round(int(m[1]) + secs / 60, 2) if secs < 60 else None
    return None


def to_american_odds(price: Any) -> float:
    """A price as American odds. |price| >= 100 is American already; 1 < price < 100 is decimal.

    Decimal 1.91 -> -109.89; 2.5 -> +150.0; 2.0 -> +100.0. Raises ValueError for anything else
    (American odds never lie strictly between -100 and +100; decimal odds are always > 1).
    """
    american = _american(price)
    if american is None:
        raise ValueError(f"price {price!r} is neither American nor decimal odds")
    return american


def _american(price: Any) -> float | None:
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
        return None
    p = float(price)
    if p >= 100 or p <= -100:
        return p
    if 1 < p < 100:
        return round((p - 1) * 100, 2) if p >= 2 else round(-100 / (p - 1), 2)
    return None


def _count(field: str, label: str, value: Any) -> int:
    """A non-negative integer stat; integral floats (12.0) are accepted, strings and 12.5 are not."""
    if type(value) is int and value >= 0:  # the common case first: this runs ~15 times per row
        return value
    if value is None:
        raise _Bad(field, value, f"{label} is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(field, value, f"{label} must be an integer")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _Bad(field, value, f"{label} must be an integer")
    if value < 0:
        raise _Bad(field, value, f"{label} must be >= 0")
    return int(value)


def _is_zero(value: Any) -> bool:
    return value is None or (not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0)


def _int_id(field: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(field, value, "id must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise _Bad(field, value, "id must be an integer" if value is not None else "id is required")


def _tricode(field: str, code: Any) -> str:
    try:
        return canonical_tricode(code if isinstance(code, str) else None)
    except UnknownTeamError:
        raise _Bad(field, code, "unknown team code") from None


def _bdl_team_id(field: str, team_id: Any) -> str:
    team = BY_BDL_ID.get(team_id) if isinstance(team_id, int) and not isinstance(team_id, bool) else None
    if team is None:
        raise _Bad(field, team_id, "unknown team id")
    return team.tricode


@lru_cache(maxsize=65536)
def _lookup_cached(name: str) -> str | None:
    return _player_lookup(name)


def _player(field: str, name: Any) -> tuple[str, str]:
    """(player_name as given, player_lookup); accents are kept in the name, stripped in the lookup."""
    if not isinstance(name, str) or not name.strip():
        raise _Bad(field, name, "player name is required")
    name = " ".join(name.split())
    lookup = _lookup_cached(name)
    if lookup is None:
        raise _Bad(field, name, "player name has no letters or digits")
    return name, lookup


def _iso_date(field: str, value: Any) -> dt.date:
    """'2026-01-09', '2026-01-09T00:00:00.000Z' or NBA.com's 'JAN 09, 2026' -> date."""
    if isinstance(value, str):
        s = value.strip()
        try:
            return dt.date.fromisoformat(s[:10])
        except ValueError:
            pass
        try:
            return dt.datetime.strptime(s.title(), "%b %d, %Y").date()
        except ValueError:
            pass
    raise _Bad(field, value, "date must be YYYY-MM-DD")


def _utc(field: str, value: Any) -> dt.datetime:
    """ISO timestamp -> aware UTC datetime; a timestamp without offset is UTC (these feeds' convention)."""
    if isinstance(value, str):
        try:
            ts = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    raise _Bad(field, value, "timestamp must be ISO 8601")


def _aware_utc(name: str, ts: dt.datetime) -> dt.datetime:
    if ts.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {ts!r}")
    return ts.astimezone(UTC)


def _season_year(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1946 <= value <= 2100:
        raise _Bad(field, value, "season must be a start year 1946-2100")
    return value


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


# ------------------------------------------------------------------------------ box score records
def _box_stats(stat_line: Mapping[str, Any], fields: Mapping[str, str], min_field: str) -> dict[str, Any]:
    """Minutes, dnp and the 15 stats of one player line, or _Bad naming the first violated rule."""
    raw_min = stat_line.get(min_field)
    minutes = parse_minutes(raw_min)
    if minutes is None:
        raise _Bad(min_field, raw_min, "minutes unparseable")
    if minutes < 0:
        raise _Bad(min_field, raw_min, "minutes must be >= 0")
    if minutes > MAX_MINUTES:
        raise _Bad(min_field, raw_min, f"minutes must be <= {MAX_MINUTES:g}")
    raw = {col: stat_line.get(src) for col, src in fields.items()}
    if minutes == 0 and all(_is_zero(v) for v in raw.values()):
        return {"minutes": 0.0, "dnp": True} | dict.fromkeys(fields, 0)
    out: dict[str, Any] = {"minutes": minutes, "dnp": False}
    for col, src in fields.items():
        if raw[col] is None and col != "points":
            raise _Bad(src, None, f"{col} is required for a player who played")
        out[col] = _count(src, col, raw[col])
    f = fields
    if out["points"] > MAX_POINTS:
        raise _Bad(f["points"], out["points"], f"points must be <= {MAX_POINTS}")
    for made, att in (("fgm", "fga"), ("fg3m", "fg3a"), ("ftm", "fta")):
        if out[made] > out[att]:
            rule = f"makes must not exceed attempts ({f[made]} <= {f[att]}={out[att]})"
            raise _Bad(f[made], out[made], rule)
    if out["fg3m"] > out["fgm"]:
        rule = f"threes made must not exceed field goals made ({f['fgm']}={out['fgm']})"
        raise _Bad(f["fg3m"], out["fg3m"], rule)
    expected = 2 * out["fgm"] + out["fg3m"] + out["ftm"]
    if out["points"] != expected:
        raise _Bad(
            f["points"], out["points"],
            f"scoring identity points = 2*FGM + FG3M + FTM ({expected})",
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class _Game:
    """Game-level facts shared by every player line of one game (errors apply to each line)."""

    game_id: str | None
    game_date: dt.date | None
    season_year: int | None
    home: str | None
    away: str | None
    error: _Bad | None = None


def _box_record(
    game: _Game,
    team: Callable[[], str],
    player_id: Callable[[], int],
    player_name: Callable[[], Any],
    name_field: str,
    stats: Callable[[], dict[str, Any]],
    landing_file: str,
) -> dict[str, Any]:
    """One contract row; the callables run in rule order so the first bad field is the one reported."""
    if game.error is not None:
        raise game.error
    t = team()
    if t not in (game.home, game.away):
        raise _Bad("team", t, f"player's team is not in the game ({game.away} @ {game.home})")
    pid = player_id()
    name, lookup = _player(name_field, player_name())
    return {
        "game_date": game.game_date,
        "season_year": game.season_year,
        "source_game_id": game.game_id,
        "home_team": game.home,
        "away_team": game.away,
        "team": t,
        "player_id": pid,
        "player_name": name,
        "player_lookup": lookup,
        **stats(),
        "landing_file": landing_file,
    }


def _bdl_name(player: Mapping[str, Any]) -> str | None:
    parts = [player.get("first_name"), player.get("last_name")]
    parts = [p for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(parts) or None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# ------------------------------------------------------------------------------ collect and dedupe
class _Collector:
    """Accumulates good rows and rejects; collapses identical duplicates, rejects conflicting ones."""

    def __init__(self, ctx: _Ctx, table: str, key: list[str]) -> None:
        self.ctx, self.table, self.key = ctx, table, key
        self.rows: dict[tuple, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        self.rejects: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any], where: dict[str, Any]) -> None:
        k = tuple(row[c] for c in self.key)
        group = self.rows.setdefault(k, [])
        if any(existing == row for existing, _ in group):
            rule = "identical record repeated in one response (kept once)"
            self.duplicates.append(self.ctx.reject(_Bad(",".join(self.key), _short(k), rule), **where))
        else:
            group.append((row, where))

    def bad(self, bad: _Bad, **where: Any) -> None:
        self.rejects.append(self.ctx.reject(bad, **where))

    def result(self) -> ParseResult:
        good: list[dict[str, Any]] = []
        for group in self.rows.values():
            if len(group) == 1:
                good.append(group[0][0])
                continue
            differing = sorted(
                c for c in group[0][0] if any(r[c] != group[0][0][c] for r, _ in group[1:])
            )
            rule = f"conflicting rows for one ({', '.join(self.key)}) in one response"
            for _, where in group:
                self.bad(_Bad(",".join(differing), None, rule), **where)
        template = _template(self.table)
        rows = pl.DataFrame(good, schema=template.schema, orient="row") if good else template
        rows = rows.sort(self.key, nulls_last=True, maintain_order=True)
        return ParseResult(
            rows=rows, rejects=_rejects_frame(self.rejects), duplicates=_rejects_frame(self.duplicates)
        )


@lru_cache(maxsize=None)
def _template(table: str) -> pl.DataFrame:
    """The contract's empty frame, built once per table (pandera's to_schema costs ~2 ms a call)."""
    return empty_frame(table)


def _file_reject(ctx: _Ctx, table: str, field: str, value: Any, rule: str) -> ParseResult:
    """The whole response has the wrong shape: one reject naming the file; no rows."""
    rej = ctx.reject(_Bad(field, _short(value), rule))
    return ParseResult(rows=_template(table).clear(), rejects=_rejects_frame([rej]))


def _short(value: Any) -> str:
    s = repr(value) if not isinstance(value, str) else value
    return s if len(s) <= 120 else s[:117] + "..."


def _list(body: Any, *path: str) -> list[Any] | None:
    node = body
    for p in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(p)
    return node if isinstance(node, list) else None


# ------------------------------------------------------------------------------------ Ball Don't Lie
def _bdl_game(g: Mapping[str, Any], home: Callable[[], str], away: Callable[[], str]) -> _Game:
    gid = g.get("id")
    game_id = str(gid) if gid is not None and not isinstance(gid, bool) else None
    game_date = season = h = a = None
    try:
        if game_id is None:
            raise _Bad("game.id", gid, "game id is required")
        game_date = _iso_date("game.date", g.get("date"))
        season = _season_year("game.season", g.get("season"))
        h, a = home(), away()
        if h == a:
            raise _Bad("game.home_team", h, "home and away teams must differ")
    except _Bad as bad:
        return _Game(game_id, game_date, season, h, a, error=bad)
    return _Game(game_id, game_date, season, h, a)


def parse_bdl_box_scores(body: dict, landing_file: str) -> ParseResult:
    """/v1/box_scores?date=: games with home_team/visitor_team, each with nested player stat lines."""
    ctx = _Ctx("bdl", "box_scores", landing_file)
    out = _Collector(ctx, BOX_TABLE, ["source_game_id", "player_id"])
    games = _list(body, "data")
    if games is None:
        return _file_reject(ctx, BOX_TABLE, "data", body, "response must hold a list of games in 'data'")
    for g in games:
        g = _dict(g)
        home_t, away_t = _dict(g.get("home_team")), _dict(g.get("visitor_team"))
        game = _bdl_game(
            g,
            lambda h=home_t: _tricode("home_team.abbreviation", h.get("abbreviation")),
            lambda a=away_t: _tricode("visitor_team.abbreviation", a.get("abbreviation")),
        )
        for side_team, side in ((home_t, "home"), (away_t, "away")):
            for line in side_team.get("players") or []:
                line = _dict(line)
                _collect_bdl_line(
                    out, game, lambda s=side: game.home if s == "home" else game.away, line, landing_file
                )
    return out.result()


def _collect_bdl_line(
    out: _Collector, game: _Game, team: Callable[[], str], line: Mapping[str, Any], landing_file: str
) -> None:
    """One BDL player stat line (box_scores or stats) into `out`: a row, or a reject naming it."""
    player = _dict(line.get("player"))
    name = _bdl_name(player)
    where = {"game_date": game.game_date, "game_id": game.game_id, "player": name}
    try:
        row = _box_record(
            game,
            team=team,
            player_id=lambda: _int_id("player.id", player.get("id")),
            player_name=lambda: name,
            name_field="player.first_name+last_name",
            stats=lambda: _box_stats(line, BDL_STAT_FIELDS, "min"),
            landing_file=landing_file,
        )
    except _Bad as bad:
        out.bad(bad, **where)
    else:
        out.add(row, where)


def parse_bdl_stats(body: dict, landing_file: str) -> ParseResult:
    """/v1/stats page: one row per player-game with nested player, team and game (home/visitor ids)."""
    ctx = _Ctx("bdl", "stats", landing_file)
    out = _Collector(ctx, BOX_TABLE, ["source_game_id", "player_id"])
    lines = _list(body, "data")
    if lines is None:
        return _file_reject(ctx, BOX_TABLE, "data", body, "response must hold a list of stat lines in 'data'")
    for line in lines:
        line = _dict(line)
        g, team = _dict(line.get("game")), _dict(line.get("team"))
        game = _bdl_game(
            g,
            lambda g=g: _bdl_team_id("game.home_team_id", g.get("home_team_id")),
            lambda g=g: _bdl_team_id("game.visitor_team_id", g.get("visitor_team_id")),
        )

        def row_team(team: Mapping[str, Any] = team) -> str:
            # The row's own team (the team at game time); player.team_id is the CURRENT team and
            # is wrong for anyone traded since.
            if team.get("abbreviation") is not None:
                return _tricode("team.abbreviation", team.get("abbreviation"))
            return _bdl_team_id("team.id", team.get("id"))

        _collect_bdl_line(out, game, row_team, line, landing_file)
    return out.result()


def parse_bdl_injuries(
    body: dict, landing_file: str, report_ts: dt.datetime, game_date: dt.date
) -> ParseResult:
    """/v1/player_injuries: one row per player as of `report_ts` (team from player.team_id)."""
    ctx = _Ctx("bdl", "player_injuries", landing_file)
    table = "raw/injuries"
    report_ts = _aware_utc("report_ts", report_ts)
    out = _Collector(ctx, table, ["report_ts", "player_lookup"])
    items = _list(body, "data")
    if items is None:
        bad = _Bad("data", _short(body), "response must hold a list of injuries in 'data'")
        rej = ctx.reject(bad, game_date)
        return ParseResult(rows=_template(table).clear(), rejects=_rejects_frame([rej]))
    for item in items:
        item = _dict(item)
        player = _dict(item.get("player"))
        name = _bdl_name(player)
        where = {"game_date": game_date, "player": name}
        try:
            pid = _int_id("player.id", player.get("id"))
            pname, lookup = _player("player.first_name+last_name", name)
            team = _bdl_team_id("player.team_id", player.get("team_id"))
            status = _opt_str(item.get("status"))
            if status is None:
                raise _Bad("status", item.get("status"), "injury status is required")
        except _Bad as bad:
            out.bad(bad, **where)
            continue
        row = {
            "game_date": game_date,
            "report_ts": report_ts,
            "player_id": pid,
            "player_name": pname,
            "player_lookup": lookup,
            "team": team,
            "status": status,
            "return_date": _opt_str(item.get("return_date")),
            "description": _opt_str(item.get("description")),
            "landing_file": landing_file,
        }
        out.add(row, where)
    return out.result()


# ------------------------------------------------------------------------------------------ NBA.com
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
    raise _Bad(field, value, "game id must be 10 digits")


def _matchup(team: str, matchup: Any) -> tuple[str, str]:
    """'GSW vs. NYK' -> (home GSW, away NYK); 'NYK @ GSW' -> (home GSW, away NYK)."""
    m = _MATCHUP.match(matchup) if isinstance(matchup, str) else None
    if m is None:
        raise _Bad("MATCHUP", matchup, "matchup must be 'TEAM vs. OPP' or 'TEAM @ OPP'")
    first = _tricode("MATCHUP", m[1])
    other = _tricode("MATCHUP", m[3])
    if first != team:
        raise _Bad("MATCHUP", matchup, f"matchup must start with the row's team {team}")
    return (first, other) if m[2].startswith("vs") else (other, first)


def parse_nbacom_leaguegamelog(body: dict, landing_file: str) -> ParseResult:
    """stats/leaguegamelog (PlayerOrTeam=P): one row per player who played; columns found by header name."""
    ctx = _Ctx("nbacom", "leaguegamelog", landing_file)
    out = _Collector(ctx, BOX_TABLE, ["source_game_id", "player_id"])
    found = _result_set(body, "LeagueGameLog")
    if found is None:
        rule = "response must hold a LeagueGameLog result set"
        return _file_reject(ctx, BOX_TABLE, "resultSets", body, rule)
    headers, row_set = found
    required = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE",
                "MATCHUP", "MIN", *NBACOM_STAT_FIELDS.values()]  # fmt: skip
    missing = [h for h in required if h not in headers]
    if missing:
        return _file_reject(ctx, BOX_TABLE, "headers", ",".join(missing), "LeagueGameLog headers are missing")
    for raw in row_set:
        if not isinstance(raw, list) or len(raw) != len(headers):
            out.bad(_Bad("rowSet", _short(raw), f"row must have {len(headers)} values like the headers"))
            continue
        r = dict(zip(headers, raw, strict=True))
        name = r["PLAYER_NAME"] if isinstance(r["PLAYER_NAME"], str) else None
        game_id = str(r["GAME_ID"]) if r["GAME_ID"] is not None else None
        game_date: dt.date | None = None
        try:
            game_date = _iso_date("GAME_DATE", r["GAME_DATE"])
            game_id = _nbacom_game_id("GAME_ID", r["GAME_ID"])
            season = _season_from_id(r["SEASON_ID"])
            team = _tricode("TEAM_ABBREVIATION", r["TEAM_ABBREVIATION"])
            home, away = _matchup(team, r["MATCHUP"])
            game = _Game(game_id, game_date, season, home, away)
            row = _box_record(
                game,
                team=lambda t=team: t,
                player_id=lambda: _int_id("PLAYER_ID", r["PLAYER_ID"]),
                player_name=lambda: r["PLAYER_NAME"],
                name_field="PLAYER_NAME",
                stats=lambda: _box_stats(r, NBACOM_STAT_FIELDS, "MIN"),
                landing_file=landing_file,
            )
        except _Bad as bad:
            out.bad(bad, game_date=game_date, game_id=game_id, player=name)
        else:
            out.add(row, {"game_date": game_date, "game_id": game_id, "player": name})
    return out.result()


def _season_from_id(value: Any) -> int:
    """SEASON_ID '22024' (type digit + start year) -> 2024."""
    s = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{5}", s):
        raise _Bad("SEASON_ID", value, "season id must be a type digit + 4-digit year")
    return _season_year("SEASON_ID", int(s[1:]))


def _schedule_game_date(g: Mapping[str, Any], day: Mapping[str, Any]) -> dt.date:
    if g.get("gameDateEst") is not None:
        return _iso_date("gameDateEst", g.get("gameDateEst"))
    # Older payloads only date the gameDates entry: "10/02/2025 00:00:00" / "01/20/2025 12:00:00 AM".
    raw = day.get("gameDate")
    try:
        return dt.datetime.strptime(str(raw).split()[0], "%m/%d/%Y").date()
    except (ValueError, IndexError):
        raise _Bad("gameDateEst", None, "game date (gameDateEst) is required") from None


def _tipoff(g: Mapping[str, Any], game_date: dt.date) -> dt.datetime | None:
    """Tip-off in UTC: gameDateTimeUTC, else gameDateTimeEst as ET wall time, else gameDateUTC+gameTimeUTC.

    The CDN's gameDateUTC is ET midnight expressed in UTC (date part = the ET date), so a tip after
    midnight UTC needs the day added back: the combination must land on `game_date` in ET.
    """
    if g.get("gameDateTimeUTC"):
        return _utc("gameDateTimeUTC", g["gameDateTimeUTC"])
    if g.get("gameDateTimeEst"):
        # The CDN suffixes ET wall times with a misleading "Z"; the clock reading is Eastern.
        wall = _utc("gameDateTimeEst", g["gameDateTimeEst"]).replace(tzinfo=None)
        return wall.replace(tzinfo=ET).astimezone(UTC)
    if g.get("gameDateUTC") and g.get("gameTimeUTC"):
        d = _iso_date("gameDateUTC", g["gameDateUTC"])
        t_raw = str(g["gameTimeUTC"])
        t_part = t_raw.split("T")[-1].rstrip("Z")
        try:
            t = dt.time.fromisoformat(t_part)
        except ValueError:
            raise _Bad("gameTimeUTC", t_raw, "time must be HH:MM:SS") from None
        ts = dt.datetime.combine(d, t, tzinfo=UTC)
        if ts.astimezone(ET).date() < game_date:
            ts += dt.timedelta(days=1)
        return ts
    return None


def _schedule_team(side: str, team: Mapping[str, Any]) -> tuple[str, int]:
    tri, tid = team.get("teamTricode"), team.get("teamId")
    if not tid or not tri:
        raise _Bad(f"{side}.teamId", tid, "teams not yet determined")
    code = tri.strip().upper() if isinstance(tri, str) else None
    franchise = BY_TRICODE.get(code) if code else None
    if franchise is None and isinstance(tid, int) and not isinstance(tid, bool):
        franchise = BY_NBA_ID.get(tid)
    if franchise is None:
        raise _Bad(f"{side}.teamTricode", tri, "not an NBA franchise")
    if tid != franchise.nba_id:
        raise _Bad(f"{side}.teamId", tid, f"team id does not match tricode {franchise.tricode}")
    return franchise.tricode, franchise.nba_id


def _final_score(side: str, team: Mapping[str, Any]) -> int:
    v = team.get("score")
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_SCORE:
        raise _Bad(f"{side}.score", v, f"final score must be an integer 0-{MAX_SCORE}")
    return v


def parse_nbacom_schedule(
    body: dict, landing_file: str, game_dates: set[dt.date] | None = None
) -> ParseResult:
    """leagueSchedule.gameDates[].games[] (CDN scheduleleaguev2 and the stats API): one row per game.

    Only games on `game_dates` are kept (rows and rejects) when given. Games between teams that are not
    NBA franchises (All-Star teams, overseas clubs in preseason) are rejected as "not an NBA franchise".
    """
    ctx = _Ctx("nbacom", "schedule", landing_file)
    table = "raw/schedule"
    # A rescheduled game keeps its id: inside one file both dates stay apart (raw.schedule is
    # sliced per date downstream, where game_id alone is the key).
    out = _Collector(ctx, table, ["game_date", "game_id"])
    days = _list(body, "leagueSchedule", "gameDates")
    if days is None:
        rule = "response must hold leagueSchedule.gameDates"
        return _file_reject(ctx, table, "leagueSchedule.gameDates", body, rule)
    for day in days:
        day = _dict(day)
        for g in day.get("games") or []:
            g = _dict(g)
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
                    raise _Bad("gameId", game_id, f"unknown season type digit {game_id[2]!r}")
                yy = int(game_id[3:5])
                season_year = 2000 + yy if yy < 46 else 1900 + yy  # the BAA/NBA began in 1946
                status = g.get("gameStatus")
                if status not in (1, 2, 3) or isinstance(status, bool):
                    raise _Bad("gameStatus", status, "status must be 1, 2 or 3")
                home_t, away_t = _dict(g.get("homeTeam")), _dict(g.get("awayTeam"))
                home, home_id = _schedule_team("homeTeam", home_t)
                away, away_id = _schedule_team("awayTeam", away_t)
                final = status == 3
                row = {
                    "game_date": game_date,
                    "game_id": game_id,
                    "season_year": season_year,
                    "season_type": season_type,
                    "nbacom_game_code": _opt_str(g.get("gameCode")),
                    "home_team": home,
                    "away_team": away,
                    "home_team_id": home_id,
                    "away_team_id": away_id,
                    "tipoff_utc": _tipoff(g, game_date),
                    "status": status,
                    # In-progress scores are partial: only a final score is a fact of the game.
                    "home_score": _final_score("homeTeam", home_t) if final else None,
                    "away_score": _final_score("awayTeam", away_t) if final else None,
                    "landing_file": landing_file,
                }
            except _Bad as bad:
                out.bad(bad, game_date=game_date, game_id=game_id)
            else:
                out.add(row, {"game_date": game_date, "game_id": game_id})
    return out.result()


# --------------------------------------------------------------------------------------- Odds API
def _events(body: Any) -> tuple[list[Any], dt.datetime | None] | None:
    """(events, wrapper timestamp): live event odds, the historical wrapper, or a list of events."""
    wrapper_ts = None
    if isinstance(body, Mapping) and "data" in body and "bookmakers" not in body:
        if body.get("timestamp") is not None:
            wrapper_ts = _utc("timestamp", body.get("timestamp"))
        body = body.get("data")
    if isinstance(body, Mapping):
        return [body], wrapper_ts
    if isinstance(body, list):
        return body, wrapper_ts
    return None


def parse_odds_event_odds(
    body: dict, landing_file: str, snapshot_ts: dt.datetime | None = None
) -> ParseResult:
    """The Odds API v4 event odds (live body or historical wrapper): one row per (player, bookmaker).

    Over and Under outcomes with the same description and point form one row; a lone side keeps a
    null price on the other. snapshot_ts = wrapper timestamp, else the argument, else the market's
    (or bookmaker's) last_update. Prices come out American; decimal prices are converted.
    """
    ctx = _Ctx("oddsapi", "event_odds", landing_file)
    table = "raw/prop_lines"
    out = _Collector(ctx, table, ["event_id", "player_lookup", "bookmaker", "snapshot_ts"])
    try:
        found = _events(body)
    except _Bad as bad:
        return ParseResult(rows=_template(table).clear(), rejects=_rejects_frame([ctx.reject(bad)]))
    if found is None:
        rule = "response must be an event, a list of events or a historical wrapper"
        return _file_reject(ctx, table, "data", body, rule)
    events, wrapper_ts = found
    given_ts = wrapper_ts or (_aware_utc("snapshot_ts", snapshot_ts) if snapshot_ts is not None else None)
    for event in events:
        _parse_event(_dict(event), given_ts, ctx, out)
    return out.result()


def _parse_event(event: Mapping[str, Any], given_ts: dt.datetime | None, ctx: _Ctx, out: _Collector) -> None:
    event_id = _opt_str(event.get("id"))
    game_date: dt.date | None = None
    event_error: _Bad | None = None
    commence = home = away = None
    try:
        if event_id is None:
            raise _Bad("id", event.get("id"), "event id is required")
        commence = _utc("commence_time", event.get("commence_time"))
        game_date = commence.astimezone(ET).date()
        home = _team_name("home_team", event.get("home_team"))
        away = _team_name("away_team", event.get("away_team"))
    except _Bad as bad:
        event_error = bad
    n_records = 0
    for book in event.get("bookmakers") or []:
        book = _dict(book)
        book_key = _opt_str(book.get("key")) or "?"
        for market in book.get("markets") or []:
            market = _dict(market)
            if market.get("key") != "player_points":
                continue
            for (name, point), sides in _pair_outcomes(market.get("outcomes") or []).items():
                n_records += 1
                where = {"game_date": game_date, "game_id": event_id, "player": name}
                try:
                    if event_error is not None:
                        raise event_error
                    row = _prop_row(book_key, book, market, name, point, sides, given_ts)
                except _Bad as bad:
                    out.bad(bad, **where)
                    continue
                row |= {
                    "game_date": game_date,
                    "event_id": event_id,
                    "commence_time": commence,
                    "home_team": home,
                    "away_team": away,
                    "minutes_before_tip": (commence - row["snapshot_ts"]).total_seconds() / 60,
                    "landing_file": ctx.landing_file,
                }
                out.add(row, where)
    if event_error is not None and n_records == 0:
        out.bad(event_error, game_date=game_date, game_id=event_id)


def _team_name(field: str, name: Any) -> str:
    try:
        return tricode_from_full_name(name if isinstance(name, str) else "")
    except UnknownTeamError:
        raise _Bad(field, name, "unknown team name") from None


def _pair_outcomes(outcomes: Iterable[Any]) -> dict[tuple[Any, Any], dict[str, list[Any]]]:
    """(description, point) -> {"over": [prices], "under": [prices], "other": [names]}, in file order."""
    pairs: dict[tuple[Any, Any], dict[str, list[Any]]] = {}
    for o in outcomes:
        o = _dict(o)
        desc = o.get("description")
        desc = " ".join(desc.split()) if isinstance(desc, str) else desc
        side = str(o.get("name", "")).strip().casefold()
        slot = pairs.setdefault((desc, o.get("point")), {"over": [], "under": [], "other": []})
        if side in ("over", "under"):
            slot[side].append(o.get("price"))
        else:
            slot["other"].append(o.get("name"))
    return pairs


def _prop_row(
    book_key: str,
    book: Mapping[str, Any],
    market: Mapping[str, Any],
    name: Any,
    point: Any,
    sides: Mapping[str, list[Any]],
    given_ts: dt.datetime | None,
) -> dict[str, Any]:
    pname, lookup = _player(f"{book_key}.description", name)
    if sides["other"]:
        raise _Bad(f"{book_key}.name", sides["other"][0], "outcome name must be Over or Under")
    if point is None:
        raise _Bad(f"{book_key}.point", None, "line is required")
    if isinstance(point, bool) or not isinstance(point, (int, float)) or not MIN_LINE <= point <= MAX_LINE:
        raise _Bad(f"{book_key}.point", point, f"line must be a number {MIN_LINE:g}-{MAX_LINE:g}")
    prices: dict[str, float | None] = {}
    for side in ("over", "under"):
        distinct = list(dict.fromkeys(sides[side]))
        if len(distinct) > 1:
            raise _Bad(f"{book_key}.{side}.price", distinct, "conflicting prices for one outcome")
        if not distinct:
            prices[side] = None
            continue
        american = _american(distinct[0])
        if american is None:
            raise _Bad(f"{book_key}.{side}.price", distinct[0], "price is neither American nor decimal odds")
        prices[side] = american
    ts = given_ts
    if ts is None:
        raw_ts = market.get("last_update") or book.get("last_update")
        if raw_ts is None:
            rule = "snapshot time is unknown (no timestamp or last_update)"
            raise _Bad(f"{book_key}.last_update", None, rule)
        ts = _utc(f"{book_key}.last_update", raw_ts)
    return {
        "player_name": pname,
        "player_lookup": lookup,
        "bookmaker": book_key,
        "market": "player_points",
        "line": float(point),
        "over_price": prices["over"],
        "under_price": prices["under"],
        "snapshot_ts": ts,
    }


# ------------------------------------------------------------------------------------ across fetches
def latest_fetch_wins(frames: list[pl.DataFrame], key: list[str]) -> pl.DataFrame:
    """Concat frames given in fetch order (oldest first) and keep the LAST row per key.

    A later fetch of a game/player replaces an earlier one and a duplicate inside one response
    collapses to one. Sorted by key so re-parsing the same files yields an identical frame.
    """
    if not frames:
        raise ValueError("latest_fetch_wins needs at least one frame (an empty one carries the schema)")
    df = pl.concat(frames, how="vertical")
    latest = df.unique(subset=key, keep="last", maintain_order=True)
    return latest.sort(key, nulls_last=True, maintain_order=True)
