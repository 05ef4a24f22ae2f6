"""Jobs: selections of assets that run together. Every job is defined here once and imported as an object
(schedules, the health check, the CLI and the tests use `job.name`, never a spelled-out name)."""

from __future__ import annotations

import dagster as dg

from nba_assets import tables as t
from nba_assets.history import GAME_DAY_JOB

# Scheduled runs are retried by the daemon from the failed step (dagster.yaml enables run retries).
RUN_RETRY_TAGS = {"dagster/max_retries": "2", "dagster/retry_strategy": "FROM_FAILURE"}


def keys(*tables: t.Table) -> list[dg.AssetKey]:
    return [table.key for table in tables]


DAILY_LAYERS = dg.AssetSelection.groups("raw", "analytics", "features")
PREDICT_AND_GRADE = dg.AssetSelection.assets(*keys(t.RECOMMENDATION_HISTORY, t.PLAYER_PROP_PREDICTIONS,
                                                   t.PREDICTION_GRADES, t.SYSTEM_DAILY_PERFORMANCE,
                                                   t.CHAMPION))

# raw -> analytics -> features for a range of game days (one single run per range).
ingest_job = dg.define_asset_job(
    "ingest_and_features", selection=DAILY_LAYERS, description="raw -> analytics -> features"
)
# predictions -> grades -> daily performance for a range of game days.
predict_job = dg.define_asset_job(
    "predict_and_grade", selection=PREDICT_AND_GRADE, description="predictions -> grading"
)
# The weekly walk-forward model: backfills and the Monday schedule (which adds RUN_RETRY_TAGS).
train_job = dg.define_asset_job(
    "train_points_model",
    selection=dg.AssetSelection.assets(t.POINTS_MODEL.key),
    description="train the walk-forward LightGBM model for a week",
)
# The published JSON documents (nba_assets/exports.py) for a range of game days.
exports_job = dg.define_asset_job(
    "publish_exports", selection=dg.AssetSelection.groups("exports"), description="the JSON exports"
)
report_job = dg.define_asset_job("season_report", selection=dg.AssetSelection.assets(t.SEASON_REPORT.key))

# The game-day run's subsets: each scheduled request picks one (asset_selection) and one day.
RESULTS = keys(t.SCHEDULE, t.BDL_GAMES, t.BDL_BOXSCORES, t.NBACOM_BOXSCORES)
PREDICT = keys(t.RECOMMENDATION_HISTORY, t.PLAYER_PROP_PREDICTIONS)
SLATE = [*keys(t.SCHEDULE, t.BDL_GAMES, t.INJURIES, t.INJURY_REPORT, t.PROP_LINES, t.GAME_LINES, t.GAMES,
                t.PLAYER_FEATURES), *PREDICT]
# A slate refresh (sensors/slate_refresh.py): the latest lines and injury report, then re-predict.
LINES = [*keys(t.PROP_LINES, t.GAME_LINES, t.INJURIES, t.INJURY_REPORT), *PREDICT]
# Off-days still write today's (empty) raw and prediction partitions: a handful of cheap requests and no
# model work, and it keeps the freshness policies honest through the All-Star break and the off-season.
OFF_DAY = [*SLATE, *keys(t.BDL_BOXSCORES, t.NBACOM_BOXSCORES)]

game_day_job = dg.define_asset_job(
    GAME_DAY_JOB,
    selection=dg.AssetSelection.assets(*{*RESULTS, *SLATE, *OFF_DAY}),
    tags=RUN_RETRY_TAGS,
    description="Game-day runs: yesterday's results, today's slate, line refreshes (see nba/reason tag).",
)

# Which job materializes a layer's daily partitions (the CLI's `backfill --select <layer>`).
JOB_OF_LAYER: dict[str, dg.UnresolvedAssetJobDefinition] = {
    "raw": ingest_job, "analytics": ingest_job, "features": ingest_job,
    "predictions": predict_job, "grading": predict_job, "exports": exports_job,
}

JOBS = [ingest_job, predict_job, train_job, report_job, game_day_job, exports_job]
