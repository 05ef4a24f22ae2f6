"""Aggregates that must add up to the rows they summarize.

- analytics/team_game_summary: two rows per game (its two teams, each the other's opponent), each
  team's points equal the sum of its players' points in the player-game summary, and its
  points_against equal the opponent's points_for. A mismatch is our own aggregation gone wrong:
  ERROR. Separately, points against the game's final score (analytics/games): a mismatch there means
  the boxscore and the schedule's score disagree (a missing player line, a stat correction not yet in
  one source): WARN.
- grading/system_daily_performance: one row per system per graded day, and its counts equal the
  grades of that day and system (n_predictions, wins, losses, pushes, n_graded = their sum). ERROR.
"""

from __future__ import annotations

import polars as pl

from checks.result import RuleResult, from_offending


def _problem_rows(frame: pl.DataFrame, problem: pl.Expr, text: pl.Expr) -> pl.DataFrame:
    return frame.filter(problem.fill_null(True)).with_columns(text.alias("problem"))


def team_rows_match_players(team: pl.DataFrame, players: pl.DataFrame) -> RuleResult:
    """Two rows per game; points_for = the team's players' points; points_against = the opponent's."""
    per_game = team.group_by("game_date", "game_id").agg(
        pl.len().alias("rows"), pl.col("team").sort().str.join("/").alias("teams")
    )
    bad_count = _problem_rows(per_game, pl.col("rows") != 2, pl.format("{} team rows (expected 2)", "rows"))
    sums = players.group_by("game_id", "team").agg(pl.col("points").sum().cast(pl.Int64).alias("players_points"))
    joined = team.join(sums, on=["game_id", "team"], how="left")
    bad_sum = _problem_rows(
        joined,
        pl.col("points_for") != pl.col("players_points"),
        pl.format("points_for {} but players' points sum to {}", "points_for", pl.col("players_points").fill_null(0)),
    )
    opp = team.select("game_id", pl.col("team").alias("opponent"), pl.col("points_for").alias("opp_for"))
    against = team.join(opp, on=["game_id", "opponent"], how="left")
    bad_against = _problem_rows(
        against,
        pl.col("points_against") != pl.col("opp_for"),
        pl.format("points_against {} but {} scored {}", "points_against", "opponent", pl.col("opp_for").fill_null(0)),
    )
    cols = ["game_date", "game_id", "team", "problem"]
    offending = pl.concat(
        [
            bad_count.select("game_date", "game_id", pl.col("teams").alias("team"), "problem"),
            bad_sum.select(cols),
            bad_against.select(cols),
        ],
        how="vertical_relaxed",
    )
    return from_offending(
        offending,
        ok=f"{per_game.height} game(s): two team rows each, points equal the players' sum",
        problem="{n} team-game inconsistency(ies) on {dates} date(s)",
        extra={"games": per_game.height},
        sort_by=["game_date", "game_id", "team"],
    )


def team_points_match_final_score(team: pl.DataFrame, games: pl.DataFrame) -> RuleResult:
    """Each final game's team points equal its final score (home_score / away_score)."""
    finals = games.filter((pl.col("status") == 3) & pl.col("home_score").is_not_null())
    scores = pl.concat(
        [
            finals.select("game_id", pl.col("home_team").alias("team"), pl.col("home_score").alias("final_score")),
            finals.select("game_id", pl.col("away_team").alias("team"), pl.col("away_score").alias("final_score")),
        ],
        how="vertical_relaxed",
    )
    joined = team.join(scores, on=["game_id", "team"], how="inner")
    bad = joined.filter(pl.col("points_for") != pl.col("final_score")).select(
        "game_date", "game_id", "team", "points_for", "final_score"
    )
    return from_offending(
        bad,
        ok=f"{joined.height} team-game(s) of final games: points equal the final score",
        problem="{n} team-game(s) whose points differ from the final score on {dates} date(s)",
        extra={"final_team_games": joined.height},
        sort_by=["game_date", "game_id", "team"],
    )


def performance_matches_grades(perf: pl.DataFrame, grades: pl.DataFrame) -> RuleResult:
    """One row per (game_date, system_id) that has grades, none without; counts equal the grades'."""
    out = pl.col("outcome")
    expected = grades.group_by("game_date", "system_id").agg(
        pl.len().cast(pl.Int64).alias("exp_predictions"),
        (out == "WIN").sum().cast(pl.Int64).alias("exp_wins"),
        (out == "LOSS").sum().cast(pl.Int64).alias("exp_losses"),
        (out == "PUSH").sum().cast(pl.Int64).alias("exp_pushes"),
    )
    rows = perf.group_by("game_date", "system_id").agg(
        pl.len().alias("perf_rows"),
        pl.col("n_predictions").first(), pl.col("n_graded").first(), pl.col("wins").first(),
        pl.col("losses").first(), pl.col("pushes").first(),
    )  # fmt: skip
    j = expected.join(rows, on=["game_date", "system_id"], how="full", coalesce=True)
    graded = pl.col("exp_wins") + pl.col("exp_losses") + pl.col("exp_pushes")
    checks = [
        (pl.col("perf_rows").is_null(), pl.lit("no performance row for a graded system-day")),
        (pl.col("exp_predictions").is_null(), pl.lit("performance row without any grade")),
        (pl.col("perf_rows") > 1, pl.format("{} performance rows (expected 1)", "perf_rows")),
        (pl.col("n_predictions") != pl.col("exp_predictions"),
         pl.format("n_predictions {} but {} grades", "n_predictions", "exp_predictions")),
        ((pl.col("wins") != pl.col("exp_wins")) | (pl.col("losses") != pl.col("exp_losses"))
         | (pl.col("pushes") != pl.col("exp_pushes")),
         pl.format("W/L/P {}/{}/{} but grades say {}/{}/{}", "wins", "losses", "pushes", "exp_wins", "exp_losses",
                   "exp_pushes")),
        (pl.col("n_graded") != graded, pl.format("n_graded {} but {} graded", "n_graded", graded)),
    ]  # fmt: skip
    offending = pl.concat(
        [j.filter(cond.fill_null(False)).select("game_date", "system_id", text.alias("problem")) for cond, text in checks],
        how="vertical_relaxed",
    )
    return from_offending(
        offending,
        ok=f"{expected.height} system-day(s): one row each, counts equal the grades",
        problem="{n} system-day(s) whose performance row disagrees with its grades on {dates} date(s)",
        extra={"system_days": expected.height},
        sort_by=["game_date", "system_id"],
    )
