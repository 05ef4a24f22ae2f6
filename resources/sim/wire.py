"""What the simulated sources share on the wire: hosts, the error type, JSON responses, and the
per-season index the routes answer from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import polars as pl

BDL_HOST = "api.balldontlie.io"
NBA_HOST = "stats.nba.com"
ODDS_HOST = "api.the-odds-api.com"
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


class HttpError(Exception):
    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def iso_z(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_bytes(body: Any) -> bytes:
    """The body as compact UTF-8 JSON, keys in insertion order: same data + same clock => same bytes.

    orjson writes the same bytes as `json.dumps(body, ensure_ascii=False, separators=(",", ":"))` for
    what the sim answers (str keys; str, int, float, bool, None, lists, dicts; tests/unit/test_sim.py
    compares every route's body) about ten times faster (the odds walk alone answers ~7,300 bodies a
    season). What orjson refuses (a non-str key, an integer over 64 bits) goes through the stdlib. One
    difference is kept on purpose: a non-finite float is written as null (JSON has no NaN; the stdlib
    wrote the invalid token NaN); the sim computes none."""
    try:
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = json_bytes(body)
    return httpx.Response(
        status, content=content, headers={"content-type": "application/json", **(headers or {})}
    )


def pct(made: int, att: int) -> float:
    return round(made / att, 3) if att else 0.0


@dataclass
class SeasonIndex:
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
    # event_id -> {(snapshot_ts, bookmaker): rows}, filled on first request (routes_odds.py)
    lines_by_snapshot: dict[str, dict] = field(default_factory=dict)
