"""The automation-condition sensor, shipped RUNNING (Dagster's default one starts STOPPED)."""

from __future__ import annotations

import os

import dagster as dg

# 30 s keeps late-data reaction within a minute or two without busy-looping the daemon; the late-boxscore
# scenario (nba_assets/cli/scenario.py) shortens it so its chain of re-runs shows in less time.
INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_AUTOMATION_INTERVAL_SECONDS", "30"))

nba_automation = dg.AutomationConditionSensorDefinition(
    "nba_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=INTERVAL_SECONDS,
    description="Evaluates every asset's automation condition (rerun_on_upstream_update, rerun_today_only).",
)
