"""Duplicates on a table's business key (lessons 1 and 2, docs/architecture.md).

Keys are `nba_assets.contracts.BUSINESS_KEYS`. They are checked within each game_date: a partition is one
day, and NBA.com reuses a game_id when a game is rescheduled, so (key, game_date) is the unit that must
be unique; a range run over many days then reports exactly what the per-day runs would.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from checks.result import RuleResult, from_offending


def _group(df: pl.DataFrame, key: Sequence[str], per_date: bool) -> list[str]:
    group = list(key)
    if per_date and "game_date" in df.columns and "game_date" not in group:
        group = ["game_date", *group]
    missing = [c for c in group if c not in df.columns]
    if missing:
        raise ValueError(f"business key column(s) {missing} not in frame columns {df.columns}")
    return group


def _dupes(df: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    return df.group_by(group).agg(pl.len().alias("n_rows")).filter(pl.col("n_rows") > 1)


def _null_key(key: Sequence[str]) -> pl.Expr:
    return pl.any_horizontal([pl.col(c).is_null() for c in key])


def _result(dupes: pl.DataFrame, key: Sequence[str], group: list[str], rows: int, null_keys: int) -> RuleResult:
    extra_rows = int(dupes["n_rows"].sum() - dupes.height) if dupes.height else 0
    return from_offending(
        dupes,
        ok=f"{rows} rows, every ({', '.join(key)}) unique",
        problem="{n} duplicated key(s) on {dates} date(s), " + f"{extra_rows} surplus row(s)",
        extra={"rows": rows, "surplus_rows": extra_rows, "rows_with_null_key": null_keys},
        sort_by=[*group],
    )


def duplicate_keys(df: pl.DataFrame, key: Sequence[str], *, per_date: bool = True) -> RuleResult:
    """Keys that occur more than once; a null in a key column counts as a value (MERGE-on-NULL bug)."""
    group = _group(df, key, per_date)
    null_keys = df.filter(_null_key(key)).height if df.height else 0
    return _result(_dupes(df, group), key, group, df.height, null_keys)


def duplicate_keys_by_day(df: pl.DataFrame, key: Sequence[str], days: Sequence[str]) -> dict[str, RuleResult]:
    """`duplicate_keys(<that day's rows>, key)` for every day of `days` (ISO dates), from one pass over
    the frame: a range run logs one result per day and table (checks/per_day.py), and one group-by over
    the range instead of one per day keeps that cheap. Needs a game_date column (the unit the keys are
    unique within); without one, every day's rows are none, as `checks.per_day.ByDay` splits them."""
    if "game_date" not in df.columns or df.height == 0:
        empty = df.head(0)
        return {d: duplicate_keys(empty, key) for d in days}
    group = _group(df, key, per_date=True)
    dupes = _dupes(df, group)
    by_day = {str(k[0]): v for k, v in dupes.partition_by("game_date", as_dict=True).items()} if dupes.height else {}
    rows = {str(d): n for d, n in df.group_by("game_date").len().iter_rows()}
    nulls = {str(d): n for d, n in df.filter(_null_key(key)).group_by("game_date").len().iter_rows()}
    none = dupes.head(0)
    return {d: _result(by_day.get(d, none), key, group, rows.get(d, 0), nulls.get(d, 0)) for d in days}
