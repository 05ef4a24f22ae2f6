"""The coverage checks as Dagster asset checks (rules in checks/coverage.py).

All WARN: nothing downstream is wrong, but a person should know that a lined player got no
prediction for an unexplained reason (usually a name the normalizer does not map), that a final
game's predictions were not graded, or how many predictions were held back for stale inputs.
"""

import datetime as dt

import dagster as dg
import polars as pl

from checks import coverage
from checks.definitions import WARN, _in, _result, asset_key, evaluated_dates, typed
from nba_assets.partitions import game_dates

LINED_PLAYERS_PREDICTED = "lined_players_have_prediction"
FINAL_PREDICTIONS_GRADED = "final_game_predictions_graded"
STALE_INPUTS_HELD_BACK = "stale_inputs_held_back"
PREDICTIONS = "predictions/player_prop_predictions"


def listed_rows(reader, days: list[dt.date]) -> pl.DataFrame:
    """(game_date, player_lookup, team) of summary rows the lined-player rule needs (lake reads)."""
    empty = pl.DataFrame(schema={"game_date": pl.Date, "player_lookup": pl.Utf8, "team": pl.Utf8})
    if "analytics.player_game_summary" not in reader.tables():
        return empty
    lo, hi = coverage.listed_window(days)
    return reader.query(
        "select game_date, player_lookup, team from analytics.player_game_summary "
        f"where game_date >= DATE '{lo}' and game_date <= DATE '{hi}'"
    )


@dg.asset_check(
    asset=asset_key(PREDICTIONS),
    name=LINED_PLAYERS_PREDICTED,
    partitions_def=game_dates,
    additional_ins={"prop_lines": _in("raw/prop_lines")},
    required_resource_keys={"lake"},
    description="Every player with a pre-tip line has a prediction or a named reason (no roster yet, "
    "first game, traded, not listed for 30+ days). WARN when the reason is 'name not matched' or "
    "unexplained; metadata: lined players, predicted, coverage, counts per reason.",
)
def lined_players_have_prediction(
    context: dg.AssetCheckExecutionContext, player_prop_predictions: pl.DataFrame, prop_lines: pl.DataFrame
) -> dg.AssetCheckResult:
    days = [dt.date.fromisoformat(k) for k in evaluated_dates(context)]
    res = coverage.lined_players_have_prediction(
        typed(prop_lines, "raw/prop_lines"),
        typed(player_prop_predictions, PREDICTIONS),
        listed_rows(context.resources.lake.reader(), days),
    )
    return _result(context, res, WARN)


@dg.asset_check(
    asset=asset_key("grading/prediction_grades"),
    name=FINAL_PREDICTIONS_GRADED,
    partitions_def=game_dates,
    additional_ins={"predictions": _in(PREDICTIONS), "games": _in("analytics/games")},
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
    res = coverage.final_predictions_graded(
        typed(predictions, PREDICTIONS),
        typed(prediction_grades, "grading/prediction_grades"),
        typed(games, "analytics/games"),
    )
    return _result(context, res, WARN)


@dg.asset_check(
    asset=asset_key(PREDICTIONS),
    name=STALE_INPUTS_HELD_BACK,
    partitions_def=game_dates,
    description="How many predictions were held back (PASS, STALE_INPUTS) because their team's recent "
    "history has a final game without summary rows, and why. WARN when any.",
)
def stale_inputs_held_back(
    context: dg.AssetCheckExecutionContext, player_prop_predictions: pl.DataFrame
) -> dg.AssetCheckResult:
    return _result(context, coverage.stale_inputs_counted(typed(player_prop_predictions, PREDICTIONS)), WARN)


COVERAGE_CHECKS = [lined_players_have_prediction, final_game_predictions_graded, stale_inputs_held_back]
