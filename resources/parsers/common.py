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
DNP row: dnp=True and every stat 0 (null stats become 0).

Minutes rule (MINUTES_MISSING_RULE): minutes 0 WITH stats is kept only as a cameo, an appearance of
under 30 seconds that the feeds round down to "0"/"00": at most CAMEO_MAX_POINTS points and
CAMEO_MAX_EVENTS box events (FGA + FTA + REB + AST + STL + BLK + TOV), about a possession at each end.
It is validated like any played row (dnp=False, minutes 0.0; features count only minutes > 0 as a
played game). A zero-minute line with more (the finding: 41 points on "" minutes) has lost its
minutes, not played seconds: it is rejected by name, never stored with 0 minutes. The player-game
summary then uses the other source's line when it has the player-game (nba_assets/logic/analytics.py),
which repairs it; when neither has it, the reject is the record of the lost line.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

import polars as pl

from nba_assets import tables
from resources.names import player_lookup as _player_lookup
from resources.parsers.values import _american, parse_minutes, to_american_odds  # noqa: F401 - re-exported
from resources.teams import (
    BY_BDL_ID,
    UnknownTeamError,
    canonical_tricode,
)

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

BOX_TABLE = tables.BDL_BOXSCORES  # both box score tables share BoxscoreContract
MAX_MINUTES = 70.0
MAX_POINTS = 100
MAX_COUNT = 1000  # no count of one stat line comes near; past 2**63 the frame could not be built at all
MAX_ID = 2**63 - 1  # ids are Int64 columns
MAX_SCORE = 250
MIN_LINE, MAX_LINE = 0.5, 80.0
# Rules naming records left out on purpose: known special cases, not faults. The rejects check counts
# them and still passes (nba_assets/raw.py).
EXHIBITION_RULE = "exhibition with a team that is not an NBA franchise (out of scope)"
OUT_OF_SCOPE_RULES = frozenset({EXHIBITION_RULE})
# A genuine appearance of under 30 s (rounded to 0 minutes): a possession or two at each end at most.
CAMEO_MAX_POINTS = 3
CAMEO_MAX_EVENTS = 4
CAMEO_EVENTS = ("fga", "fta", "reb", "ast", "stl", "blk", "tov")
MINUTES_MISSING_RULE = "minutes missing on a line with stats"

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
    if not rejects:  # nearly every response: a copy of one empty frame, not a new one per file
        return _NO_REJECTS.clone()
    return pl.DataFrame(rejects, schema=REJECT_SCHEMA, orient="row")


_NO_REJECTS = pl.DataFrame(schema=REJECT_SCHEMA)


# ------------------------------------------------------------------------------------ value rules
def _count(field: str, label: str, value: Any) -> int:
    """A non-negative integer stat; integral floats (12.0) are accepted, strings and 12.5 are not."""
    if type(value) is int and 0 <= value <= MAX_COUNT:  # the common case first: ~15 times per row
        return value
    if value is None:
        raise _Bad(field, value, f"{label} is required")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(field, value, f"{label} must be an integer")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _Bad(field, value, f"{label} must be an integer")
    if value < 0:
        raise _Bad(field, value, f"{label} must be >= 0")
    if value > MAX_COUNT:
        raise _Bad(field, value, f"{label} must be <= {MAX_COUNT}")
    return int(value)


def _is_zero(value: Any) -> bool:
    return value is None or (not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0)


def _int_id(field: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(field, value, "id must be an integer")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        if not 0 < value <= MAX_ID:
            raise _Bad(field, value, "id must be a positive 64-bit integer")
        return value
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
    if all(type(v) is int and 0 <= v <= MAX_COUNT for v in raw.values()):  # the usual line: _count keeps each as is
        return _box_identities({"minutes": minutes, "dnp": False, **raw}, fields, min_field, raw_min, minutes)
    out: dict[str, Any] = {"minutes": minutes, "dnp": False}
    for col, src in fields.items():
        if raw[col] is None and col != "points":
            raise _Bad(src, None, f"{col} is required for a player who played")
        out[col] = _count(src, col, raw[col])
    return _box_identities(out, fields, min_field, raw_min, minutes)


def _box_identities(out: dict[str, Any], fields: Mapping[str, str], min_field: str, raw_min: Any,
                    minutes: float) -> dict[str, Any]:
    """The rules across a line's counts (points cap, makes <= attempts, scoring identity, cameo)."""
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
    if minutes == 0:
        events = sum(out[c] for c in CAMEO_EVENTS)
        if out["points"] > CAMEO_MAX_POINTS or events > CAMEO_MAX_EVENTS:
            raise _Bad(min_field, raw_min, (
                f"{MINUTES_MISSING_RULE}: {out['points']} points and {events} box events are more than an "
                f"appearance under 30 s (<= {CAMEO_MAX_POINTS} points, <= {CAMEO_MAX_EVENTS} events); "
                "the summary uses the other source's line when it has the player-game"
            ))  # fmt: skip
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
    # A decoded body's objects are plain dicts: skip the slower ABC check for them (runs per outcome).
    return value if type(value) is dict or isinstance(value, Mapping) else {}


# ------------------------------------------------------------------------------ collect and dedupe
class _Collector:
    """Accumulates good rows and rejects; collapses identical duplicates, rejects conflicting ones."""

    def __init__(self, ctx: _Ctx, table: str, key: list[str]) -> None:
        self.ctx, self.table, self.key = ctx, table, key
        self._key_of = itemgetter(*key) if len(key) > 1 else lambda row: tuple(row[c] for c in key)  # runs per row
        self.rows: dict[tuple, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        self.rejects: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any], where: dict[str, Any]) -> None:
        k = self._key_of(row)
        group = self.rows.setdefault(k, [])
        if any(existing == row for existing, _ in group):
            rule = "identical record repeated in one response (kept once)"
            self.duplicates.append(self.ctx.reject(_Bad(",".join(self.key), _short(k), rule), **where))
        else:
            group.append((row, where))

    def bad(self, bad: _Bad, **where: Any) -> None:
        self.rejects.append(self.ctx.reject(bad, **where))

    def items(self, value: Any, field: str, **where: Any) -> list[Any]:
        """A list of records as given; absent is none; anything else is named (its records cannot be
        read) rather than iterated or raised on."""
        if value is None or isinstance(value, list):
            return value or []
        self.bad(_Bad(field, _short(value), f"{field} must be a list"), **where)
        return []

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
        return ParseResult(
            rows=_sorted_frame(good, self.table, self.key),
            rejects=_rejects_frame(self.rejects),
            duplicates=_rejects_frame(self.duplicates),
        )


def _sorted_frame(good: list[dict[str, Any]], table: tables.Table, key: list[str]) -> pl.DataFrame:
    """The good rows as the contract's frame sorted by key (stable).

    A response holds a few dozen rows, so sorting them in Python before building the frame costs less
    than a polars sort per file; the order is the same (keys are str/int/date/datetime, compared as
    polars does, ties keep file order). A key with a null falls back to polars (nulls last).
    """
    template = _template(table)
    if not good:
        return template.clone()
    by = itemgetter(*key)
    presorted = False
    if all(None not in (by(r) if len(key) > 1 else (by(r),)) for r in good):
        try:
            good, presorted = sorted(good, key=by), True
        except TypeError:  # values Python cannot order (a malformed key): polars decides
            pass
    frame = pl.DataFrame(good, schema=_schema(table), orient="row")
    return frame if presorted else frame.sort(key, nulls_last=True, maintain_order=True)


@cache
def _schema(table: tables.Table) -> pl.Schema:
    """The contract frame's schema (DataFrame.schema builds a new one on every access)."""
    return _template(table).schema


@cache
def _template(table: tables.Table) -> pl.DataFrame:
    """The contract's empty frame, built once per table (pandera's to_schema costs ~2 ms a call)."""
    return table.empty()


def _file_reject(ctx: _Ctx, table: tables.Table, field: str, value: Any, rule: str) -> ParseResult:
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
