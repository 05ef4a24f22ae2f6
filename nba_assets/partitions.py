"""Partitions shared by every asset.

`game_dates`: one partition per ET calendar date of tip-off, from the first season the lake holds
(2023-24 opening night). `end_offset=1` makes today's slate (schedule, lines, features, predictions)
a partition. Off-days are valid, empty partitions.
"""

from __future__ import annotations

import dagster as dg

TIMEZONE = "America/New_York"
FIRST_GAME_DATE = "2023-10-24"  # 2023-24 opening night

game_dates = dg.DailyPartitionsDefinition(
    start_date=FIRST_GAME_DATE, timezone=TIMEZONE, end_offset=1, fmt="%Y-%m-%d"
)

# The model retrains weekly (Monday-start weeks); the model of week W predicts W's days.
model_weeks = dg.WeeklyPartitionsDefinition(
    start_date="2023-10-23", timezone=TIMEZONE, day_offset=1, end_offset=1, fmt="%Y-%m-%d"
)
