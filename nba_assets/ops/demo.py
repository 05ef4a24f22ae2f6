"""The demo window: the game days `make demo` backfills on the embedded simulated league."""

from __future__ import annotations

import datetime as dt

from resources.env import resources_for

# The demo starts in the middle of the previous season so the walk-forward model has ~3 months of
# history before the current season, and the whole run stays near 5 minutes on 2 cores (raw ingest
# costs ~1.2 s per game day). The full-season figures come from `make bench`. Override with --days.
DEMO_FIRST_DAY = dt.date(2026, 1, 12)  # a Monday, so model weeks align with the window


def demo_window(days: int | None = None) -> tuple[dt.date, dt.date]:
    end = resources_for()["sources"].today()  # the sim clock in sim mode, else the real date (ET)
    start = end - dt.timedelta(days=days) if days else DEMO_FIRST_DAY
    return start, end
