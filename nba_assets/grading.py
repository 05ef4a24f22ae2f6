"""Grading layer: each prediction against what happened, per-system daily performance, a season report."""



import datetime as dt

import dagster as dg
import polars as pl

from checks import coverage
from nba_assets import tables as t
from nba_assets.automation import GRADED_DAYS, RERUN
from nba_assets.common import (
    MODEL_OWNERS,
    day_windows,
    partition_dates,
    png_markdown,
    run_metadata,
    table_asset,
    table_in,
)
from nba_assets.logic import champion as champion_logic
from nba_assets.logic import grading as logic
from nba_assets.logic import pricing
from nba_assets.logic import report as report_logic
from resources.lake import LakeReader, LakeResource

CODE_VERSION = "grading_v1"


@table_asset(
    t.PREDICTION_GRADES,
    (
        "One row per (game_id, player_lookup, system_id): the prediction graded against "
        "player_game_summary of D: WIN/LOSS/PUSH/VOID/NO_LINE/PASS at the pick's line, absolute and signed "
        "error, profit at the pick's price, closing line and CLV."
    ),
    owners=MODEL_OWNERS,
    code_version=CODE_VERSION,
    automation_condition=GRADED_DAYS,
    ins={
        "predictions": table_in(t.PLAYER_PROP_PREDICTIONS),
        "actuals": table_in(t.PLAYER_GAME_SUMMARY),
        "games": table_in(t.GAMES),
        "prop_lines": table_in(t.PROP_LINES),
    },
)
def prediction_grades(
    predictions: pl.DataFrame, actuals: pl.DataFrame, games: pl.DataFrame, prop_lines: pl.DataFrame
) -> pl.DataFrame:
    # Only finished games with a boxscore are graded: a player missing from a game not yet played,
    # or whose boxscore is late, is not a VOID. The late boxscore re-runs this partition when it lands.
    final = logic.final_games(games)
    graded = predictions.join(final, on="game_id", how="semi")
    closing = pricing.closing_lines(prop_lines, games.join(final, on="game_id", how="semi"))
    return logic.grade_predictions(graded, actuals, closing)


@table_asset(
    t.SYSTEM_DAILY_PERFORMANCE,
    (
        "One row per (game_date, system_id): predictions, graded, coverage, MAE, bias, hit rate "
        "(overall, OVER, UNDER), ROI at the price taken and at -110, CLV and Brier score of p_over."
    ),
    owners=MODEL_OWNERS,
    code_version=CODE_VERSION,
    automation_condition=GRADED_DAYS,
    ins={"grades": table_in(t.PREDICTION_GRADES)},
)
def system_daily_performance(grades: pl.DataFrame) -> pl.DataFrame:
    return logic.daily_performance(grades)


@table_asset(
    t.CHAMPION,
    (
        "One row per game_date: the prediction system backing the day's picks (the champion), with its "
        "trailing-window figures (priced bets, ROI at the price taken, hit rate, CLV) beside the best "
        "challenger's, decided from graded days before D only (the rule: docs/grading.md)."
    ),
    owners=MODEL_OWNERS,
    code_version=CODE_VERSION,
    automation_condition=RERUN,
    deps=[
        # Lineage: the rule reads the graded days of the window before D through the lake reader (and
        # replays the titles before it); a re-graded day re-runs the days whose window holds it.
        dg.AssetDep(
            t.SYSTEM_DAILY_PERFORMANCE.key,
            partition_mapping=dg.TimeWindowPartitionMapping(
                start_offset=-champion_logic.RULE.window_days, end_offset=-1
            ),
        )
    ],
)
def champion(context: dg.AssetExecutionContext, lake: LakeResource):
    days = partition_dates(context)
    perf = lake.reader().rows(t.SYSTEM_DAILY_PERFORMANCE, before=max(days), columns=champion_logic.PERFORMANCE_COLUMNS)
    out = champion_logic.champion_history(perf, days)
    promotions = out.filter(pl.col("promoted"))
    # Each day's event carries its champion and figures; a promotion's says who it replaced and by how much.
    for row in out.iter_rows(named=True):
        meta = {k: v for k, v in row.items() if k != "game_date" and v is not None}
        meta["window_start"] = str(row["window_start"])
        if row["promoted"]:
            context.log.info(
                f"{row['game_date']}: {row['champion']} replaces {row['previous_champion']} "
                f"(ROI {row['champion_roi']} over {row['champion_bets']} bets)"
            )
        context.add_asset_metadata(meta, partition_key=str(row["game_date"]))
    yield dg.Output(
        out,
        metadata=run_metadata(context, {
            "rule": champion_logic.RULE.describe(),
            "promotions": dg.MetadataValue.json(
                [{"day": str(d), "champion": c, "replaces": p} for d, c, p in
                 promotions.select("game_date", "champion", "previous_champion").iter_rows()]
            ),
        }),  # fmt: skip
    )


@dg.asset(
    key=t.SEASON_REPORT.key,
    group_name=t.SEASON_REPORT.layer,
    freshness_policy=t.SEASON_REPORT.freshness_policy,
    description=(
        "Season report over every graded day: per system MAE and hit rate by month and on the rows every "
        "system predicted, p_over reliability by decile and Brier vs the base rate, how each refresh's "
        "recommendations did, hit rate over time (PNG plots in metadata). Refreshed on demand or weekly."
    ),
    owners=MODEL_OWNERS,
    kinds={"duckdb", "polars"},
    code_version=CODE_VERSION,
    deps=[t.PREDICTION_GRADES.key, t.RECOMMENDATION_HISTORY.key],
)
def season_report(lake: LakeResource) -> dg.MaterializeResult:
    reader = lake.reader()
    grades = reader.rows(t.PREDICTION_GRADES, columns=report_logic.REPORT_COLUMNS)
    rep = report_logic.season_report(grades)
    by_refresh = report_logic.by_refresh(graded_history(reader))
    coverage_md = report_logic.to_markdown(report_logic.coverage_by_month(daily_coverage(reader)))
    return dg.MaterializeResult(
        metadata={
            "graded_rows": grades.height,
            "coverage_by_month": dg.MetadataValue.md(coverage_md),
            "by_system": dg.MetadataValue.md(rep.overall_md),
            "by_system_same_rows": dg.MetadataValue.md(rep.same_rows_md),
            "p_over_skill": dg.MetadataValue.md(rep.skill_md),
            "reliability_by_decile": dg.MetadataValue.md(rep.reliability_md),
            "history_by_refresh": dg.MetadataValue.md(report_logic.to_markdown(by_refresh)),
            "by_month": dg.MetadataValue.md(rep.monthly_md),
            "calibration": png_markdown(rep.calibration_png, "calibration of p_over"),
            "hit_rate_over_time": png_markdown(rep.hit_rate_png, "hit rate over time"),
            "mae_by_month": png_markdown(rep.mae_png, "MAE by month"),
        }
    )


# The season report reads every season: per window of this many days, so its memory is one window's
# (one season at once took a process from ~0.2 to ~0.5 GB resident; three seasons grow with them).
REPORT_WINDOW_DAYS = 92


def graded_history(reader: LakeReader, window_days: int = REPORT_WINDOW_DAYS) -> pl.DataFrame:
    """Every recommendation ever made (not only the last pre-tip one) of a final game, graded as a
    prediction is, with report.BY_REFRESH_COLUMNS only. Read and graded window by window (a game's
    recommendations, its game row and its players' summary rows share its game_date): the rows of
    grading everything at once, in the same order."""
    parts = []
    for lo, before in day_windows(reader.days(t.RECOMMENDATION_HISTORY), window_days):
        history, games, actuals = (
            reader.rows(table, since=lo, before=before, window_files=True, columns=columns)
            for table, columns in (
                (t.RECOMMENDATION_HISTORY, logic.GRADED_PREDICTION_COLUMNS),
                (t.GAMES, logic.FINAL_GAME_COLUMNS),
                (t.PLAYER_GAME_SUMMARY, logic.ACTUAL_COLUMNS),
            )
        )
        graded = logic.grade_predictions(history.join(logic.final_games(games), on="game_id", how="semi"), actuals)
        parts.append(graded.select(report_logic.BY_REFRESH_COLUMNS))
    if not parts:
        return t.PREDICTION_GRADES.empty().select(report_logic.BY_REFRESH_COLUMNS)
    return pl.concat(parts, how="vertical")


def daily_coverage(reader: LakeReader, window_days: int = REPORT_WINDOW_DAYS) -> pl.DataFrame:
    """checks.coverage.daily_coverage of every day of the lake, window by window (each day's figures
    need only that day's rows): the same frame as all days at once."""
    days = [d for table in coverage.COVERAGE_COLUMNS for d in reader.days(table)]
    parts = [
        coverage.load_daily_coverage(reader, lo, before - dt.timedelta(days=1))
        for lo, before in day_windows(days, window_days)
    ]
    return pl.concat(parts, how="vertical") if parts else coverage.load_daily_coverage(reader)


GRADING_ASSETS = [prediction_grades, system_daily_performance, champion, season_report]
