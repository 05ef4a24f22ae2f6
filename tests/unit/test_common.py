"""Helpers of nba_assets/common.py that asset bodies share."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets.common import by_day, day_windows


def test_day_windows_cover_the_first_to_the_last_day_in_order():
    d = dt.date(2026, 1, 1)
    assert day_windows([], 30) == []
    assert day_windows([d], 30) == [(d, d + dt.timedelta(days=30))]
    days = [d + dt.timedelta(days=i) for i in (9, 0, 4, 9)]  # unsorted, repeated
    assert day_windows(days, 5) == [(d, d + dt.timedelta(days=5)), (d + dt.timedelta(days=5), d + dt.timedelta(days=10))]
    assert day_windows(days, 1)[-1] == (d + dt.timedelta(days=9), d + dt.timedelta(days=10))
    assert len(day_windows(days, 1)) == 10  # every calendar day, gaps included
    with pytest.raises(ValueError, match="at least 1 day, got 0"):
        day_windows(days, 0)


def test_by_day_splits_once_in_order():
    d = dt.date(2026, 1, 1)
    frame = pl.DataFrame({"game_date": [d, d + dt.timedelta(days=1), d], "x": [1, 2, 3]})
    split = by_day(frame)
    assert list(split) == [d, d + dt.timedelta(days=1)]
    assert split[d]["x"].to_list() == [1, 3]
    assert by_day(frame.clear()) == {}
