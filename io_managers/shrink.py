"""The shrink guard: a re-write never empties or halves a day of final facts unless something says so.

A day's file is replaced whole on every re-run (io_managers/lake.py). That makes a re-run idempotent, and
it also means a re-run that found nothing (landing files gone, a source answering empty) replaces a good
day with an empty one, silently: the row-count check takes an empty day for a day off. The lake IO
manager therefore asks `judge` about every day it is about to replace, before writing any of them:

- a source that is down (the raw asset's `source_unavailable` metadata, nba_assets/outage.py) never
  shrinks a day: the old file is kept, the step goes on, the outage stays recorded as before;
- a table whose day holds final facts (its registry entry has `max_drop`, nba_assets/tables.py) may
  not lose every row, nor more than that share of them, unless the day's schedule marks games postponed
  or cancelled, or the run carries the tag `nba_lake/allow_shrink=true` (`nba-lake backfill
  --allow-shrink`; in the UI: Materialize -> add the tag). Otherwise the step fails naming table, day,
  old and new counts, and no day of the step is written.

Tables that shrink legitimately (the current injury report, a pulled prop line) have no `max_drop`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

ALLOW_SHRINK_TAG = "nba_lake/allow_shrink"
# The raw assets' output metadata naming the days whose source was down ({day: error}; nba_assets/raw.py).
SOURCE_DOWN_KEY = "source_unavailable"
WRITE, KEEP = "write", "keep"


class ShrinkRefusedError(ValueError):
    """A re-write would empty or cut a guarded day without a reason; nothing of the step was written."""


@dataclass(frozen=True)
class Verdict:
    action: str  # WRITE the new file, or KEEP the old one
    note: str = ""  # why a shrink was let through or the old file kept ("" for an ordinary write)


def allowed_by_tags(tags: Mapping[str, str]) -> bool:
    return str(tags.get(ALLOW_SHRINK_TAG, "")).strip().lower() in ("1", "true", "yes")


def down_days(output_metadata: Mapping[str, Any] | None) -> set[str]:
    """Days an asset found its source down: its output metadata's SOURCE_DOWN_KEY ({day: error})."""
    value = (output_metadata or {}).get(SOURCE_DOWN_KEY)
    data = getattr(value, "value", value)  # a MetadataValue.json, or the plain dict
    return set(data) if isinstance(data, dict) else set()


def postponed_games(schedule: pl.DataFrame) -> int:
    """Games of a schedule frame marked postponed or cancelled (a file from before the column: none)."""
    return int(schedule["postponed"].sum()) if "postponed" in schedule.columns else 0


def judge(
    old_rows: int | None,
    new_rows: int,
    *,
    max_drop: float | None,
    source_down: bool = False,
    postponed: Callable[[], int] = lambda: 0,
    allowed: bool = False,
) -> Verdict | str:
    """The verdict on replacing a day of `old_rows` (None: no file yet) by one of `new_rows`, or the
    refusal's reason (a str). `postponed()` counts the day's games the schedule marks postponed or
    cancelled; it is asked only when a guarded day would shrink too much."""
    if old_rows is None or new_rows >= old_rows:
        return Verdict(WRITE)
    if source_down:
        return Verdict(KEEP, f"source down: kept the previous file ({old_rows} rows), not {new_rows}")
    if max_drop is None:
        return Verdict(WRITE)
    if new_rows > 0 and new_rows >= old_rows * (1 - max_drop):
        return Verdict(WRITE)
    n_off = postponed()
    if n_off:
        return Verdict(WRITE, f"{old_rows} -> {new_rows} rows: the schedule marks {n_off} game(s) postponed or cancelled")
    if allowed:
        return Verdict(WRITE, f"{old_rows} -> {new_rows} rows: allowed by the run tag {ALLOW_SHRINK_TAG}")
    what = "every row" if new_rows == 0 else f"{1 - new_rows / old_rows:.0%} of its rows (more than {max_drop:.0%})"
    return f"{old_rows} -> {new_rows} rows, losing {what}, and the schedule marks no game postponed or cancelled"


def judge_days(
    label: str,
    new_rows: Mapping[str, int],
    old_rows: Mapping[str, int | None],
    *,
    max_drop: float | None,
    down_days: set[str],
    postponed: Callable[[str], int],
    allowed: bool,
) -> dict[str, Verdict]:
    """`judge` for every day of a step's output; raises ShrinkRefusedError naming every refused day."""
    verdicts: dict[str, Verdict] = {}
    refused: list[str] = []
    for day, n in new_rows.items():
        got = judge(old_rows.get(day), n, max_drop=max_drop, source_down=day in down_days,
                    postponed=lambda d=day: postponed(d), allowed=allowed)
        if isinstance(got, str):
            refused.append(f"{label} {day}: {got}")
        else:
            verdicts[day] = got
    if refused:
        more = f" (and {len(refused) - 10} more day(s))" if len(refused) > 10 else ""
        raise ShrinkRefusedError(
            f"refused to shrink {len(refused)} day(s), nothing of this step was written: "
            + "; ".join(refused[:10]) + more
            + f". If this is on purpose: nba-lake backfill --allow-shrink, or the run tag {ALLOW_SHRINK_TAG}=true"
        )
    return verdicts
