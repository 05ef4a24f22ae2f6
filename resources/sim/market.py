"""The props market: pre-tip player_points lines at several books, set by a noisy model of the truth.

Books see the true expected points with a shared market error (~7%) plus their own noise; lines drift
toward the truth as tip-off nears. In-game snapshots (a fault) sit after tip-off with the line pulled
toward the actual result: any feature that uses them leaks the answer.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from datetime import timedelta

import numpy as np
import polars as pl

from resources.sim.config import rng_for
from resources.sim.faults import IN_GAME_SNAPSHOT, ZERO_PROP_GAME

BOOKS = ("draftkings", "fanduel", "betmgm", "caesars")
BOOK_TITLES = {"draftkings": "DraftKings", "fanduel": "FanDuel", "betmgm": "BetMGM", "caesars": "Caesars"}
# Books that write "Jr" without the period (both spellings must normalize to the same player_lookup).
JR_NO_PERIOD = {"draftkings", "betmgm"}
SNAPSHOT_OFFSETS = (
    timedelta(hours=36), timedelta(hours=12), timedelta(hours=3), timedelta(hours=1), timedelta(minutes=15)
)
# How much of the market's error survives at each snapshot: lines move toward the truth near tip-off.
ERROR_DECAY = np.array([1.0, 0.85, 0.72, 0.64, 0.6])
MARKET_ERROR_SD = 0.07
POST_P = 0.85
MIN_BOOKS = 3
PROP_ROLES = ("star", "starter", "rotation")

SNAPSHOT_SCHEMA = {
    "event_id": pl.Utf8, "game_id": pl.Utf8, "game_date": pl.Date, "commence_time": pl.Datetime("us", "UTC"),
    "bookmaker": pl.Utf8, "nba_player_id": pl.Int64, "player_name": pl.Utf8,
    "snapshot_ts": pl.Datetime("us", "UTC"),
    "line": pl.Float64, "over_price": pl.Int64, "under_price": pl.Int64, "in_game": pl.Boolean,
}


def event_id(seed: int, game_id: str) -> str:
    """The Odds API's 32-hex event id, stable per (seed, game)."""
    return hashlib.md5(f"nba-props-sim|{seed}|{game_id}".encode()).hexdigest()


@functools.lru_cache(maxsize=8192)
def book_name(name: str, book: str) -> str:
    """How sportsbooks print a name: plain ASCII, and some drop the period of 'Jr.'."""
    ascii_name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    if book in JR_NO_PERIOD and ascii_name.endswith(" Jr."):
        ascii_name = ascii_name[:-1]
    return ascii_name


def _prices(fair: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """American prices near -110, shaded toward the side the book's fair value favours."""
    d = fair - line

    def price(x: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(x / 5) * 5, -125, -105).astype(np.int64)

    return price(-110 - 30 * d), price(-110 + 30 * d)


def build_snapshots(seed: int, season_year: int, schedule: pl.DataFrame, box: pl.DataFrame,
                    faults: pl.DataFrame) -> pl.DataFrame:
    rng = rng_for(seed, season_year, "market")
    zero = set(faults.filter(pl.col("kind") == ZERO_PROP_GAME)["game_id"].to_list())
    # Books post lines for rotation players and up who are not already ruled out.
    cands = (
        box.filter(pl.col("role").is_in(PROP_ROLES) & (pl.col("dnp_reason").fill_null("") != "out")
                   & ~pl.col("game_id").is_in(list(zero)))
        .sort(["game_id", "true_expected_points", "nba_player_id"], descending=[False, True, False])
    )
    games = cands["game_id"].unique(maintain_order=True).to_list()
    n_take = dict(zip(games, rng.integers(6, 11, len(games)).tolist(), strict=True))
    chosen = (
        cands.with_columns(rank=pl.int_range(pl.len()).over("game_id"))
        .filter(pl.col("rank") < pl.col("game_id").replace_strict(n_take, return_dtype=pl.Int64))
        .join(schedule.select("game_id", "tipoff_utc"), on="game_id", maintain_order="left")
    )
    n = chosen.height
    truth = chosen["true_expected_points"].to_numpy()
    err = rng.normal(0, MARKET_ERROR_SD, n)
    posts = rng.random((n, len(BOOKS))) < POST_P
    for i in np.flatnonzero(posts.sum(axis=1) < MIN_BOOKS):
        missing = [b for b in range(len(BOOKS)) if not posts[i, b]]
        for b in rng.permutation(missing)[: MIN_BOOKS - posts[i].sum()]:
            posts[i, b] = True
    bias = rng.normal(0, 0.3, (n, len(BOOKS)))
    whole = rng.random((n, len(BOOKS))) < 0.08  # a few books hang whole-number lines (pushes happen)
    jitter = rng.normal(0, 0.12, (n, len(BOOKS), len(SNAPSHOT_OFFSETS)))
    fair = (truth * (1 + err))[:, None, None] * np.ones((1, len(BOOKS), len(SNAPSHOT_OFFSETS)))
    fair = truth[:, None, None] + (fair - truth[:, None, None]) * ERROR_DECAY[None, None, :]
    fair = np.maximum(fair + bias[:, :, None] + jitter, 0.6)
    line = np.where(whole[:, :, None], np.maximum(np.rint(fair), 1.0), np.floor(fair) + 0.5)
    over, under = _prices(fair, line)

    idx_p, idx_b, idx_s = np.nonzero(np.broadcast_to(posts[:, :, None], fair.shape))
    names = chosen["player_name"].to_list()
    book_names = np.array([[book_name(nm, b) for b in BOOKS] for nm in names], dtype=object)
    book_names = book_names.reshape(-1, len(BOOKS))
    offset_us = np.array([int(o.total_seconds()) * 1_000_000 for o in SNAPSHOT_OFFSETS])
    tip_us = chosen["tipoff_utc"].dt.epoch("us").to_numpy()
    frame = chosen.select(
        event_id=pl.col("game_id").map_elements(lambda g: event_id(seed, g), return_dtype=pl.Utf8),
        game_id="game_id",
        game_date="game_date",
        commence_time="tipoff_utc",
        nba_player_id="nba_player_id",
        points="points",
    )[idx_p]
    frame = frame.with_columns(
        bookmaker=pl.Series(np.array(BOOKS, dtype=object)[idx_b], dtype=pl.Utf8),
        player_name=pl.Series(book_names[idx_p, idx_b], dtype=pl.Utf8),
        snapshot_ts=pl.Series(tip_us[idx_p] - offset_us[idx_s])
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC"),
        line=pl.Series(line[idx_p, idx_b, idx_s]),
        over_price=pl.Series(over[idx_p, idx_b, idx_s]),
        under_price=pl.Series(under[idx_p, idx_b, idx_s]),
        fair=pl.Series(fair[idx_p, idx_b, idx_s]),
        in_game=pl.lit(False),
    )
    late = faults.filter(pl.col("kind") == IN_GAME_SNAPSHOT).select("game_id", snap=pl.col("release_ts"))
    if late.height:
        last = frame.filter(pl.col("game_id").is_in(late["game_id"].implode())).sort("snapshot_ts").group_by(
            "game_id", "nba_player_id", "bookmaker", maintain_order=True
        ).last()
        pulled = 0.35 * last["fair"].to_numpy() + 0.65 * last["points"].to_numpy()
        ingame = last.join(late, on="game_id").with_columns(
            snapshot_ts=pl.col("snap"),
            line=pl.Series(np.floor(np.maximum(pulled, 0.6)) + 0.5),
            over_price=pl.lit(-110, dtype=pl.Int64),
            under_price=pl.lit(-110, dtype=pl.Int64),
            in_game=pl.lit(True),
        ).drop("snap")
        frame = pl.concat([frame, ingame.select(frame.columns)])
    return frame.select(list(SNAPSHOT_SCHEMA)).sort(["game_id", "snapshot_ts", "bookmaker", "nba_player_id"])
