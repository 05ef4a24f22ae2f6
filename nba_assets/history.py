"""The lake's calendar: game dates are days in US Eastern time, and the first one the lake holds is
`NBA_LAKE_FIRST_GAME_DATE` (default 2025-12-01, the first day `make demo` backfills); model weeks start
on Mondays; the game-day job runs daily. Standard library only, so the CLI can check a date range
(`nba_assets.cli.preflight`) and read the lake's status (`nba-lake status`, `checks`) without importing
Dagster; `nba_assets.partitions` builds the partitions from it."""

from __future__ import annotations

import datetime as dt
import os

TIMEZONE = "America/New_York"  # the league's schedule day: a game_date is the Eastern-time date of tip-off
FIRST_GAME_DATE_VAR = "NBA_LAKE_FIRST_GAME_DATE"
DEFAULT_FIRST_GAME_DATE = "2025-12-01"  # a Monday, early 2025-26: model weeks align with it


def first_game_date() -> dt.date:
    """The first `game_dates` partition; a malformed value fails with one line naming the variable."""
    value = os.environ.get(FIRST_GAME_DATE_VAR, "").strip() or DEFAULT_FIRST_GAME_DATE
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{FIRST_GAME_DATE_VAR}={value!r} is not a date (YYYY-MM-DD)") from None


def week_start(day: dt.date) -> dt.date:
    """The Monday that starts `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def week_key(day: dt.date) -> str:
    """The `model_weeks` partition key that contains `day`."""
    return week_start(day).isoformat()


# The daily job that runs yesterday's results and today's slate (nba_assets/jobs.py).
GAME_DAY_JOB = "game_day"
# The game-day run fires daily at 08:00 ET; 26 h allows one late run before we call it stalled.
HEALTH_WINDOW = dt.timedelta(hours=26)

# The game types, by the third digit of an NBA.com game id.
SEASON_TYPES: dict[str, str] = {
    "1": "preseason", "2": "regular", "3": "allstar", "4": "playoffs", "5": "play-in", "6": "cup-final",
}  # fmt: skip
# What the league counts in a player's season statistics (season-to-date features): regular season
# games only; playoffs and play-in have their own statistics, the Cup final and exhibitions none.
SEASON_STAT_TYPES = ("regular",)
