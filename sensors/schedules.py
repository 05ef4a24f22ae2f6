"""Schedules: the daily game-day run, pre-tip line refreshes, the weekly retrain.

Off-days do nothing expensive: when neither yesterday nor today has games the morning run only writes
today's empty partitions (no boxscore pages, no event odds, no model work), and the line refresh
skips days without an upcoming tip-off.
"""


import datetime as dt

import dagster as dg
import polars as pl

from nba_assets import tables
from nba_assets.jobs import LINES, OFF_DAY, RESULTS, RUN_RETRY_TAGS, SLATE, game_day_job, train_job
from nba_assets.partitions import ET, TIMEZONE
from resources.lake import LakeReader, LakeResource

__all__ = ["LINES", "OFF_DAY", "RESULTS", "SLATE", "SCHEDULES", "game_day_requests", "line_refresh_requests"]


def games_on(reader: LakeReader, days: list[dt.date]) -> dict[dt.date, pl.DataFrame] | None:
    """Schedule rows per day from the lake, or None when the lake has no schedule yet."""
    if tables.SCHEDULE.view not in reader.tables():
        return None
    lo, hi = min(days), max(days)
    df = reader.query(
        f"select game_date, game_id, tipoff_utc, status from {tables.SCHEDULE.view} "
        f"where game_date between DATE '{lo}' and DATE '{hi}'"
    )
    return {d: df.filter(pl.col("game_date") == d) for d in days}


def game_day_requests(today: dt.date, games: dict[dt.date, pl.DataFrame] | None) -> list[dg.RunRequest]:
    """Pure: what the morning run asks for. Unknown schedule (empty lake) counts as a game day."""
    yesterday = today - dt.timedelta(days=1)
    n_y = None if games is None else games[yesterday].height
    n_t = None if games is None else games[today].height
    if n_y == 0 and n_t == 0:
        return [_request(f"offday-{today}", today, OFF_DAY, "off-day: empty partitions only")]
    reqs = []
    if n_y != 0:
        reqs.append(_request(f"results-{yesterday}", yesterday, RESULTS, "yesterday's results"))
    if n_t != 0:
        reqs.append(_request(f"slate-{today}", today, SLATE, "today's slate"))
    else:
        reqs.append(_request(f"offday-{today}", today, OFF_DAY, "no games today: empty partitions only"))
    return reqs


def _request(run_key: str, day: dt.date, keys: list[dg.AssetKey], reason: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key, partition_key=str(day), asset_selection=keys, tags={"nba/reason": reason}
    )


@dg.schedule(
    cron_schedule="0 8 * * *",
    execution_timezone=TIMEZONE,
    job=game_day_job,
    name="game_day_schedule",
    description="08:00 ET: yesterday's results and today's slate (off-days: schedule only).",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def game_day_schedule(context: dg.ScheduleEvaluationContext, lake: LakeResource):
    today = context.scheduled_execution_time.astimezone(ET).date()
    reqs = game_day_requests(today, games_on(lake.reader(), [today - dt.timedelta(days=1), today]))
    return reqs


def line_refresh_requests(now: dt.datetime, games_today: pl.DataFrame | None) -> dg.RunRequest | dg.SkipReason:
    """Pure: refresh lines only while some game today has not tipped off."""
    today = now.astimezone(ET).date()
    if games_today is not None:
        upcoming = games_today.filter(pl.col("tipoff_utc") > now)
        if upcoming.height == 0:
            return dg.SkipReason(f"no game left to tip off on {today}")
    return _request(f"lines-{now.astimezone(ET):%Y-%m-%dT%H}", today, LINES, "pre-tip line refresh")


@dg.schedule(
    cron_schedule="0 11,14,17,18,19 * * *",
    execution_timezone=TIMEZONE,
    job=game_day_job,
    name="line_refresh_schedule",
    description="Pre-tip prop-line snapshots on game days (skips when no tip-off is left today).",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def line_refresh_schedule(context: dg.ScheduleEvaluationContext, lake: LakeResource):
    now = context.scheduled_execution_time.astimezone(dt.UTC)
    today = now.astimezone(ET).date()
    games = games_on(lake.reader(), [today])
    return line_refresh_requests(now, None if games is None else games[today])


@dg.schedule(
    cron_schedule="0 6 * * 1",
    execution_timezone=TIMEZONE,
    job=train_job,
    name="weekly_retrain_schedule",
    description="Mondays 06:00 ET: train this week's walk-forward model before the slate run.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_retrain_schedule(context: dg.ScheduleEvaluationContext):
    monday = context.scheduled_execution_time.astimezone(ET).date()
    return dg.RunRequest(run_key=f"retrain-{monday}", partition_key=str(monday), tags=RUN_RETRY_TAGS)


SCHEDULES = [game_day_schedule, line_refresh_schedule, weekly_retrain_schedule]
