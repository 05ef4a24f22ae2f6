"""Game-line features: what the spread and total say about a team's points, as of the prediction time.

Per (game_date, team) on D's slate, from raw/game_lines:
- Only snapshots taken before the game's prediction time count: tip-off - PREDICTION_LEAD (the last
  slate refresh, T-10m, whose recommendation is the one graded; noon ET - PREDICTION_LEAD when the
  tip-off is unknown), before the event's commence_time and with minutes_before_tip > 0. A snapshot
  after the prediction time is never used, in-game ones even less (tests/unit/test_game_line_features.py).
- Per book the latest such spread and total (each market on its own: a book may skip one), then the
  median across books; the opening is the median of each book's earliest one.
- team_spread: the team's own points in the spread (home: the home point; away: its negative), so
  -5.5 means favoured by 5.5. implied_team_total = total / 2 - team_spread / 2 (a 220 total with the
  home side -5.5 gives home 112.75, away 107.25).
- *_movement: latest minus opening (both before the prediction time); null while every book has
  one snapshot only (nothing measurable has moved yet).
- A slate refresh (logic/history.py) re-takes them as of its own time, like the prop line: the 10:00 ET
  prediction sees only the lines out by 10:00 ET.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from nba_assets.history import TIMEZONE

PREDICTION_LEAD = dt.timedelta(minutes=10)  # = the T-10m refresh (logic/history.py REFRESH_OFFSETS)
NOON_ET = 12
COLUMNS = ["implied_team_total", "team_spread", "implied_team_total_movement", "team_spread_movement"]
_GAME = ["game_date", "home_team", "away_team"]
_UTC = pl.Datetime("us", "UTC")


def prediction_time() -> pl.Expr:
    """The game's prediction time: tip-off (noon ET when unknown) minus PREDICTION_LEAD."""
    noon = ((pl.col("game_date").cast(pl.Datetime("us")) + pl.duration(hours=NOON_ET))
            .dt.replace_time_zone(TIMEZONE).dt.convert_time_zone("UTC"))
    return (pl.coalesce(pl.col("tipoff_utc").cast(_UTC), noon.cast(_UTC)) - PREDICTION_LEAD).alias("predict_at")


def _per_book(lines: pl.DataFrame, column: str, by: list[str]) -> pl.DataFrame:
    return (
        lines.filter(pl.col(column).is_not_null())
        .sort([*by, "bookmaker", "snapshot_ts"])
        .group_by([*by, "bookmaker"], maintain_order=True)
        .agg(pl.col(column).last().alias("latest"), pl.col(column).first().alias("opening"),
             pl.col("snapshot_ts").n_unique().alias("snaps"))
        .group_by(by)
        .agg(pl.col("latest").median().alias(column),
             # One snapshot per book: nothing has moved yet that could be measured (null, not 0).
             pl.when(pl.col("snaps").max() > 1).then(pl.col("opening").median()).alias(f"{column}_open"))
    )


def game_consensus(game_lines: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Per (game_date, home_team, away_team, predict_at) of `points`: consensus and opening home_spread
    and total from the snapshots taken at or before predict_at (and before tip-off)."""
    by = [*_GAME, "predict_at"]
    points = points.select(by).unique()
    usable = game_lines.join(points, on=_GAME, how="inner").filter(
        (pl.col("snapshot_ts") <= pl.col("predict_at"))
        & (pl.col("snapshot_ts") < pl.col("commence_time"))
        & (pl.col("minutes_before_tip") > 0)
    )
    spread, total = _per_book(usable, "home_spread", by), _per_book(usable, "total", by)
    return points.join(spread, on=by, how="left").join(total, on=by, how="left")


def add_game_lines(rows: pl.DataFrame, game_lines: pl.DataFrame, teams: pl.DataFrame | None = None) -> pl.DataFrame:
    """rows (game_date, home_team, away_team, home per player) with the COLUMNS, null without a line.

    As of each row's `predict_at` when it has one (a refresh's created_at), else of its game's
    prediction time from `teams` (game_date, home_team, away_team, tipoff_utc)."""
    own = "predict_at" in rows.columns
    if not own:
        times = teams.select(*_GAME, "tipoff_utc").unique(subset=_GAME, keep="first", maintain_order=True)
        rows = rows.join(times.with_columns(prediction_time()).drop("tipoff_utc"), on=_GAME, how="left")
    rows = rows.drop([c for c in COLUMNS if c in rows.columns])
    games = game_consensus(game_lines, rows)
    side = pl.when(pl.col("home")).then(1.0).otherwise(-1.0)
    itt = pl.col("total") / 2 - side * pl.col("home_spread") / 2
    itt_open = pl.col("total_open") / 2 - side * pl.col("home_spread_open") / 2
    out = rows.join(games, on=[*_GAME, "predict_at"], how="left").with_columns(
        itt.alias("implied_team_total"),
        (side * pl.col("home_spread")).alias("team_spread"),
        (itt - itt_open).alias("implied_team_total_movement"),
        (side * (pl.col("home_spread") - pl.col("home_spread_open"))).alias("team_spread_movement"),
    ).drop("home_spread", "home_spread_open", "total", "total_open")
    return out if own else out.drop("predict_at")
