"""Cross-source agreement: Ball Don't Lie vs NBA.com points and minutes for the same player-game.

WARN: the summary already picked one source per row; a disagreement means one source is wrong (often
a late stat correction) and an operator should know which rows, not that the pipeline must stop.
The rule recomputes the comparison from points/alt_points instead of trusting the stored
`source_disagreement` flag, and reports rows where the two differ (a transform bug).
"""

from __future__ import annotations

import polars as pl

from checks.result import RuleResult, from_offending
from nba_assets.contracts import MINUTES_TOLERANCE


def source_disagreements(
    summary: pl.DataFrame, *, primary: str = "nbacom", minutes_tolerance: float = MINUTES_TOLERANCE
) -> RuleResult:
    """Player-games where both sources have a row and points differ or minutes differ > tolerance.

    `extra` carries the provenance summary: rows per source_used, rows that used the fallback (the
    non-primary source), rows only one source had, and stored-flag mismatches.
    """
    both = summary.filter(pl.col("alt_points").is_not_null() | pl.col("alt_minutes").is_not_null())
    disagree = (pl.col("points") != pl.col("alt_points")) | (
        (pl.col("minutes") - pl.col("alt_minutes")).abs() > minutes_tolerance
    )
    flagged = summary.with_columns(disagree.fill_null(False).alias("_disagree"))
    bad = flagged.filter(pl.col("_disagree")).select(
        "game_date", "game_id", "team", "player_lookup", "source_used",
        "points", "alt_points", "minutes", "alt_minutes",
        (pl.col("points") - pl.col("alt_points")).alias("points_diff"),
    )  # fmt: skip
    flag_mismatch = flagged.filter(pl.col("_disagree") != pl.col("source_disagreement")).height
    by_source = {
        f"rows_from_{s}": n
        for s, n in summary.group_by("source_used").len().sort("source_used").iter_rows()
    }
    extra = {
        "rows": summary.height,
        "rows_with_both_sources": both.height,
        "rows_single_source": summary.height - both.height,
        "fallback_rows": summary.filter(pl.col("source_used") != primary).height,
        "primary_source": primary,
        **by_source,
        "disagreement_rate": round(bad.height / both.height, 4) if both.height else 0.0,
        "stored_flag_mismatches": flag_mismatch,
    }
    result = from_offending(
        bad,
        ok=f"{both.height} player-game(s) seen by both sources agree",
        problem="{n} of " + f"{both.height} player-game(s) disagree between sources on " + "{dates} date(s)",
        extra=extra,
        sort_by=["game_date", "game_id", "player_lookup"],
    )
    if flag_mismatch and result.passed:
        summary_text = f"{flag_mismatch} row(s) whose source_disagreement flag is wrong"
        return RuleResult(False, summary_text, flag_mismatch, result.offending, result.failing_dates, extra)
    return result


# The two schedules give one tip-off to the minute (both carry the league's time); a TV flex moves a
# game by 30 minutes or more. Anything past this is a real change one source has not picked up.
TIPOFF_TOLERANCE_MINUTES = 10
_KEY = ["game_date", "home_team", "away_team"]


def schedule_disagreements(
    schedule: pl.DataFrame, bdl_games: pl.DataFrame, *, tolerance_minutes: int = TIPOFF_TOLERANCE_MINUTES
) -> RuleResult:
    """Games NBA.com's schedule and Ball Don't Lie's /v1/games disagree on, matched on (date, home,
    away): a game only one lists (a postponed NBA.com game BDL no longer lists on that date is not a
    disagreement), or tip-offs more than `tolerance_minutes` apart. Each row names the game and what."""
    nba = schedule.filter(~pl.col("postponed")).select(
        *_KEY, pl.col("game_id").alias("nbacom_game_id"), pl.col("tipoff_utc").alias("nbacom_tipoff_utc")
    ).unique(_KEY, keep="last")
    bdl = bdl_games.select(
        *_KEY, pl.col("source_game_id").alias("bdl_game_id"), pl.col("tipoff_utc").alias("bdl_tipoff_utc")
    ).unique(_KEY, keep="last")
    both = nba.join(bdl, on=_KEY, how="full", coalesce=True)
    gap = ((pl.col("bdl_tipoff_utc") - pl.col("nbacom_tipoff_utc")).dt.total_seconds() / 60).round(0)
    what = (
        pl.when(pl.col("bdl_game_id").is_null()).then(pl.lit("only in NBA.com's schedule"))
        .when(pl.col("nbacom_game_id").is_null()).then(pl.lit("only in Ball Don't Lie's /v1/games"))
        .when(gap.abs() > tolerance_minutes)
        .then(pl.format("tip-off differs by {} min (BDL - NBA.com)", gap.cast(pl.Int64)))
    )  # fmt: skip
    bad = both.with_columns(what.alias("problem")).filter(pl.col("problem").is_not_null())
    bad = bad.sort(_KEY).select(
        "game_date", pl.format("{}@{}", "away_team", "home_team").alias("game"), "problem",
        "nbacom_game_id", "bdl_game_id", "nbacom_tipoff_utc", "bdl_tipoff_utc",
    )  # fmt: skip
    named = "; ".join(f"{r['game_date']} {r['game']} {r['problem']}" for r in bad.head(3).iter_rows(named=True))
    more = f" (+{bad.height - 3} more)" if bad.height > 3 else ""
    return from_offending(
        bad, ok=f"the two schedules agree on {both.height} game(s)",
        problem="{n} game(s) the two schedules disagree on: " + (named + more).replace("{", "{{").replace("}", "}}"),
        extra={"games_nbacom": nba.height, "games_bdl": bdl.height},
    )  # fmt: skip
