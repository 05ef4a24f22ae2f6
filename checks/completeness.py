"""Completeness vs the schedule: final games must have boxscores; games must become final.

Games are matched on (game_date, home_team, away_team) because each source has its own game id
(lesson 9, docs/architecture.md: id mismatches raised false "missing" alerts there).
Severity (checks/definitions.py): a final game with no boxscore from ANY source is ERROR (no summary,
no grades for it); a game missing from one source only is WARN (the other source covers it, but the
cross-source agreement check is blind for it); a game not final hours after tip-off is WARN (a
stalled schedule feed or a postponement; someone should look, nothing downstream is wrong yet).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from checks.result import RuleResult, from_offending

GAME_KEY = ["game_date", "home_team", "away_team"]
FINAL = 3
STALE_AFTER_HOURS = 4  # a game lasts ~2.5 h; 4 h after tip-off it is final unless something is wrong


def boxscore_coverage(schedule: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame) -> pl.DataFrame:
    """One row per final game of `schedule` (analytics/games, or a raw schedule) with has_bdl / has_nbacom."""
    finals = schedule.filter(pl.col("status") == FINAL).select("game_id", *GAME_KEY).unique()
    for name, box in (("bdl", bdl), ("nbacom", nbacom)):
        games = box.select(GAME_KEY).unique().with_columns(pl.lit(True).alias(f"has_{name}"))
        finals = finals.join(games, on=GAME_KEY, how="left")
        finals = finals.with_columns(pl.col(f"has_{name}").fill_null(False))
    return finals


def _coverage_extra(cov: pl.DataFrame) -> dict[str, int]:
    return {
        "final_games": cov.height,
        "missing_bdl": cov.filter(~pl.col("has_bdl")).height,
        "missing_nbacom": cov.filter(~pl.col("has_nbacom")).height,
        "missing_every_source": cov.filter(~pl.col("has_bdl") & ~pl.col("has_nbacom")).height,
    }


def final_games_without_boxscores(
    schedule: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> RuleResult:
    """Final games that no source has a boxscore for (per-source counts in `extra`)."""
    cov = boxscore_coverage(schedule, bdl, nbacom)
    bad = cov.filter(~pl.col("has_bdl") & ~pl.col("has_nbacom"))
    return from_offending(
        bad,
        ok=f"all {cov.height} final game(s) have a boxscore from at least one source",
        problem="{n} final game(s) without a boxscore from any source on {dates} date(s)",
        extra=_coverage_extra(cov),
        sort_by=GAME_KEY,
    )


def final_games_missing_a_source(
    schedule: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> RuleResult:
    """Final games missing from at least one source, with which source(s) lack them."""
    cov = boxscore_coverage(schedule, bdl, nbacom)
    bad = cov.filter(~pl.col("has_bdl") | ~pl.col("has_nbacom")).with_columns(
        pl.concat_str(
            [
                pl.when(~pl.col("has_bdl")).then(pl.lit("bdl")),
                pl.when(~pl.col("has_nbacom")).then(pl.lit("nbacom")),
            ],
            separator=", ",
            ignore_nulls=True,
        ).alias("missing_from")
    )
    ex = _coverage_extra(cov)
    return from_offending(
        bad,
        ok=f"all {cov.height} final game(s) have boxscores from both sources",
        problem="{n} final game(s) missing from a source "
        + f"(bdl: {ex['missing_bdl']}, nbacom: {ex['missing_nbacom']})",
        extra=ex,
        sort_by=GAME_KEY,
    )


def stale_games(schedule: pl.DataFrame, now: dt.datetime, hours: float = STALE_AFTER_HOURS) -> RuleResult:
    """Games not final `hours` after their tip-off (games without a tip-off time are not judged)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (tip-off times are UTC)")
    now_utc = now.astimezone(dt.UTC)
    since = (pl.lit(now_utc) - pl.col("tipoff_utc")).dt.total_minutes() / 60.0
    bad = (
        schedule.filter(
            (pl.col("status") != FINAL)
            & pl.col("tipoff_utc").is_not_null()
            & (pl.col("tipoff_utc") + pl.duration(minutes=int(hours * 60)) <= pl.lit(now_utc))
        )
        .select("game_id", *GAME_KEY, "status", "tipoff_utc", since.round(1).alias("hours_since_tipoff"))
        .unique()
    )
    return from_offending(
        bad,
        ok=f"no game is unfinished {hours:g} h after tip-off",
        problem="{n} game(s) still not final " + f"{hours:g} h after tip-off",
        extra={"now_utc": now_utc.isoformat(timespec="seconds")},
        sort_by=GAME_KEY,
    )
