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
from resources.env import resources_for
from sensors.definitions import ALL_JOBS, ALL_SCHEDULES, SENSORS

ALL_ASSETS = [*RAW_ASSETS, *ANALYTICS_ASSETS, *DERIVED_ASSETS, *FEATURE_ASSETS, *PREDICTION_ASSETS, *GRADING_ASSETS,
              *EXPORT_ASSETS]


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[*ALL_ASSETS, pipeline_health],
        asset_checks=all_asset_checks(),
        jobs=[*JOBS, *ALL_JOBS],
        schedules=ALL_SCHEDULES,
        sensors=SENSORS,
        resources=resources_for(),
        # Steps are many and small (an asset plus its checks); a subprocess per step would re-import
        # the project for each (~5-10 s). One process per run is faster on a laptop-sized machine, and
        # a range run already does a season per step.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
