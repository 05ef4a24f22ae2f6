"""Recommendation history: every (re)prediction of a game, kept append-only, made at slate refreshes.

Refreshes are tied to each game's tip-off, not to the clock: `morning` (10:00 ET on the game day, after
the day's injury report) and T-3h, T-1h and T-10m before the game's own tip (REFRESH_OFFSETS; the last
one is after the books' final pre-tip move, ~T-15m). A refresh at time `created_at` predicts the game's
players from the day's feature rows with the market and injury inputs as of `created_at` only:
- the consensus line is re-taken from the prop snapshots with snapshot_ts <= created_at (same rule as
  the features: latest pre-tip line per book, median across books), and with it the best offer per
  side; the recommended side's best offer is the pick (pick_book, pick_line, pick_price:
  logic/pricing.py);
- the player's injury status is the latest report with report_ts <= created_at (logic/injuries.py).
Nothing is made at or after tip-off: refreshes are only ever before it, and the contract refuses a row
whose created_at is not.

A refresh appends a row for (game, player, system) only when its recommendation inputs changed since
that key's previous row (line, injury status, model version), so a line that moves twice gives three
rows. Rows already in the history are never rewritten, and a re-run appends only rows after the
(game, system)'s last one: re-running a day reproduces the same rows (idempotent by the key
(game_id, player_lookup, system_id, created_at)). The current recommendation is the latest row per
(game, player, system): `latest`. Grading grades that one, the last made before tip-off.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from io_managers.model_store import TrainedModel
from nba_assets import tables
from nba_assets.logic import features as feature_logic
from nba_assets.logic import injuries, modeling
from nba_assets.logic.pricing import lines_asof
from nba_assets.partitions import TIMEZONE

KEY = ["game_id", "player_lookup", "system_id"]
MORNING_HOUR_ET = 10  # the simulated and real injury reports are published by 10:00 ET
REFRESH_OFFSETS = {"T-3h": dt.timedelta(hours=3), "T-1h": dt.timedelta(hours=1), "T-10m": dt.timedelta(minutes=10)}
# A new history row when one of these differs from the key's previous row.
CHANGE_COLUMNS = ["line", "injury_status", "model_version"]
HISTORY_TABLE = tables.RECOMMENDATION_HISTORY
_UTC = pl.Datetime("us", "UTC")


def refresh_times(games: pl.DataFrame) -> pl.DataFrame:
    """(game_id, game_date, tipoff_utc, refresh, created_at) for every refresh of every game, all before
    tip-off, sorted by time. `games` needs game_id, game_date and tipoff_utc (not null)."""
    if games.filter(pl.col("tipoff_utc").is_null()).height:
        raise ValueError("refresh_times needs a tip-off time for every game")
    morning = (
        (pl.col("game_date").cast(pl.Datetime("us")) + pl.duration(hours=MORNING_HOUR_ET))
        .dt.replace_time_zone(TIMEZONE)
        .dt.convert_time_zone("UTC")
    )
    base = games.select("game_id", "game_date", pl.col("tipoff_utc").cast(_UTC)).unique()
    frames = [base.with_columns(refresh=pl.lit(modeling.REFRESH_MORNING), created_at=morning.cast(_UTC))]
    frames += [
        base.with_columns(refresh=pl.lit(name), created_at=(pl.col("tipoff_utc") - offset).cast(_UTC))
        for name, offset in REFRESH_OFFSETS.items()
    ]
    return (
        pl.concat(frames, how="vertical")
        .filter(pl.col("created_at") < pl.col("tipoff_utc"))
        .unique(["game_id", "created_at"], keep="first", maintain_order=True)
        .sort(["tipoff_utc", "game_id", "created_at"])
    )


def refresh_rows(
    features: pl.DataFrame,
    schedule: pl.DataFrame,
    prop_lines: pl.DataFrame,
    injury_reports: pl.DataFrame,
    now: dt.datetime,
) -> pl.DataFrame:
    """One feature row per (slate player, refresh due by `now`), its line and injury inputs as of the
    refresh (the day's features otherwise)."""
    if features.height == 0:
        return features
    days = features["game_date"].unique().to_list()
    teams = feature_logic.slate_teams(schedule, days).select(
        "game_date", "team", "home_team", "away_team", pl.col("cutoff_utc").alias("tipoff_utc")
    )
    rows = features.join(teams, on=["game_date", "team"], how="inner", validate="m:1")
    games = rows.select("game_id", "game_date", "home_team", "away_team", "tipoff_utc").unique()
    points = refresh_times(games).filter(pl.col("created_at") <= now)
    points = points.join(games.select("game_id", "home_team", "away_team"), on="game_id")
    rows = rows.join(points.select("game_id", "refresh", "created_at"), on="game_id", how="inner")
    lines = lines_asof(prop_lines, points)
    had_line = pl.col("consensus_line").is_not_null().cast(pl.Float64)
    line_weight = 100.0 * feature_logic.QUALITY_WEIGHTS["line"]
    rows = (
        rows.with_columns(_had_line=had_line)
        .drop("consensus_line", "n_books", "line_minus_l10", "line_movement")
        .join(lines, on=["game_id", "created_at", "player_lookup"], how="left")
        .with_columns(
            pl.col("n_books").fill_null(0),
            (pl.col("consensus_line") - pl.col("pts_l10")).alias("line_minus_l10"),
            (pl.col("consensus_line") - pl.col("opening_line")).alias("line_movement"),
            # The features' quality counts a line they saw; count the refresh's own line instead.
            (pl.col("feature_quality_score") + line_weight * (had_line - pl.col("_had_line")))
            .clip(0.0, 100.0)
            .round(1)
            .alias("feature_quality_score"),
        )
        .drop("_had_line", "opening_line")
    )
    return injuries.status_asof(injury_reports, rows)


def conform(stored: pl.DataFrame) -> pl.DataFrame:
    """Stored history rows in the table's schema. A column the contract gained after a day was written
    (the pick columns) is null on that day's rows: a history row is never rewritten (docs/grading.md,
    "An existing lake", says how to rebuild such days)."""
    schema = HISTORY_TABLE.empty().schema
    return stored.with_columns(
        pl.lit(None, dtype=dtype).alias(c) for c, dtype in schema.items() if c not in stored.columns
    ).cast(dict(schema))


def changed_rows(predictions: pl.DataFrame) -> pl.DataFrame:
    """Rows whose CHANGE_COLUMNS differ from the previous row of their key (the first row always)."""
    ordered = predictions.sort([*KEY, "created_at"])
    prev_differs = pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(c).shift(1).over(KEY)) for c in CHANGE_COLUMNS
    )
    first = pl.col("created_at").rank("ordinal").over(KEY) == 1
    return ordered.filter(first | prev_differs)


def append(existing: pl.DataFrame, made: pl.DataFrame) -> pl.DataFrame:
    """The history after a run: every existing row unchanged, plus the rows `made` after the (game,
    system)'s last existing row that change something. Same inputs -> same rows (a re-run appends nothing)."""
    columns = list(HISTORY_TABLE.empty().columns)
    existing = existing.select(columns)
    # A system's refreshes of a game up to its last recorded one have happened: a re-run never adds rows
    # there (a snapshot that arrived late but is dated before such a refresh does not rewrite what it
    # said). A system registered later has no rows yet, so its whole timeline is made (a backtest).
    last = existing.group_by("game_id", "system_id").agg(pl.col("created_at").max().alias("_last"))
    later = (
        made.select(columns)
        .join(last, on=["game_id", "system_id"], how="left")
        .filter(pl.col("_last").is_null() | (pl.col("created_at") > pl.col("_last")))
        .drop("_last")
    )
    combined = changed_rows(pl.concat([existing.with_columns(_old=pl.lit(True)),
                                       later.with_columns(_old=pl.lit(False))], how="vertical"))
    # Existing rows stay even when equal to their predecessor (they were written; history is not edited).
    new = combined.filter(~pl.col("_old")).drop("_old")
    return pl.concat([existing, new], how="vertical").sort([*KEY, "created_at"])


def build_history(
    features: pl.DataFrame,
    schedule: pl.DataFrame,
    prop_lines: pl.DataFrame,
    injury_reports: pl.DataFrame,
    model: TrainedModel | None,
    now: dt.datetime,
    existing: pl.DataFrame | None = None,
    missing: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The day's recommendation history as of `now`: `existing` plus what the refreshes due by `now`
    add (module docstring). `missing`: teams with a hole in their history (STALE_INPUTS, see
    build_predictions)."""
    existing = HISTORY_TABLE.empty() if existing is None else existing
    rows = refresh_rows(features, schedule, prop_lines, injury_reports, now)
    made = modeling.build_predictions(rows, model, missing=missing) if rows.height else HISTORY_TABLE.empty()
    return append(existing, made)


def latest(history: pl.DataFrame) -> pl.DataFrame:
    """The current recommendation: the latest history row per (game, player, system)."""
    columns = list(tables.PLAYER_PROP_PREDICTIONS.empty().columns)
    if history.height == 0:
        return tables.PLAYER_PROP_PREDICTIONS.empty()
    return (
        history.sort([*KEY, "created_at"])
        .group_by(KEY, maintain_order=True)
        .last()
        .select(columns)
        .sort(KEY)
    )
