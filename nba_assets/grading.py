"""Grading layer: each prediction against what happened, per-system daily performance, a season report."""


import dagster as dg
import polars as pl

from checks.contracts import PredictionGradeContract, SystemDailyPerformanceContract
from nba_assets.analytics import typed
from nba_assets.automation import GRADED_DAYS
from nba_assets.common import MODEL_OWNERS, table_asset
from nba_assets.logic import grading as logic
from nba_assets.logic import report as report_logic
from nba_assets.oncall import load_daily_coverage
from nba_assets.predictions import png_markdown
from resources.lake import LakeResource

CODE_VERSION = "grading_v1"


@table_asset(
    "grading",
    "prediction_grades",
    PredictionGradeContract,
    (
        "One row per (game_id, player_lookup, system_id): the prediction graded against "
        "player_game_summary of D: WIN/LOSS/PUSH/VOID/NO_LINE/PASS, absolute and signed error."
    ),
    owners=MODEL_OWNERS,
    code_version=CODE_VERSION,
    automation_condition=GRADED_DAYS,
    ins={
        "predictions": dg.AssetIn(key=["predictions", "player_prop_predictions"]),
        "actuals": dg.AssetIn(key=["analytics", "player_game_summary"]),
        "games": dg.AssetIn(key=["analytics", "games"]),
    },
)
def prediction_grades(
    predictions: pl.DataFrame, actuals: pl.DataFrame, games: pl.DataFrame
) -> pl.DataFrame:
    # Only finished games with a boxscore are graded: a player missing from a game not yet played,
    # or whose boxscore is late, is not a VOID. The late boxscore re-runs this partition when it lands.
    final = (
        typed(games, "analytics/games")
        .filter((pl.col("status") == 3) & (pl.col("has_bdl_boxscore") | pl.col("has_nbacom_boxscore")))
        .select("game_id")
    )
    graded = typed(predictions, "predictions/player_prop_predictions").join(final, on="game_id", how="semi")
    return logic.grade_predictions(graded, typed(actuals, "analytics/player_game_summary"))


@table_asset(
    "grading",
    "system_daily_performance",
    SystemDailyPerformanceContract,
    (
        "One row per (game_date, system_id): predictions, graded, coverage, MAE, bias, hit rate "
        "(overall, OVER, UNDER), ROI at -110 and Brier score of p_over."
    ),
    owners=MODEL_OWNERS,
    code_version=CODE_VERSION,
    automation_condition=GRADED_DAYS,
    ins={"grades": dg.AssetIn(key=["grading", "prediction_grades"])},
)
def system_daily_performance(grades: pl.DataFrame) -> pl.DataFrame:
    return logic.daily_performance(typed(grades, "grading/prediction_grades"))


@dg.asset(
    key=["grading", "season_report"],
    group_name="grading",
    description=(
        "Season report over every graded day: per system MAE and hit rate by month, calibration of "
        "p_over, hit rate over time (PNG plots in metadata). Refreshed on demand or weekly."
    ),
    owners=MODEL_OWNERS,
    kinds={"duckdb", "polars"},
    code_version=CODE_VERSION,
    deps=[dg.AssetKey(["grading", "prediction_grades"])],
)
def season_report(lake: LakeResource) -> dg.MaterializeResult:
    reader = lake.reader()
    grades = (
        reader.query("select * from grading.prediction_grades")
        if "grading.prediction_grades" in reader.tables()
        else pl.DataFrame()
    )
    rep = report_logic.season_report(typed(grades, "grading/prediction_grades"))
    coverage = report_logic.coverage_by_month(load_daily_coverage(reader))
    return dg.MaterializeResult(
        metadata={
            "graded_rows": grades.height,
            "coverage_by_month": dg.MetadataValue.md(report_logic.to_markdown(coverage)),
            "by_system": dg.MetadataValue.md(rep.overall_md),
            "by_month": dg.MetadataValue.md(rep.monthly_md),
            "calibration": png_markdown(rep.calibration_png, "calibration of p_over"),
            "hit_rate_over_time": png_markdown(rep.hit_rate_png, "hit rate over time"),
            "mae_by_month": png_markdown(rep.mae_png, "MAE by month"),
        }
    )


GRADING_ASSETS = [prediction_grades, system_daily_performance, season_report]
