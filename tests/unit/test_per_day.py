"""Splitting a check's frames by day (checks/per_day.py): each day sees exactly its rows."""

from __future__ import annotations

import datetime as dt

import polars as pl

from checks.per_day import ByDay, on_frames, records_by_day
from checks.result import from_offending


def _frame(days: list[str], key: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"game_date": [dt.date.fromisoformat(d) for d in days], "k": key})


def test_by_day_gives_each_day_its_rows_and_an_empty_typed_frame_for_a_day_without_rows():
    a = _frame(["2025-12-01", "2025-12-01", "2025-12-02"], [1, 1, 2])
    b = _frame(["2025-12-02"], [9])
    split = ByDay(a, b)
    d1a, d1b = split.day("2025-12-01")
    assert d1a["k"].to_list() == [1, 1] and d1b.height == 0 and d1b.schema == b.schema
    assert split.day("2025-12-03")[0].height == 0


def test_on_frames_runs_the_rule_per_day_and_over_the_whole_range():
    rule = on_frames(
        lambda f: from_offending(f.filter(pl.col("k").is_duplicated()), ok="ok", problem="{n} dup"),
        _frame(["2025-12-01", "2025-12-01", "2025-12-02"], [1, 1, 1]),
    )
    assert not rule.whole().passed and rule.whole().n_offending == 3  # the range sees the cross-day repeat
    assert not rule.day("2025-12-01").passed and rule.day("2025-12-01").n_offending == 2
    assert rule.day("2025-12-02").passed  # one row that day: no duplicate within the day


def test_records_without_a_date_go_to_the_first_day_so_none_is_lost():
    recs = pl.DataFrame({"game_date": [None, dt.date(2025, 12, 2)], "rule": ["bad shape", "null points"]},
                        schema={"game_date": pl.Date, "rule": pl.Utf8})
    got = records_by_day(recs, ["2025-12-01", "2025-12-02", "2025-12-03"])
    assert got["2025-12-01"]["rule"].to_list() == ["bad shape"]
    assert got["2025-12-02"]["rule"].to_list() == ["null points"]
    assert got["2025-12-03"].height == 0
    assert sum(f.height for f in got.values()) == recs.height
