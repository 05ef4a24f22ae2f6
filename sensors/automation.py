"""The automation-condition sensor, shipped RUNNING (Dagster's default one starts STOPPED)."""

from __future__ import annotations

import dagster as dg

nba_automation = dg.AutomationConditionSensorDefinition(
    "nba_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    # 30 s keeps late-data reaction within a minute or two without busy-looping the daemon.
    minimum_interval_seconds=30,
    description="Evaluates every asset's automation condition (rerun_on_upstream_update, rerun_today_only).",
)
