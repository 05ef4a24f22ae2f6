"""Assembles the code location: assets + checks + sensors + resources for the chosen environment.

Nothing else happens here: the environment switch lives in resources/env.py, logic in the layer modules.
"""

from __future__ import annotations

import dagster as dg

from checks.health import pipeline_health
from checks.registry import all_asset_checks
from nba_assets.analytics import ANALYTICS_ASSETS
from nba_assets.derived import DERIVED_ASSETS
from nba_assets.exports import EXPORT_ASSETS
from nba_assets.features import FEATURE_ASSETS
from nba_assets.grading import GRADING_ASSETS
from nba_assets.jobs import JOBS
from nba_assets.predictions import PREDICTION_ASSETS
from nba_assets.raw import RAW_ASSETS
from nba_assets.raw_feeds import RAW_FEED_ASSETS
from resources.env import executor_for, resources_for
from resources.settings import settings
from sensors.definitions import ALL_JOBS, ALL_SCHEDULES, SENSORS
from sensors.warehouse import WAREHOUSE_JOBS, WAREHOUSE_SENSORS

ALL_ASSETS = [*RAW_ASSETS, *RAW_FEED_ASSETS, *ANALYTICS_ASSETS, *DERIVED_ASSETS, *FEATURE_ASSETS, *PREDICTION_ASSETS,
              *GRADING_ASSETS, *EXPORT_ASSETS]


def build_definitions() -> dg.Definitions:
    s = settings()
    # Prod publishes to BigQuery: its per-day published_to_bigquery checks and the catch-up sensor
    # and job exist there only (sensors/warehouse.py); the assets are the same everywhere.
    warehouse = s.env == "prod"
    return dg.Definitions(
        assets=[*ALL_ASSETS, pipeline_health],
        asset_checks=all_asset_checks(warehouse=warehouse),
        jobs=[*JOBS, *ALL_JOBS, *(WAREHOUSE_JOBS if warehouse else [])],
        schedules=ALL_SCHEDULES,
        sensors=[*SENSORS, *(WAREHOUSE_SENSORS if warehouse else [])],
        resources=resources_for(s),
        executor=executor_for(s),
    )


defs = build_definitions()
