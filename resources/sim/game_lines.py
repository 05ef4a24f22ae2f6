"""The game-lines market: spreads and totals per game and book, set from the teams' expected points.

A team's expected points in a game is the sum of its players' `true_expected_points`, the same
expectations the box scores are sampled from (resources/sim/games.py). Books see the expected total
and the expected home margin with a shared market error per game (sd TOTAL_ERROR_SD = 4.0 points on
the total, MARGIN_ERROR_SD = 2.5 points on the margin) plus their own noise (sd BOOK_SD = 0.5), and the
error shrinks toward tip-off like the props' (market.ERROR_DECAY). Lines are hung on half points.
Snapshots are taken at the props' offsets before tip-off (market.SNAPSHOT_OFFSETS) at every book.
So the lines' value to a points model is a property of this simulation, not a measurement of books.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from resources.sim.config import rng_for
from resources.sim.market import BOOKS, ERROR_DECAY, SNAPSHOT_OFFSETS

TOTAL_ERROR_SD = 4.0
MARGIN_ERROR_SD = 2.5
BOOK_SD = 0.5

GAME_LINE_SCHEMA = {
    "event_id": pl.Utf8, "game_id": pl.Utf8, "game_date": pl.Date, "commence_time": pl.Datetime("us", "UTC"),
    "bookmaker": pl.Utf8, "snapshot_ts": pl.Datetime("us", "UTC"),
    "home_spread": pl.Float64, "home_spread_price": pl.Int64, "away_spread_price": pl.Int64,
    "total": pl.Float64, "over_price": pl.Int64, "under_price": pl.Int64,
}


def _half(x: np.ndarray) -> np.ndarray:
    """To the nearest half point (books hang 224.5 and 224, -3.5 and -3)."""
    return np.rint(x * 2) / 2


def _price(fair: np.ndarray, line: np.ndarray, sign: float) -> np.ndarray:
    """American price near -110, shaded toward the side the book's fair value favours."""
    return np.clip(np.rint((-110 - sign * 10 * (fair - line)) / 5) * 5, -125, -100).astype(np.int64)


def build_game_lines(seed: int, season_year: int, schedule: pl.DataFrame, box: pl.DataFrame) -> pl.DataFrame:
    """One row per (game, book, snapshot) before tip-off (GAME_LINE_SCHEMA), sorted by game and time.

    `schedule` needs game_id, game_date, tipoff_utc and event_id; `box` game_id, home and
    true_expected_points."""
    rng = rng_for(seed, season_year, "game_lines")
    exp = box.group_by("game_id").agg(
        pl.col("true_expected_points").filter(pl.col("home")).sum().alias("home_exp"),
        pl.col("true_expected_points").filter(~pl.col("home")).sum().alias("away_exp"),
    )
    games = schedule.select("game_id", "game_date", "tipoff_utc", "event_id").join(exp, on="game_id").sort("game_id")
    n, nb, ns = games.height, len(BOOKS), len(SNAPSHOT_OFFSETS)
    total_true = (games["home_exp"] + games["away_exp"]).to_numpy()
    margin_true = (games["home_exp"] - games["away_exp"]).to_numpy()
    decay = ERROR_DECAY[None, None, :]
    total_fair = total_true[:, None, None] + (rng.normal(0, TOTAL_ERROR_SD, n)[:, None, None] * decay
                                             + rng.normal(0, BOOK_SD, (n, nb, ns)))
    margin_fair = margin_true[:, None, None] + (rng.normal(0, MARGIN_ERROR_SD, n)[:, None, None] * decay
                                               + rng.normal(0, BOOK_SD, (n, nb, ns)))
    total = _half(total_fair)
    home_spread = _half(-margin_fair)  # the home side's points: -5.5 when home is favoured by 5.5
    i_g, i_b, i_s = (a.ravel() for a in np.indices((n, nb, ns)))
    offsets_us = np.array([int(o.total_seconds()) * 1_000_000 for o in SNAPSHOT_OFFSETS])
    tip_us = games["tipoff_utc"].dt.epoch("us").to_numpy()
    base = games.select("event_id", "game_id", "game_date", commence_time="tipoff_utc")[i_g]
    return base.with_columns(
        bookmaker=pl.Series(np.array(BOOKS, dtype=object)[i_b], dtype=pl.Utf8),
        snapshot_ts=pl.Series(tip_us[i_g] - offsets_us[i_s]).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        home_spread=pl.Series(home_spread[i_g, i_b, i_s]),
        home_spread_price=pl.Series(_price(-margin_fair, home_spread, -1.0)[i_g, i_b, i_s]),
        away_spread_price=pl.Series(_price(-margin_fair, home_spread, 1.0)[i_g, i_b, i_s]),
        total=pl.Series(total[i_g, i_b, i_s]),
        over_price=pl.Series(_price(total_fair, total, 1.0)[i_g, i_b, i_s]),
        under_price=pl.Series(_price(total_fair, total, -1.0)[i_g, i_b, i_s]),
    ).select(list(GAME_LINE_SCHEMA)).sort(["game_id", "snapshot_ts", "bookmaker"])
