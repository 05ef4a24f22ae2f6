"""Everything in sensors/, for definitions.py to assemble."""

from __future__ import annotations

from sensors.alerts import alerts_sensor
from sensors.automation import nba_automation
from sensors.health import health_job, hourly_health_schedule, record_run_failures
from sensors.late_boxscores import late_boxscore_sensor
from sensors.outages import source_recovery_sensor
from sensors.schedules import SCHEDULES, game_day_sim_sensor, slate_refresh_sensor
from sensors.verify import verify_lake_job, verify_lake_schedule, verify_recent_schedule

SENSORS = [nba_automation, late_boxscore_sensor, source_recovery_sensor, record_run_failures, alerts_sensor,
           slate_refresh_sensor, game_day_sim_sensor]
ALL_SCHEDULES = [*SCHEDULES, hourly_health_schedule, verify_recent_schedule, verify_lake_schedule]
ALL_JOBS = [health_job, verify_lake_job]
