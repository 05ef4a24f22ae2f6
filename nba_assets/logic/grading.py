"""Grading: each prediction against what the player scored, and per-system daily performance.

Outcome rules (docs/data.md, grading), first match wins:
  1. no line                      -> NO_LINE  (errors computed when the player played)
  2. no actual row, or DNP        -> VOID     (errors and actual_points null)
  3. recommendation PASS          -> PASS     (errors computed; never counts for hit rate)
  4. actual == bet line           -> PUSH
  5. OVER and actual > bet line, or UNDER and actual < bet line -> WIN, else LOSS
The bet line is the pick's line (the best offer for the side when the recommendation was made,
logic/pricing.py), else the consensus line. Profit is at the pick's price (1 unit, push 0), CLV is the
pick line against the closing line (the last pre-tip consensus), positive = good for the side taken.
"""

from __future__ import annotations

import polars as pl

from nba_assets import tables
from nba_assets.logic import pricing

GRADES_TABLE = tables.PREDICTION_GRADES
PERFORMANCE_TABLE = tables.SYSTEM_DAILY_PERFORMANCE
KEYS = ["game_id", "player_lookup"]
WIN_PAYOUT = 100.0 / 110.0  # profit per unit staked on a winning -110 bet
# What grading reads (readers of whole seasons select only these): of a prediction, the grade's own
# columns that grading does not compute; of player_game_summary, the facts; of games, finality.
GRADED_PREDICTION_COLUMNS = [
    "game_id", "game_date", "player_lookup", "system_id", "predicted_points", "line", "recommendation", "p_over",
    "pick_book", "pick_line", "pick_price", "refresh", "created_at",
]
ACTUAL_COLUMNS = [*KEYS, "dnp", "points", "minutes"]
FINAL_GAME_COLUMNS = ["game_id", "status", "has_bdl_boxscore", "has_nbacom_boxscore"]
# What the closing line needs: of games, where and when; of prop_lines, the snapshots.
CLOSING_GAME_COLUMNS = ["game_id", "game_date", "home_team", "away_team", "tipoff_utc"]
CLOSING_LINE_COLUMNS = [
    "game_date", "home_team", "away_team", "player_lookup", "bookmaker", "line", "over_price", "under_price",
    "snapshot_ts", "commence_time", "minutes_before_tip",
]


def final_games(games: pl.DataFrame) -> pl.DataFrame:
    """game_id of finished games with a boxscore from either source: the only ones graded. A player
    missing from a game not yet played, or whose boxscore is late, is not a VOID."""
    return games.filter(
        (pl.col("status") == 3) & (pl.col("has_bdl_boxscore") | pl.col("has_nbacom_boxscore"))
    ).select("game_id")


def grade_predictions(
    predictions: pl.DataFrame, actuals: pl.DataFrame, closing: pl.DataFrame | None = None
) -> pl.DataFrame:
    """PredictionGradeContract rows: one per prediction, graded against player_game_summary.
    `closing`: pricing.closing_lines of the games (None: no closing line, no CLV)."""
    if predictions.height == 0:
        return GRADES_TABLE.empty()
    if closing is None:
        closing = pl.DataFrame(schema={"game_id": pl.Utf8, "player_lookup": pl.Utf8, "closing_line": pl.Float64})
    predictions = predictions.join(closing, on=KEYS, how="left", validate="m:1")
    facts = actuals.select(
        *KEYS,
        pl.lit(True).alias("_has_actual"),
        pl.col("dnp").alias("_dnp"),
        pl.col("points").cast(pl.Int64).alias("_points"),
        pl.col("minutes").cast(pl.Float64).alias("actual_minutes"),
    )
    # m:1 fails loudly on duplicate actuals instead of silently doubling grades (lesson 1, docs/architecture.md).
    joined = predictions.join(facts, on=KEYS, how="left", validate="m:1")
    played = pl.col("_has_actual").fill_null(False) & ~pl.col("_dnp").fill_null(True)
    actual = pl.when(played).then(pl.col("_points"))
    line, rec = pl.coalesce("pick_line", "line"), pl.col("recommendation")
    outcome = (
        pl.when(line.is_null())
        .then(pl.lit("NO_LINE"))
        .when(~played)
        .then(pl.lit("VOID"))
        .when(rec == "PASS")
        .then(pl.lit("PASS"))
        .when(actual.cast(pl.Float64) == line)
        .then(pl.lit("PUSH"))
        .when(((rec == "OVER") & (actual > line)) | ((rec == "UNDER") & (actual < line)))
        .then(pl.lit("WIN"))
        .otherwise(pl.lit("LOSS"))
    )
    signed = pl.col("predicted_points") - actual.cast(pl.Float64)
    graded = joined.with_columns(
        actual_points=actual,
        outcome=outcome,
        signed_error=signed,
        absolute_error=signed.abs(),
        clv=pricing.clv_expr(),
    ).with_columns(profit_units=pricing.profit_expr())
    columns = list(GRADES_TABLE.empty().columns)
    return graded.select(columns).sort(["game_date", "game_id", "player_lookup", "system_id"])


def _rate(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num.cast(pl.Float64) / den.cast(pl.Float64))


def daily_performance(grades: pl.DataFrame) -> pl.DataFrame:
    """SystemDailyPerformanceContract rows: one per (game_date, system_id) present in grades.

    coverage = share of predictions with a line; MAE/bias over rows where the player played;
    hit_rate = wins / (wins + losses) (pushes excluded); roi_at_110: those bets at -110; roi: profit at
    the price taken per priced bet (WIN + LOSS with a price; a priced push adds 0 profit); clv: mean CLV
    of the graded bets with a closing line; Brier of p_over vs (actual > line) over rows with line, actual and p_over, pushes excluded.
    """
    if grades.height == 0:
        return PERFORMANCE_TABLE.empty()
    out = pl.col("outcome")
    win, loss = out == "WIN", out == "LOSS"
    over, under = pl.col("recommendation") == "OVER", pl.col("recommendation") == "UNDER"
    actual, line, p = pl.col("actual_points").cast(pl.Float64), pl.col("line"), pl.col("p_over")
    brier_rows = actual.is_not_null() & line.is_not_null() & p.is_not_null() & (actual != line)
    went_over = (actual > line).cast(pl.Float64)
    perf = (
        grades.group_by("game_date", "system_id")
        .agg(
            n_predictions=pl.len().cast(pl.Int64),
            n_graded=out.is_in(["WIN", "LOSS", "PUSH"]).sum().cast(pl.Int64),
            coverage=line.is_not_null().mean(),
            mae=pl.col("absolute_error").mean(),
            bias=pl.col("signed_error").mean(),
            wins=win.sum().cast(pl.Int64),
            losses=loss.sum().cast(pl.Int64),
            pushes=(out == "PUSH").sum().cast(pl.Int64),
            _over_w=(win & over).sum(),
            _over_n=((win | loss) & over).sum(),
            _under_w=(win & under).sum(),
            _under_n=((win | loss) & under).sum(),
            brier=((p - went_over) ** 2).filter(brier_rows).mean(),
            priced_bets=((win | loss) & pl.col("pick_price").is_not_null()).sum().cast(pl.Int64),
            profit_units=pl.col("profit_units").fill_null(0.0).sum().round(4),
            clv_bets=(out.is_in(["WIN", "LOSS", "PUSH"]) & pl.col("clv").is_not_null()).sum().cast(pl.Int64),
            clv=pl.col("clv").filter(out.is_in(["WIN", "LOSS", "PUSH"])).mean(),
        )
        .with_columns(
            hit_rate=_rate(pl.col("wins"), pl.col("wins") + pl.col("losses")),
            over_hit_rate=_rate(pl.col("_over_w"), pl.col("_over_n")),
            under_hit_rate=_rate(pl.col("_under_w"), pl.col("_under_n")),
            roi_at_110=_rate(
                pl.col("wins") * WIN_PAYOUT - pl.col("losses"), pl.col("wins") + pl.col("losses")
            ),
            roi=_rate(pl.col("profit_units"), pl.col("priced_bets")),
        )
    )
    columns = list(PERFORMANCE_TABLE.empty().columns)
    return perf.select(columns).sort(["game_date", "system_id"])
