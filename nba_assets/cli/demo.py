"""The demo: the game days `make demo` backfills on the embedded simulated league, and the morning
run it leaves behind so the lake looks like one a healthy pipeline keeps.

The window starts at the first `game_dates` partition (NBA_LAKE_FIRST_GAME_DATE, default 2025-12-01,
early 2025-26), so after the demo every partition up to today has its file and the UI shows no
"missing" days. The walk-forward model then has ~3 months of history before the current season, and
the whole run stays near 5 minutes on 2 cores (raw ingest costs ~1.2 s per game day). The full-season
figures come from `make bench`. `--days N` backfills only the last N days.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from nba_assets.partitions import first_game_date
from resources.env import resources_for
from sensors.schedules import game_day_requests, games_on


def demo_window(days: int | None = None) -> tuple[dt.date, dt.date]:
    end = resources_for()["sources"].today()  # the sim clock in sim mode, else the real date (ET)
    start = max(end - dt.timedelta(days=days), first_game_date()) if days else first_game_date()
    return start, end


def morning_requests(today: dt.date) -> list[dg.RunRequest]:
    """What the 08:00 ET game-day schedule would ask for today, read from the lake the demo built."""
    reader = resources_for()["lake"].reader()
    return game_day_requests(today, games_on(reader, [today - dt.timedelta(days=1), today]))
