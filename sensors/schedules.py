"""Schedules: the daily game-day run and the weekly retrain; the slate-driven refresh sensor.

The game-day run follows the sources' clock: live, `game_day_schedule` (08:00 ET on the wall clock, which
is the sources' clock); on the simulated league, `game_day_sim_sensor` (08:00 ET on the sim clock, so an
operator who moves the sim clock gets the morning run of the simulated day) and the schedule skips.

Off-days do nothing expensive: when neither yesterday nor today has games the morning run only writes
today's empty partitions (no boxscore pages, no event odds, no model work), and the slate refresh
sensor requests nothing on days without an upcoming tip-off.
"""


import datetime as dt
import os

import dagster as dg
import polars as pl

from nba_assets import tables
from nba_assets.jobs import LINES, OFF_DAY, RESULTS, RUN_RETRY_TAGS, SLATE, game_day_job, train_job
from nba_assets.logic import history
from nba_assets.partitions import ET, TIMEZONE
from resources.lake import LakeReader, LakeResource
from resources.sources import SourcesResource

__all__ = [
    "LINES", "OFF_DAY", "RESULTS", "SLATE", "SCHEDULES", "game_day_requests", "mornings_due", "slate_refresh_requests",
]

MORNING = dt.time(8, 0)  # ET: the game-day run (yesterday's results, today's slate)
MAX_CATCHUP_MORNINGS = 5  # a sim clock moved days ahead launches at most this many mornings (latest first)
# Seconds between ticks of the sim-clock sensors; a soak or a demonstration shortens them.
SLATE_INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_SLATE_SENSOR_INTERVAL_SECONDS", "60"))
GAME_DAY_INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_GAME_DAY_SENSOR_INTERVAL_SECONDS", "60"))
SIM_SKIP = "simulated sources: game_day_sim_sensor launches the game-day run on the sim clock"


def games_on(reader: LakeReader, days: list[dt.date]) -> dict[dt.date, pl.DataFrame | None] | None:
    """Schedule rows per day from the lake (None for a day whose schedule is not in the lake yet: today's
    is written by the morning run itself), or None when the lake has no schedule at all."""
    if tables.SCHEDULE.view not in reader.tables():
        return None
    known = set(reader.days(tables.SCHEDULE))
    lo, hi = min(days), max(days)
    df = reader.query(
        f"select game_date, game_id, tipoff_utc, status from {tables.SCHEDULE.view} "
        f"where game_date between DATE '{lo}' and DATE '{hi}'"
    )
    return {d: df.filter(pl.col("game_date") == d) if d in known else None for d in days}


def game_day_requests(today: dt.date, games: dict[dt.date, pl.DataFrame | None] | None) -> list[dg.RunRequest]:
    """Pure: what the morning run asks for. An unknown schedule (empty lake, or a day not in it yet)
    counts as a game day."""
    yesterday = today - dt.timedelta(days=1)
    n_y = None if games is None or games[yesterday] is None else games[yesterday].height
    n_t = None if games is None or games[today] is None else games[today].height
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
def game_day_schedule(context: dg.ScheduleEvaluationContext, lake: LakeResource, sources: SourcesResource):
    if sources.mode == "sim":
        return dg.SkipReason(SIM_SKIP)
    today = context.scheduled_execution_time.astimezone(ET).date()
    reqs = game_day_requests(today, games_on(lake.reader(), [today - dt.timedelta(days=1), today]))
    return reqs


def slate_refresh_requests(
    now: dt.datetime, games_today: pl.DataFrame | None, last_done: dt.datetime | None
) -> tuple[list[dg.RunRequest], dt.datetime | None]:
    """Pure: the refresh run due at `now` and the new cursor (the last refresh time acted on).

    Refresh times are each game's own (logic/history.refresh_times: 10:00 ET, T-3h, T-1h, T-10m). One run
    for the latest refresh time in (last_done, now]: refreshes missed while the daemon was down collapse
    into one run, and the run's predictions are still as of each refresh (inputs are filtered by time).
    Nothing is requested once every game of the day has tipped off.
    """
    if games_today is None or games_today.height == 0:
        return [], last_done
    known = games_today.filter(pl.col("tipoff_utc").is_not_null())
    points = history.refresh_times(known)
    due = points.filter(
        (pl.col("created_at") <= now)
        & (pl.col("tipoff_utc") > now)
        & (pl.lit(last_done is None) | (pl.col("created_at") > (last_done or now)))
    )
    if due.height == 0:
        return [], last_done
    at = due["created_at"].max()
    day = known["game_date"][0]
    games = due.filter(pl.col("created_at") == at)
    names = ", ".join(f"{r} {g}" for g, r in games.select("game_id", "refresh").iter_rows())
    req = _request(f"refresh-{day}-{at:%Y%m%dT%H%M}", day, LINES, f"slate refresh at {at:%H:%M} UTC ({names})")
    return [req], at


def _game_day_sensor(name: str, interval: int, description: str):
    """A RUNNING sensor of the game-day job (the two that follow the sources' clock)."""
    return dg.sensor(job=game_day_job, name=name, minimum_interval_seconds=interval, description=description,
                     default_status=dg.DefaultSensorStatus.RUNNING)


@_game_day_sensor(
    "slate_refresh_sensor", SLATE_INTERVAL_SECONDS,
    "Slate-driven refreshes: lines, injury report and re-predictions at 10:00 ET and T-3h, T-1h, T-10m "
    "before each game's own tip-off (the sources' clock, so the simulated league drives it).",
)
def slate_refresh_sensor(context: dg.SensorEvaluationContext, lake: LakeResource, sources: SourcesResource):
    now = sources.now()
    today = now.astimezone(ET).date()
    games = games_on(lake.reader(), [today])
    last = dt.datetime.fromisoformat(context.cursor) if context.cursor else None
    if last is not None and last.astimezone(ET).date() != today:
        last = None  # a new game day
    reqs, cursor = slate_refresh_requests(now, None if games is None else games[today], last)
    if cursor is not None:
        context.update_cursor(cursor.isoformat())
    return reqs or dg.SkipReason(f"no refresh due at {now:%Y-%m-%d %H:%M} UTC")


def mornings_due(now: dt.datetime, last_done: dt.date | None) -> tuple[list[dt.date], dt.date]:
    """Pure: the game days whose 08:00 ET morning run is due at `now` (sources' clock) after `last_done`,
    oldest first, and the new cursor. The first evaluation launches nothing (like a schedule's first
    tick, it starts from the next morning); a clock moved days ahead launches the latest
    MAX_CATCHUP_MORNINGS mornings; a clock moved back launches nothing until it passes `last_done` again.
    """
    local = now.astimezone(ET)
    due = local.date() if local.time() >= MORNING else local.date() - dt.timedelta(days=1)
    if last_done is None:
        return [], due
    if due <= last_done:
        return [], last_done
    n = min((due - last_done).days, MAX_CATCHUP_MORNINGS)
    return [due - dt.timedelta(days=i) for i in reversed(range(n))], due


@_game_day_sensor(
    "game_day_sim_sensor", GAME_DAY_INTERVAL_SECONDS,
    "On the simulated league: the 08:00 ET game-day run (yesterday's results, today's slate) when the "
    "sim clock passes 08:00 ET; live sources skip (game_day_schedule runs it on the wall clock).",
)
def game_day_sim_sensor(context: dg.SensorEvaluationContext, lake: LakeResource, sources: SourcesResource):
    if sources.mode != "sim":
        return dg.SkipReason(f"NBA_LAKE_SOURCE={sources.mode}: game_day_schedule launches the game-day run")
    now = sources.now()
    last = dt.date.fromisoformat(context.cursor) if context.cursor else None
    days, cursor = mornings_due(now, last)
    context.update_cursor(cursor.isoformat())
    reqs = [
        req for day in days
        for req in game_day_requests(day, games_on(lake.reader(), [day - dt.timedelta(days=1), day]))
    ]
    return reqs or dg.SkipReason(f"no morning due at {now:%Y-%m-%d %H:%M} UTC (last: {cursor})")


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


SCHEDULES = [game_day_schedule, weekly_retrain_schedule]
