"""The demo window: the game days `make demo` backfills on the embedded simulated league."""

from __future__ import annotations

import datetime as dt

from nba_assets.common import today_et

# The demo backfills the previous season too, so the walk-forward model has history to learn from and
# the 2025-26 season can be graded end to end (issue: predictions). Override with --days.
DEMO_FIRST_DAY = dt.date(2025, 10, 21)  # 2025-26 opening night


def demo_window(days: int | None = None) -> tuple[dt.date, dt.date]:
    end = today_et()
    start = end - dt.timedelta(days=days) if days else DEMO_FIRST_DAY
    return start, end
