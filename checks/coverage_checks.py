"""The coverage checks as Dagster asset checks (rules in checks/coverage.py).

All WARN: nothing downstream is wrong, but a person should know that a lined player got no
prediction for an unexplained reason (usually a name the normalizer does not map), that a final
game's predictions were not graded, or how many predictions were held back for stale inputs.
"""

import datetime as dt

import dagster as dg
import polars as pl

from checks import coverage
from checks.definitions import WARN, check_input, check_result, evaluated_dates, frame_check
from checks.per_day import ByDay, DayRule, on_frames
from checks.result import RuleResult
from nba_assets import tables as t
from nba_assets.partitions import game_dates

LINED_PLAYERS_PREDICTED = "lined_players_have_prediction"
FINAL_PREDICTIONS_GRADED = "final_game_predictions_graded"
STALE_INPUTS_HELD_BACK = "stale_inputs_held_back"


def listed_rows(reader, days: list[dt.date]) -> pl.DataFrame:
    """(game_date, player_lookup, team) of summary rows the lined-player rule needs (lake reads)."""
    lo, hi = coverage.listed_window(days)
    return reader.rows(
        t.PLAYER_GAME_SUMMARY, since=lo, before=hi + dt.timedelta(days=1), window_files=True,
        columns=["game_date", "player_lookup", "team"],
    )  # fmt: skip


@dg.asset_check(
    asset=t.PLAYER_PROP_PREDICTIONS.key,
    name=LINED_PLAYERS_PREDICTED,
    partitions_def=game_dates,
    additional_ins={"prop_lines": check_input(t.PROP_LINES)},
    required_resource_keys={"lake"},
    description="Every player with a pre-tip line has a prediction or a named reason (no roster yet, "
    "first game, traded, not listed for 30+ days). WARN when the reason is 'name not matched' or "
    "unexplained; metadata: lined players, predicted, coverage, counts per reason.",
)
def lined_players_have_prediction(
    context: dg.AssetCheckExecutionContext, player_prop_predictions: pl.DataFrame, prop_lines: pl.DataFrame
) -> dg.AssetCheckResult:
    days = [dt.date.fromisoformat(k) for k in evaluated_dates(context)]
    listed = listed_rows(context.resources.lake.reader(), days)
    split = ByDay(prop_lines, player_prop_predictions)

    def one_day(day: str) -> RuleResult:
        lo, hi = coverage.listed_window([dt.date.fromisoformat(day)])
        rows = listed.filter(pl.col("game_date").is_between(lo, hi))
        return coverage.lined_players_have_prediction(*split.day(day), rows)

    rule = DayRule(
        whole=lambda: coverage.lined_players_have_prediction(prop_lines, player_prop_predictions, listed),
        day=one_day,
    )
    return check_result(context, WARN, rule)


@dg.asset_check(
    asset=t.PREDICTION_GRADES.key,
    name=FINAL_PREDICTIONS_GRADED,
    partitions_def=game_dates,
    additional_ins={"predictions": check_input(t.PLAYER_PROP_PREDICTIONS), "games": check_input(t.GAMES)},
    description="Every prediction of a final game is graded (VOID and NO_LINE are grades with a reason); "
    "the ungraded are listed with a reason (no boxscore from any source, or unexplained). WARN; "
    "metadata: graded share and outcomes.",
)
def final_game_predictions_graded(
    context: dg.AssetCheckExecutionContext,
    prediction_grades: pl.DataFrame,
    predictions: pl.DataFrame,
    games: pl.DataFrame,
) -> dg.AssetCheckResult:
    rule = on_frames(coverage.final_predictions_graded, predictions, prediction_grades, games)
    return check_result(context, WARN, rule)


stale_inputs_held_back = frame_check(
    t.PLAYER_PROP_PREDICTIONS, STALE_INPUTS_HELD_BACK, coverage.stale_inputs_counted, WARN,
    "How many predictions were held back (PASS, STALE_INPUTS) because their team's recent history has a "
    "final game without summary rows, and why. WARN when any.",
)


COVERAGE_CHECKS = [lined_players_have_prediction, final_game_predictions_graded, stale_inputs_held_back]
