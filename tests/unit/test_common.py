"""Helpers of nba_assets/common.py that asset bodies share."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets.common import by_day, by_week, day_windows
from nba_assets.partitions import week_key


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


def test_by_week_splits_by_the_model_week_monday_first_in_order():
    sunday, monday = dt.date(2026, 1, 4), dt.date(2026, 1, 5)
    frame = pl.DataFrame({"game_date": [monday, sunday, monday + dt.timedelta(days=6), sunday - dt.timedelta(days=6)],
                          "x": [1, 2, 3, 4]})
    split = by_week(frame)
    assert list(split) == [week_key(monday), week_key(sunday)]  # first seen first
    assert split[week_key(monday)]["x"].to_list() == [1, 3]  # Monday..Sunday is one week
    assert split[week_key(sunday)]["x"].to_list() == [2, 4]
    assert split[week_key(monday)].columns == ["game_date", "x"]
    assert by_week(frame.clear()) == {}


def test_by_week_of_a_range_in_day_order_gives_the_same_weeks_as_any_order():
    first = dt.date(2025, 12, 25)
    days = [first + dt.timedelta(days=i) for i in range(20) for _ in range(i % 3)]  # some days have no rows
    frame = pl.DataFrame({"game_date": days, "x": list(range(len(days)))})
    in_order = by_week(frame)
    shuffled = by_week(frame.reverse())
    assert list(in_order) == sorted(shuffled) == sorted({week_key(d) for d in days})  # Thu 25 Dec..Tue 13 Jan: 4 weeks
    for key, part in in_order.items():
        assert part.equals(shuffled[key].reverse())
        assert {week_key(d) for d in part["game_date"]} == {key}
    assert sum(p.height for p in in_order.values()) == frame.height
