"""A source down for a whole day must not hold the day back.

Every raw asset fetches through `fetch_days`: a day whose source is down (HTTP 5xx or unreachable on
every attempt the client's retry policy makes, resumed pages included) is logged as an error, recorded
in the asset's metadata (`source_unavailable`), and the day is written from what is already landed
(the NBA.com schedule: the season schedule landed on a day before, carried forward), so games,
analytics, features, predictions and grades go on from the other sources (`schedule_sources` and
`source_used` say which). The alerts sensor keeps one incident per source and day; the completeness
check `final_games_in_every_source` names a box score source's missing games. When the source is
back, `source_recovery_sensor` re-ingests every raw table of the day that recorded it down
(sensors/outages.py) and `late_boxscore_sensor` any day whose box scores differ from the lake's;
automation reconciles everything downstream.

Anything else (401, a 4xx, a contract violation) still fails the step: those are bugs or bad keys,
not an outage, and retrying the day later would not fix them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import dagster as dg

from resources.http import AuthError, SourceError


def is_outage(exc: BaseException) -> bool:
    """The source itself is down: 5xx or no answer, after every retry (not a bad key or request)."""
    if isinstance(exc, AuthError) or not isinstance(exc, SourceError):
        return False
    return exc.last_status is None or exc.last_status >= 500


def fetch_days(
    context: dg.AssetExecutionContext, source: str, fetch: Callable[[dt.date], object], days: Iterable[dt.date]
) -> dict[str, str]:
    """fetch(d) for every day; returns {day: error} for the days the source was down."""
    down: dict[str, str] = {}
    for d in days:
        try:
            fetch(d)
        except SourceError as exc:
            if not is_outage(exc):
                raise
            down[str(d)] = str(exc)
            context.log.error(
                f"{source} is down for {d} ({exc}); writing what is landed, the other sources carry "
                "the day and it is re-ingested when the source is back (sensors/outages.py)"
            )
    return down
