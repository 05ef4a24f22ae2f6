"""Partitions, the league's time zone and week arithmetic: defined here once.

`game_dates`: one partition per US-Eastern calendar date of tip-off (the NBA's own game date), from
the first day of history the lake holds (`NBA_LAKE_FIRST_GAME_DATE`, default 2025-12-01: the first day
`make demo` backfills, so the UI shows a complete lake rather than two years of "missing" partitions;
set it to e.g. 2023-10-24 to hold three seasons). `end_offset=1` makes today's slate (schedule, lines,
features, predictions) a partition. Off-days are valid, empty partitions.

`model_weeks`: one partition per Monday-start week; the model of week W predicts W's days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from nba_assets.history import TIMEZONE, first_game_date, week_key, week_start

ET = ZoneInfo(TIMEZONE)
FIRST_GAME_DATE = first_game_date().isoformat()

game_dates = dg.DailyPartitionsDefinition(
    start_date=FIRST_GAME_DATE, timezone=TIMEZONE, end_offset=1, fmt="%Y-%m-%d"
)


def game_date_of(ts: dt.datetime) -> dt.date:
    """The game date (Eastern calendar date) of an aware timestamp."""
    return ts.astimezone(ET).date()


# The week holding the first game date is the first model week.
model_weeks = dg.WeeklyPartitionsDefinition(
    start_date=week_start(first_game_date()).isoformat(),
    timezone=TIMEZONE, day_offset=1, end_offset=1, fmt="%Y-%m-%d",
)


def week_range(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The `model_weeks` partition keys (Mondays) covering start..end."""
    return week_key(start), week_key(end)


def partition_key_for(pdef: dg.PartitionsDefinition | None, day: dt.date) -> str | None:
    """The key of `pdef` that contains `day`: the day for daily partitions (`game_dates`), its Monday
    for weekly ones (`model_weeks`), None for anything not partitioned by time."""
    if not isinstance(pdef, dg.TimeWindowPartitionsDefinition):
        return None
    if pdef.cron_schedule.split()[-1] != "*":  # weekly: the week's first day
        return week_key(day)
    return day.isoformat()
