"""Duplicates on a table's business key (lessons 1 and 2, docs/architecture.md).

Keys are `nba_assets.contracts.BUSINESS_KEYS`. They are checked within each game_date: a partition is one
day, and NBA.com reuses a game_id when a game is rescheduled, so (key, game_date) is the unit that must
be unique; a range run over many days then reports exactly what the per-day runs would.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from checks.result import RuleResult, from_offending


def duplicate_keys(df: pl.DataFrame, key: Sequence[str], *, per_date: bool = True) -> RuleResult:
    """Keys that occur more than once; a null in a key column counts as a value (MERGE-on-NULL bug)."""
    group = list(key)
    if per_date and "game_date" in df.columns and "game_date" not in group:
        group = ["game_date", *group]
    missing = [c for c in group if c not in df.columns]
    if missing:
        raise ValueError(f"business key column(s) {missing} not in frame columns {df.columns}")
    dupes = (
        df.group_by(group)
        .agg(pl.len().alias("n_rows"))
        .filter(pl.col("n_rows") > 1)
    )
    extra_rows = int(dupes["n_rows"].sum() - dupes.height) if dupes.height else 0
    null_keys = df.filter(pl.any_horizontal([pl.col(c).is_null() for c in key])).height if df.height else 0
    return from_offending(
        dupes,
        ok=f"{df.height} rows, every ({', '.join(key)}) unique",
        problem="{n} duplicated key(s) on {dates} date(s), " + f"{extra_rows} surplus row(s)",
        extra={"rows": df.height, "surplus_rows": extra_rows, "rows_with_null_key": null_keys},
        sort_by=[*group],
    )
