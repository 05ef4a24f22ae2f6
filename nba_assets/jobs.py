"""Jobs: selections of assets that run together (backfills, the daily game-day run, the retrain)."""

from __future__ import annotations

import dagster as dg

DAILY_LAYERS = dg.AssetSelection.groups("raw", "analytics", "features")
PREDICT_AND_GRADE = dg.AssetSelection.assets(
    ["predictions", "player_prop_predictions"],
    ["grading", "prediction_grades"],
    ["grading", "system_daily_performance"],
)

# raw -> analytics -> features for a range of game days (one single run per range).
ingest_job = dg.define_asset_job(
    "ingest_and_features", selection=DAILY_LAYERS, description="raw -> analytics -> features"
)
# predictions -> grades -> daily performance for a range of game days.
predict_job = dg.define_asset_job(
    "predict_and_grade", selection=PREDICT_AND_GRADE, description="predictions -> grading"
)
# The weekly walk-forward model.
train_job = dg.define_asset_job(
    "train_points_model",
    selection=dg.AssetSelection.assets(["predictions", "points_model"]),
    description="train the walk-forward LightGBM model for a week",
)
report_job = dg.define_asset_job(
    "season_report", selection=dg.AssetSelection.assets(["grading", "season_report"])
)

JOBS = [ingest_job, predict_job, train_job, report_job]
