"""The endpoints the fuzz harness mutates: a real response of each, its parser, and its records.

A *unit* is what one mutation touches and what the assertions account for: a player line (box scores,
stats, game log), a game (schedule), an injury, one book's lines of one player (odds: Over and Under,
every rung of a ladder). `ident` names a unit the way a reject row names a record: (game id, player) as
they stand in the raw response, read without the parsers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from nba_assets import tables
from resources import parsers as P
from tests.conftest import FIXTURES

Path_ = tuple[Any, ...]  # keys and indices from the body to a record
Ident = tuple[str | None, str | None]


@dataclass(frozen=True)
class Unit:
    ident: Ident
    records: tuple[Path_, ...]  # the records (dicts or rowSet lists) that make it up
    group: Path_ | None = None  # a record every line of a game shares (a box score game), if any


@dataclass(frozen=True)
class Endpoint:
    name: str
    fixture: str
    parse: Callable[[Any], P.ParseResult]
    table: tables.Table
    units: Callable[[Any], list[Unit]]
    row_ident: Callable[[dict[str, Any]], Ident]
    containers: Callable[[Any], list[Path_]]  # lists of records (drop / duplicate / reorder / truncate)

    def body(self) -> Any:
        return json.loads((FIXTURES / self.fixture).read_text(encoding="utf-8"))


def get(body: Any, path: Path_) -> Any:
    for p in path:
        body = body[p]
    return body


def _name(player: Any) -> str | None:
    if not isinstance(player, dict):
        return None
    parts = [player.get("first_name"), player.get("last_name")]
    return " ".join(p for p in parts if isinstance(p, str) and p.strip()) or None


def _sid(value: Any) -> str | None:
    return None if value is None else str(value)


# ----------------------------------------------------------------------------------- Ball Don't Lie
def _box_units(body: Any) -> list[Unit]:
    out = []
    for gi, g in enumerate(body["data"]):
        for side in ("home_team", "visitor_team"):
            for pi, line in enumerate(g[side]["players"]):
                out.append(Unit((_sid(g.get("id")), _name(line.get("player"))),
                                (("data", gi, side, "players", pi),), group=("data", gi)))
    return out


def _box_containers(body: Any) -> list[Path_]:
    return [("data",)] + [("data", gi, side, "players") for gi in range(len(body["data"]))
                          for side in ("home_team", "visitor_team")]


def _stats_units(body: Any) -> list[Unit]:
    return [Unit((_sid((line.get("game") or {}).get("id")), _name(line.get("player"))), (("data", i),))
            for i, line in enumerate(body["data"])]


def _injury_units(body: Any) -> list[Unit]:
    return [Unit((None, _name(item.get("player"))), (("data", i),)) for i, item in enumerate(body["data"])]


def _box_row_ident(row: dict[str, Any]) -> Ident:
    return (row["source_game_id"], row["player_name"])


INJURY_TS = dt.datetime(2025, 10, 1, 14, tzinfo=dt.UTC)

# ------------------------------------------------------------------------------------------- NBA.com
GAMELOG_ROWS: Path_ = ("resultSets", 0, "rowSet")


def _gamelog_units(body: Any) -> list[Unit]:
    headers = get(body, ("resultSets", 0, "headers"))
    gi, ni = headers.index("GAME_ID"), headers.index("PLAYER_NAME")
    return [Unit((_sid(r[gi]), r[ni]), ((*GAMELOG_ROWS, i),)) for i, r in enumerate(get(body, GAMELOG_ROWS))]


def _schedule_games(body: Any) -> list[Path_]:
    days = body["leagueSchedule"]["gameDates"]
    return [("leagueSchedule", "gameDates", di, "games", gi)
            for di, day in enumerate(days) for gi in range(len(day["games"]))]


def _schedule_units(body: Any) -> list[Unit]:
    return [Unit((_sid(get(body, p).get("gameId")), None), (p,)) for p in _schedule_games(body)]


def _schedule_containers(body: Any) -> list[Path_]:
    days = body["leagueSchedule"]["gameDates"]
    return [("leagueSchedule", "gameDates")] + [("leagueSchedule", "gameDates", di, "games")
                                                for di in range(len(days))]


# ------------------------------------------------------------------------------------- The Odds API
def _odds_outcomes(body: Any) -> list[tuple[int, Path_]]:
    out = []
    for bi, book in enumerate(body["bookmakers"]):
        for mi, market in enumerate(book["markets"]):
            for oi in range(len(market["outcomes"])):
                out.append((bi, ("bookmakers", bi, "markets", mi, "outcomes", oi)))
    return out


def _odds_units(body: Any) -> list[Unit]:
    by: dict[tuple[int, str], list[Path_]] = {}
    for bi, path in _odds_outcomes(body):
        by.setdefault((bi, get(body, path).get("description")), []).append(path)
    # ident: (event id, "book/player"), matched against rows and against rejects' player
    return [Unit((body["id"], f"{body['bookmakers'][bi]['key']}/{name}"), tuple(paths))
            for (bi, name), paths in by.items()]


def _odds_row_ident(row: dict[str, Any]) -> Ident:
    return (row["event_id"], f"{row['bookmaker']}/{row['player_name']}")


def _odds_containers(body: Any) -> list[Path_]:
    return [("bookmakers",)] + [("bookmakers", bi, "markets", mi, "outcomes")
                                for bi, book in enumerate(body["bookmakers"])
                                for mi in range(len(book["markets"]))]


ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in [
    Endpoint("bdl_box_scores", "bdl/box_scores_2026-01-09.json",
             lambda b: P.parse_bdl_box_scores(b, "box.json"), tables.BDL_BOXSCORES,
             _box_units, _box_row_ident, _box_containers),
    Endpoint("bdl_stats", "bdl/stats_2025-06-22_finals_game7.json",
             lambda b: P.parse_bdl_stats(b, "stats.json"), tables.BDL_BOXSCORES,
             _stats_units, _box_row_ident, lambda b: [("data",)]),
    Endpoint("bdl_injuries", "bdl/injuries_sample.json",
             lambda b: P.parse_bdl_injuries(b, "inj.json", report_ts=INJURY_TS, game_date=INJURY_TS.date()),
             tables.INJURIES, _injury_units, lambda r: (None, r["player_name"]), lambda b: [("data",)]),
    Endpoint("nbacom_leaguegamelog", "nbacom/leaguegamelog_2026-01-09_handmade.json",
             lambda b: P.parse_nbacom_leaguegamelog(b, "log.json"), tables.NBACOM_BOXSCORES,
             _gamelog_units, _box_row_ident, lambda b: [GAMELOG_ROWS]),
    Endpoint("nbacom_schedule", "nbacom/schedule_cdn_2025-26_excerpt.json",
             lambda b: P.parse_nbacom_schedule(b, "schedule.json"), tables.SCHEDULE,
             _schedule_units, lambda r: (r["game_id"], None), _schedule_containers),
    Endpoint("odds_event_odds", "oddsapi/event_odds_2024-02-22_ORL_at_CLE.json",
             lambda b: P.parse_odds_event_odds(b, "odds.json"), tables.PROP_LINES,
             _odds_units, _odds_row_ident, _odds_containers),
]}


def reject_idents(frame: pl.DataFrame, endpoint: Endpoint) -> set[Ident]:
    """How the reject (or duplicate) rows name their records, in the units' terms."""
    out = set()
    for r in frame.iter_rows(named=True):
        if endpoint.name == "odds_event_odds":
            book = (r["field"] or "").split(".")[0]
            out.add((r["source_game_id"], f"{book}/{r['player']}"))
        else:
            out.add((r["source_game_id"], r["player"]))
    return out
