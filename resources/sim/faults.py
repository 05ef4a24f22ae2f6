"""Fault injection: which games, dates and rows misbehave, picked deterministically from the seed.

Faults are spread over the season (one per equal slice of the schedule) and recorded in one frame,
so tests and benchmarks can check every fault is caught, and the transport can look them up.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from resources.sim.config import FaultConfig, rng_for

LATE_BOXSCORE = "late_boxscore"
ZERO_PROP_GAME = "zero_prop_game"
DUPLICATE_ROW = "duplicate_row"
RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
PAGINATION_FAILURE = "pagination_failure"
MALFORMED_RECORD = "malformed_record"
STAT_CORRECTION = "stat_correction"
IN_GAME_SNAPSHOT = "in_game_snapshot"
# Operator-injected, not seeded (control.py): one source answers 503 to every request for a window of
# sim time, e.g. a whole day. The day must go through on the other source and reconcile afterwards.
SOURCE_OUTAGE = "source_outage"
KINDS = (
    LATE_BOXSCORE, ZERO_PROP_GAME, DUPLICATE_ROW, RATE_LIMIT, SERVER_ERROR, PAGINATION_FAILURE,
    MALFORMED_RECORD, STAT_CORRECTION, IN_GAME_SNAPSHOT,
)
# Endpoints whose (endpoint, date) can answer a transient 429/503.
TRANSIENT_ENDPOINTS = (
    "bdl/box_scores", "bdl/stats", "bdl/games", "nbacom/leaguegamelog",
    "oddsapi/event_odds", "oddsapi/historical_event_odds",
)
MALFORMED_VARIANTS = ("bdl_pts_null", "bdl_min_abc", "bdl_team_PHO", "nbacom_pts_null")
GAME_LENGTH = timedelta(hours=2, minutes=30)  # tip-off to final
PAGINATION_FAIL_PAGE = 2
PAGINATION_FAIL_TIMES = 6
SERVER_ERROR_TIMES = 2

FAULT_SCHEMA = {
    "kind": pl.Utf8,
    "game_date": pl.Date,
    "game_id": pl.Utf8,
    "bdl_game_id": pl.Int64,
    "player_name": pl.Utf8,
    "nba_player_id": pl.Int64,
    "detail": pl.Utf8,
    "release_ts": pl.Datetime("us", "UTC"),
}


def _spread(rng: np.random.Generator, n_items: int, k: int) -> list[int]:
    """k indices into range(n_items), one per equal slice, so faults cover the whole season."""
    if k <= 0 or n_items == 0:
        return []
    edges = np.linspace(0, n_items, k + 1).astype(int)
    return [int(rng.integers(lo, max(hi, lo + 1))) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


def pick_faults(
    seed: int, season_year: int, schedule: pl.DataFrame, box: pl.DataFrame, cfg: FaultConfig
) -> pl.DataFrame:
    """One row per injected fault (see FaultConfig for what each kind does)."""
    rng = rng_for(seed, season_year, "faults")
    games = schedule.sort("game_id").rows(named=True)
    used: set[str] = set()
    rows: list[dict] = []
    played = box.filter(~pl.col("dnp") & (pl.col("minutes") >= 10))

    def row(kind: str, g: dict, detail: str, player: dict | None = None, release=None) -> dict:
        return {
            "kind": kind, "game_date": g["game_date"], "game_id": g["game_id"],
            "bdl_game_id": g["bdl_game_id"],
            "player_name": player["player_name"] if player else None,
            "nba_player_id": player["nba_player_id"] if player else None,
            "detail": detail, "release_ts": release,
        }

    def pick_game(i: int, team: str | None = None) -> dict:
        # Nearest unused game from slice position i (optionally one a given team plays in).
        for step in range(len(games)):
            for j in (i + step, i - step):
                if 0 <= j < len(games):
                    g = games[j]
                    if g["game_id"] in used or (team and team not in (g["home_team"], g["away_team"])):
                        continue
                    used.add(g["game_id"])
                    return g
        raise RuntimeError("not enough games to place faults")

    def pick_player(g: dict, team: str | None = None) -> dict:
        cand = played.filter(pl.col("game_id") == g["game_id"])
        if team:
            cand = cand.filter(pl.col("team") == team)
        cand = cand.sort("nba_player_id")
        return cand.row(int(rng.integers(cand.height)), named=True)

    final = {g["game_id"]: g["tipoff_utc"] + GAME_LENGTH for g in games}
    for i in _spread(rng, len(games), cfg.late_boxscores):
        g = pick_game(i)
        hours = float(rng.uniform(6, 60))
        rel = final[g["game_id"]] + timedelta(minutes=round(hours * 60))
        rows.append(row(LATE_BOXSCORE, g, f"boxscore released {hours:.1f} h after the final", release=rel))
    for i in _spread(rng, len(games), cfg.zero_prop_games):
        rows.append(row(ZERO_PROP_GAME, pick_game(i), "no player_points market at any book"))
    for i in _spread(rng, len(games), cfg.duplicate_rows):
        g = pick_game(i)
        detail = "row repeated in bdl/stats and nbacom/leaguegamelog"
        rows.append(row(DUPLICATE_ROW, g, detail, pick_player(g)))
    for k, i in enumerate(_spread(rng, len(games), cfg.malformed_records)):
        variant = MALFORMED_VARIANTS[k % len(MALFORMED_VARIANTS)]
        team = "PHX" if variant == "bdl_team_PHO" else None
        g = pick_game(i, team)
        rows.append(row(MALFORMED_RECORD, g, variant, pick_player(g, team)))
    for i in _spread(rng, len(games), cfg.stat_corrections):
        g = pick_game(i)
        hours = float(rng.uniform(24, 72))
        rel = final[g["game_id"]] + timedelta(minutes=round(hours * 60))
        rows.append(row(STAT_CORRECTION, g, "nbacom row +1 FGM/FGA, +2 PTS", pick_player(g), rel))
    zero = {r["game_id"] for r in rows if r["kind"] == ZERO_PROP_GAME}
    for i in _spread(rng, len(games), cfg.in_game_snapshots):
        g = pick_game(i)
        if g["game_id"] in zero:
            continue
        minutes = int(rng.integers(30, 91))
        rel = g["tipoff_utc"] + timedelta(minutes=minutes)
        rows.append(row(IN_GAME_SNAPSHOT, g, f"snapshot {minutes} min after tip-off", release=rel))
    # Transient faults are per (endpoint, date); several may share a date, never an endpoint+date.
    per_date = schedule.group_by("game_date").agg(pl.col("game_id").min(), pl.len())
    dates = per_date.sort("game_date").rows(named=True)
    first_game = {g["game_id"]: g for g in games}
    taken: set[tuple[str, object]] = set()
    for kind, n in ((RATE_LIMIT, cfg.rate_limits), (SERVER_ERROR, cfg.server_errors)):
        for k, i in enumerate(_spread(rng, len(dates), n)):
            endpoint = TRANSIENT_ENDPOINTS[(k + (kind == SERVER_ERROR)) % len(TRANSIENT_ENDPOINTS)]
            while (endpoint, dates[i]["game_date"]) in taken:
                i = (i + 1) % len(dates)
            taken.add((endpoint, dates[i]["game_date"]))
            rows.append(row(kind, first_game[dates[i]["game_id"]], endpoint))
    busy = [d for d in dates if d["len"] >= 5]
    for i in _spread(rng, len(busy), cfg.pagination_failures):
        g = first_game[busy[i]["game_id"]]
        rows.append(row(PAGINATION_FAILURE, g, f"bdl/stats page={PAGINATION_FAIL_PAGE}"))
    return pl.DataFrame(rows, schema=FAULT_SCHEMA).sort(["game_date", "kind", "game_id"])
