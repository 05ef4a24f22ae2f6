"""The best-bets selection rule and which system backs a pick (docs/exports.md, "Best bets").

Rule, applied to the champion's picks of a day, in this order:
  1. a side (OVER/UNDER) on a line: PASS, NO_LINE and gated injuries never qualify;
  2. edge = |predicted_points - line| of at least MIN_EDGE points;
  3. the probability of the side (p_over for OVER, 1 - p_over for UNDER) of at least MIN_PROB, the
     break-even rate at -110: a pick the system itself gives less than break-even is not a bet;
  4. ranked by edge, then that probability, then player_lookup (a total order: re-runs keep it);
  5. at most one pick per game (ONE_PER_GAME): two props of one game move together;
  6. at most MAX_PER_DAY picks.
The same function selects tonight's best bets and, applied to every graded day before, gives the rule
its own graded record.
"""

from __future__ import annotations

import polars as pl

from nba_assets.logic.exports import fields as f

MIN_EDGE = 2.0
MIN_PROB = 0.5238  # 110/210: break-even at -110
MAX_PER_DAY = 5
ONE_PER_GAME = True

RULE = {
    "applies_to": "the champion's picks of the day",
    "min_edge_points": MIN_EDGE,
    "min_probability": MIN_PROB,
    "max_per_day": MAX_PER_DAY,
    "one_per_game": ONE_PER_GAME,
    "order": "edge desc, probability desc, player_lookup",
}


def side_probability() -> pl.Expr:
    rec = pl.col("recommendation")
    return pl.when(rec == "OVER").then(pl.col("p_over")).when(rec == "UNDER").then(1.0 - pl.col("p_over"))


def candidates(picks: pl.DataFrame) -> pl.DataFrame:
    """Rows passing rules 1-3, with `edge_points` and `probability`, in rule 4's order."""
    line = pl.col(f.PICK_LINE)
    return (
        picks.with_columns(
            edge_points=(pl.col("predicted_points") - line).abs(), probability=side_probability()
        )
        .filter(
            pl.col("recommendation").is_in(["OVER", "UNDER"]) & line.is_not_null()
            & (pl.col("edge_points") >= MIN_EDGE) & (pl.col("probability") >= MIN_PROB)
        )
        .sort(["game_date", "edge_points", "probability", "player_lookup"], descending=[False, True, True, False])
    )


def best_bets(picks: pl.DataFrame) -> pl.DataFrame:
    """The picks the rule keeps, per game_date (rules 1-6). `picks`: one system's rows per day, with
    game_date, game_id, player_lookup, recommendation, predicted_points, p_over and the pick line
    (fields.priced or fields.graded frames)."""
    ranked = candidates(picks)
    if ONE_PER_GAME:
        ranked = ranked.unique(subset=["game_date", "game_id"], keep="first", maintain_order=True)
    return ranked.with_columns(rank=pl.int_range(1, pl.len() + 1).over("game_date")).filter(
        pl.col("rank") <= MAX_PER_DAY
    )
