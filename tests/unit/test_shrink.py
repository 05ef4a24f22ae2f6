"""The shrink guard's decision (io_managers/shrink.py): pure, every branch."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from io_managers.shrink import (
    ALLOW_SHRINK_TAG,
    KEEP,
    WRITE,
    ShrinkRefusedError,
    Verdict,
    allowed_by_tags,
    down_days,
    judge,
    judge_days,
    postponed_games,
)
from nba_assets import tables


def _no_schedule_asked() -> int:
    raise AssertionError("the schedule is only read for a shrink the share does not allow")


@pytest.mark.parametrize(("old", "new"), [(None, 0), (0, 0), (10, 10), (10, 12), (157, 80)])
def test_growth_a_first_write_or_a_small_drop_writes(old, new) -> None:
    assert judge(old, new, max_drop=0.5, postponed=_no_schedule_asked) == Verdict(WRITE)


def test_emptying_or_halving_a_guarded_day_is_refused_naming_counts() -> None:
    assert judge(157, 0, max_drop=0.5) == (
        "157 -> 0 rows, losing every row, and the schedule marks no game postponed or cancelled")
    assert judge(157, 70, max_drop=0.5).startswith("157 -> 70 rows, losing 55% of its rows (more than 50%)")
    assert judge(4, 1, max_drop=0.5).startswith("4 -> 1 rows")


def test_an_unguarded_table_shrinks_freely() -> None:
    assert judge(157, 0, max_drop=None) == Verdict(WRITE)


def test_postponed_games_or_the_tag_let_the_shrink_through_with_a_note() -> None:
    v = judge(157, 0, max_drop=0.5, postponed=lambda: 2)
    assert v.action == WRITE and "2 game(s) postponed or cancelled" in v.note
    v = judge(157, 0, max_drop=0.5, allowed=True)
    assert v.action == WRITE and ALLOW_SHRINK_TAG in v.note


def test_a_source_down_never_shrinks_a_day_even_unguarded_or_allowed() -> None:
    for max_drop in (None, 0.5):
        v = judge(40, 0, max_drop=max_drop, source_down=True, allowed=True)
        assert v.action == KEEP and "40 rows" in v.note
    assert judge(40, 41, max_drop=None, source_down=True) == Verdict(WRITE)  # more landed: written


def test_judge_days_names_every_refused_day_and_raises_once() -> None:
    with pytest.raises(ShrinkRefusedError) as exc:
        judge_days("raw/schedule", {"2025-12-07": 0, "2025-12-08": 0, "2025-12-09": 9},
                   {"2025-12-07": 7, "2025-12-08": 9, "2025-12-09": 9}, max_drop=0.5, down_days=set(),
                   postponed=lambda d: 0, allowed=False)
    msg = str(exc.value)
    assert "refused to shrink 2 day(s), nothing of this step was written" in msg
    assert "raw/schedule 2025-12-07: 7 -> 0 rows" in msg and "raw/schedule 2025-12-08: 9 -> 0 rows" in msg
    assert "2025-12-09" not in msg and f"{ALLOW_SHRINK_TAG}=true" in msg and "--allow-shrink" in msg
    got = judge_days("raw/schedule", {"a": 0, "b": 3}, {"a": 7}, max_drop=0.5, down_days=set(),
                     postponed=lambda d: 1 if d == "a" else 0, allowed=False)
    assert got["a"].action == WRITE and "postponed" in got["a"].note and got["b"] == Verdict(WRITE)


def test_inputs_tags_outage_metadata_and_schedule_column() -> None:
    assert allowed_by_tags({ALLOW_SHRINK_TAG: "True"}) and allowed_by_tags({ALLOW_SHRINK_TAG: "1"})
    assert not allowed_by_tags({ALLOW_SHRINK_TAG: "no"}) and not allowed_by_tags({})
    assert down_days({"source_unavailable": dg.MetadataValue.json({"2025-12-08": "503"})}) == {"2025-12-08"}
    assert down_days({"source_unavailable": {}}) == set() and down_days(None) == set()
    assert postponed_games(pl.DataFrame({"postponed": [True, False, True]})) == 2
    assert postponed_games(pl.DataFrame({"game_id": ["1"]})) == 0  # a file from before the column


def test_the_registry_guards_final_facts_not_what_shrinks_legitimately() -> None:
    guarded = {t.label for t in tables.LAKE if t.max_drop is not None}
    assert {tables.SCHEDULE.label, tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label,
            tables.PLAYER_GAME_SUMMARY.label, tables.PLAYER_FEATURES.label,
            tables.PREDICTION_GRADES.label} <= guarded
    assert tables.INJURIES.label not in guarded and tables.PROP_LINES.label not in guarded
