"""Coverage accounted: every lined player predicted or given a named reason; every prediction of a final
game graded or given one; stale inputs counted.

Reasons a player with a pre-tip line on D has no prediction (first match wins):
- `no roster yet`: one of the game's teams has no listed player in the ROSTER_DAYS before D (its first
  game of a season: the lake has no roster source, so nobody of that team is on D's slate);
- `first game`: the player was never listed before D and is in D's boxscore (a debut);
- `traded (last listed for XXX)`: his latest listed row before D is for a team not in this game;
- `not listed for 30+ days`: his latest listed row is older than ROSTER_DAYS (long injury);
- `name not matched`: the lookup is in no boxscore at all (before or on D): the books spell the name
  in a way the normalizer does not map to the boxscore name. Needs an alias: the check fails.
- `unexplained`: none of the above (a bug): the check fails.
`injured out` joins the list once predictions read injury status (today every listed player is predicted).

A prediction of a final game is graded when it has a grade row (VOID and NO_LINE are grades with a
reason); one without a grade row is accounted as `no boxscore from any source` when the game has
none, else `unexplained`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from checks.result import RuleResult, from_offending
from nba_assets import tables as t
from nba_assets.logic.features import HISTORY_DAYS, ROSTER_DAYS
from nba_assets.logic.inputs import STALE_INPUTS

NO_ROSTER = "no roster yet"
FIRST_GAME = "first game"
NOT_LISTED = f"not listed for {ROSTER_DAYS}+ days"
NAME_NOT_MATCHED = "name not matched"
UNEXPLAINED = "unexplained"
NEEDS_A_HUMAN = (NAME_NOT_MATCHED, UNEXPLAINED)
NO_BOXSCORE = "no boxscore from any source"
FINAL = 3


def lined_players(prop_lines: pl.DataFrame) -> pl.DataFrame:
    """Distinct (game_date, player_lookup, player_name, home_team, away_team) with a pre-tip line."""
    return (
        prop_lines.filter(pl.col("minutes_before_tip") > 0)
        .group_by("game_date", "player_lookup")
        .agg(pl.col("player_name").first(), pl.col("home_team").first(), pl.col("away_team").first())
        .sort("game_date", "player_lookup")
    )


def unpredicted_reasons(lined: pl.DataFrame, predictions: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """Lined players without a prediction, each with a reason.

    `listed`: (game_date, player_lookup, team) of player_game_summary rows from HISTORY_DAYS before the
    earliest day through the latest (D's own rows, when its boxscore is in, tell a debut apart).
    """
    missing = lined.join(
        predictions.select("game_date", "player_lookup").unique(), on=["game_date", "player_lookup"], how="anti"
    )
    if missing.height == 0:
        return missing.with_columns(reason=pl.lit(None, dtype=pl.Utf8))
    listed = listed.select(pl.col("game_date").cast(pl.Date), "player_lookup", "team")
    prior = (
        missing.select("game_date", "player_lookup")
        .join(listed.rename({"game_date": "h_date"}), on="player_lookup", how="left")
        .filter(pl.col("h_date") < pl.col("game_date"))
        .sort("h_date")
        .group_by("game_date", "player_lookup")
        .agg(pl.col("h_date").last().alias("last_listed"), pl.col("team").last().alias("last_team"))
    )
    on_day = listed.join(missing.select("game_date", "player_lookup"), on=["game_date", "player_lookup"], how="semi")
    on_day = on_day.select("game_date", "player_lookup", pl.lit(True).alias("listed_on_day")).unique()
    ever = listed.select("player_lookup").unique().with_columns(pl.lit(True).alias("ever_listed"))
    roster_from = pl.col("game_date") - pl.duration(days=ROSTER_DAYS)
    teams = listed.rename({"game_date": "t_date"}).select("t_date", "team").unique()

    def has_roster(side: str) -> pl.DataFrame:
        return (
            missing.select("game_date", side)
            .unique()
            .join(teams, left_on=side, right_on="team", how="inner")
            .filter((pl.col("t_date") < pl.col("game_date")) & (pl.col("t_date") >= roster_from))
            .select("game_date", side, pl.lit(True).alias(f"{side}_roster"))
            .unique()
        )

    out = (
        missing.join(prior, on=["game_date", "player_lookup"], how="left")
        .join(on_day, on=["game_date", "player_lookup"], how="left")
        .join(ever, on="player_lookup", how="left")
        .join(has_roster("home_team"), on=["game_date", "home_team"], how="left")
        .join(has_roster("away_team"), on=["game_date", "away_team"], how="left")
    )
    in_game = (pl.col("last_team") == pl.col("home_team")) | (pl.col("last_team") == pl.col("away_team"))
    reason = (
        pl.when(pl.col("home_team_roster").is_null() | pl.col("away_team_roster").is_null())
        .then(pl.lit(NO_ROSTER))
        .when(pl.col("last_listed").is_null() & pl.col("listed_on_day").fill_null(False))
        .then(pl.lit(FIRST_GAME))
        .when(pl.col("last_listed").is_not_null() & ~in_game)
        .then(pl.format("traded (last listed for {})", "last_team"))
        .when(pl.col("last_listed").is_not_null() & (pl.col("last_listed") < roster_from))
        .then(pl.lit(NOT_LISTED))
        .when(pl.col("ever_listed").is_null())
        .then(pl.lit(NAME_NOT_MATCHED))
        .otherwise(pl.lit(UNEXPLAINED))
    )
    return out.select(
        "game_date", "player_lookup", "player_name", "home_team", "away_team", "last_listed", "last_team",
        reason.alias("reason"),
    ).sort("game_date", "player_lookup")


def lined_players_have_prediction(
    prop_lines: pl.DataFrame, predictions: pl.DataFrame, listed: pl.DataFrame
) -> RuleResult:
    """Fails when a lined player has no prediction and no benign reason (name not matched, unexplained)."""
    lined = lined_players(prop_lines)
    missing = unpredicted_reasons(lined, predictions, listed)
    counts = {r: n for r, n in missing.group_by("reason").len().sort("reason").iter_rows()} if missing.height else {}
    n_lined = lined.height
    extra = {
        "lined_players": n_lined,
        "predicted": n_lined - missing.height,
        "coverage": round((n_lined - missing.height) / n_lined, 4) if n_lined else None,
        "unpredicted_by_reason": counts,
        "accounted": missing.filter(~pl.col("reason").is_in(NEEDS_A_HUMAN)),
    }
    bad = missing.filter(pl.col("reason").is_in(NEEDS_A_HUMAN))
    return from_offending(
        bad,
        ok=f"{n_lined - missing.height}/{n_lined} lined player(s) predicted; the rest have a reason ({counts or 'none'})",
        problem="{n} lined player(s) without a prediction need a human: " + ", ".join(
            f"{r} {counts[r]}" for r in NEEDS_A_HUMAN if r in counts
        ),
        extra=extra,
        sort_by=["game_date", "player_lookup"],
    )


def final_predictions_graded(
    predictions: pl.DataFrame, grades: pl.DataFrame, games: pl.DataFrame
) -> RuleResult:
    """Every prediction of a final game has a grade row; the ungraded are named with a reason."""
    finals = games.filter(pl.col("status") == FINAL).select(
        "game_id", (pl.col("has_bdl_boxscore") | pl.col("has_nbacom_boxscore")).alias("has_boxscore")
    )
    keys = ["game_id", "player_lookup", "system_id"]
    due = predictions.join(finals, on="game_id", how="inner")
    graded = due.join(grades.select(*keys, "outcome"), on=keys, how="left")
    ungraded = graded.filter(pl.col("outcome").is_null()).with_columns(
        reason=pl.when(pl.col("has_boxscore")).then(pl.lit(UNEXPLAINED)).otherwise(pl.lit(NO_BOXSCORE))
    )
    outcomes = {o: n for o, n in graded.group_by("outcome").len().sort("outcome").iter_rows() if o is not None}
    n_due = due.height
    extra = {
        "final_game_predictions": n_due,
        "graded": n_due - ungraded.height,
        "graded_share": round((n_due - ungraded.height) / n_due, 4) if n_due else None,
        "outcomes": outcomes,
        "ungraded_by_reason": {r: n for r, n in ungraded.group_by("reason").len().sort("reason").iter_rows()},
    }
    return from_offending(
        ungraded.select("game_date", "game_id", "player_lookup", "system_id", "reason"),
        ok=f"all {n_due} prediction(s) of final games graded (VOID {outcomes.get('VOID', 0)}, "
        f"NO_LINE {outcomes.get('NO_LINE', 0)})",
        problem="{n} prediction(s) of final games not graded on {dates} date(s)",
        extra=extra,
        sort_by=["game_date", "game_id", "player_lookup", "system_id"],
    )


def stale_inputs_counted(predictions: pl.DataFrame) -> RuleResult:
    """WARN when predictions were held back for stale inputs: how many, and why (per reason)."""
    stale = predictions.filter(pl.col("pass_reason").str.starts_with(STALE_INPUTS).fill_null(False))
    why = stale.group_by("game_date", "pass_reason").agg(pl.len().alias("predictions")).sort("game_date", "pass_reason")
    return from_offending(
        why,
        ok="no prediction held back for stale inputs",
        problem=f"{stale.height} prediction(s) held back ({STALE_INPUTS}) for {{n}} reason(s) on {{dates}} date(s)",
        extra={"stale_predictions": stale.height},
        n_offending=why.height,
    )


def listed_window(days: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The summary days the lined-player rule reads for `days` (HISTORY_DAYS before through the last)."""
    return min(days) - dt.timedelta(days=HISTORY_DAYS), max(days)


def daily_coverage(
    prop_lines: pl.DataFrame, predictions: pl.DataFrame, grades: pl.DataFrame, games: pl.DataFrame
) -> pl.DataFrame:
    """Per game day: lined players, how many were predicted, predictions of final games and how many
    were graded (the figures `nba-lake status` and the season report show)."""
    lined = lined_players(prop_lines).select("game_date", "player_lookup")
    predicted = predictions.select("game_date", "player_lookup").unique()
    lined_cov = (
        lined.join(predicted.with_columns(pl.lit(True).alias("_p")), on=["game_date", "player_lookup"], how="left")
        .group_by("game_date")
        .agg(lined_players=pl.len(), lined_predicted=pl.col("_p").sum())
    )
    keys = ["game_id", "player_lookup", "system_id"]
    finals = games.filter(pl.col("status") == FINAL).select("game_id")
    due = predictions.join(finals, on="game_id", how="semi")
    graded = (
        due.join(grades.select(*keys).with_columns(pl.lit(True).alias("_g")), on=keys, how="left")
        .group_by("game_date")
        .agg(final_game_predictions=pl.len(), graded=pl.col("_g").sum())
    )
    out = lined_cov.join(graded, on="game_date", how="full", coalesce=True).with_columns(
        pl.col("lined_players", "lined_predicted", "final_game_predictions", "graded").fill_null(0).cast(pl.Int64)
    )
    return out.with_columns(
        lined_coverage=pl.when(pl.col("lined_players") > 0).then(pl.col("lined_predicted") / pl.col("lined_players")),
        graded_share=pl.when(pl.col("final_game_predictions") > 0).then(
            pl.col("graded") / pl.col("final_game_predictions")
        ),
    ).sort("game_date")


# What daily_coverage reads of each table (its arguments, in order).
COVERAGE_COLUMNS = {
    t.PROP_LINES: ["game_date", "player_lookup", "player_name", "home_team", "away_team", "minutes_before_tip"],
    t.PLAYER_PROP_PREDICTIONS: ["game_date", "game_id", "player_lookup", "system_id"],
    t.PREDICTION_GRADES: ["game_id", "player_lookup", "system_id"],
    t.GAMES: ["game_id", "status"],
}


def load_daily_coverage(reader, lo: dt.date | None = None, hi: dt.date | None = None) -> pl.DataFrame:
    """daily_coverage over the lake (a resources.lake_reader.LakeReader) for lo <= game_date <= hi
    (every day when None)."""
    before = hi + dt.timedelta(days=1) if hi else None
    return daily_coverage(*(
        # A window (`nba-lake status`: a week) reads its days' files only; every read only the columns
        # daily_coverage uses (the season report reads every day of every season).
        reader.rows(table, since=lo, before=before, window_files=True, columns=columns)
        for table, columns in COVERAGE_COLUMNS.items()
    ))
