"""What every asset shares: the table decorator, partition-window helpers, retry policy, owners."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from typing import Any

import dagster as dg
import polars as pl

from io_managers.lake import sorted_runs
from nba_assets.lineage import definition_metadata
from nba_assets.partitions import game_dates
from nba_assets.tables import Table
from nba_assets.types import contract_type
from resources.http import RETRY_BUDGET

OWNERS = ["team:data-eng"]
MODEL_OWNERS = ["team:modelling"]

# Network-facing assets: the HTTP clients already retry single requests (429/5xx/timeouts); a step
# retry covers what outlives those attempts (a source down for minutes, a page that keeps failing).
# Jitter keeps parallel partitions from retrying in lockstep.
NETWORK_RETRY = dg.RetryPolicy(
    max_retries=RETRY_BUDGET.step_retries, delay=RETRY_BUDGET.step_delay_s,
    backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS,
)  # the "per run" part of the one retry budget (resources/http.py)

# Every asset is range-aware: a season backfills in one run (each step handles every day of its range).
SINGLE_RUN = dg.BackfillPolicy.single_run()


def table_asset(
    table: Table,
    description: str,
    *,
    owners: list[str] = OWNERS,
    kinds: frozenset[str] = frozenset({"polars", "parquet"}),
    **kwargs,
):
    """The decorator of every daily table: its registry key, group = layer, `game_dates` partitions,
    single-run range backfills, `partition_expr`, its freshness policy, and its pandera contract as the
    Dagster type (a violation fails the step before the write). The description is what the UI shows."""
    return dg.asset(
        key=table.key,
        group_name=table.layer,
        description=description,
        partitions_def=game_dates,
        backfill_policy=SINGLE_RUN,
        metadata={"partition_expr": table.partition_column, **definition_metadata(table)},
        dagster_type=contract_type(table.contract),
        owners=owners,
        kinds=set(kinds),
        freshness_policy=table.freshness_policy,
        **kwargs,
    )


def table_in(table: Table, **kwargs) -> dg.AssetIn:
    """An input reading `table` (kwargs: e.g. a partition_mapping)."""
    return dg.AssetIn(key=table.key, **kwargs)


def png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG inlined in markdown metadata, so the plot shows in the asset's page in the UI."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def partition_dates(context: dg.AssetExecutionContext) -> list[dt.date]:
    """The game dates of this run: one for a daily run, many for a single-run range backfill."""
    return [dt.date.fromisoformat(k) for k in context.partition_keys]


def run_metadata(context: dg.AssetExecutionContext, metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata about the whole run (its dates, counts over its range, the last week's model): the
    output's metadata in a one-partition run. In a range run Dagster copies an output's metadata onto
    every partition's materialization (a season's figures and plots repeated on each day's event, most
    of the instance's bytes), so there it goes on the range's last partition only (the one the UI shows
    as latest) and the output gets none: each day's event keeps its own figures."""
    keys = list(context.partition_keys) if context.has_partition_key_range else []
    if len(keys) <= 1:
        return metadata
    context.add_asset_metadata(metadata, partition_key=keys[-1])
    return {}


def by_day(frame: pl.DataFrame, column: str = "game_date") -> dict[Any, pl.DataFrame]:
    """`frame` split once by `column` ({value: its rows, in order}; days by default), for a range
    run's per-day (or per-player) loop: one pass instead of one filter per value and frame."""
    if frame.height == 0:
        return {}
    return {k[0]: part for k, part in frame.partition_by(column, as_dict=True, maintain_order=True).items()}


def by_week(frame: pl.DataFrame, column: str = "game_date") -> dict[str, pl.DataFrame]:
    """`frame` split once by the model week of its date column ({week_key: the week's rows, in
    order}; Monday-start weeks, as `nba_assets.partitions.week_key`): a range run's per-week loop, for
    work whose fixed cost per call outweighs its rows (one week's model serves every day of it)."""
    if frame.height == 0:
        return {}
    weeks = frame[column].dt.truncate("1w")
    if weeks.is_sorted() and not weeks.has_nulls():
        # A range's input is its day files read in order: each week is one run of rows, and its slice
        # shares the frame's memory instead of copying a range's rows a second time.
        return {week.isoformat(): part for week, part in sorted_runs(frame, weeks)}
    split = frame.with_columns(weeks.alias("_week")).partition_by("_week", as_dict=True, maintain_order=True)
    return {k[0].isoformat(): part.drop("_week") for k, part in split.items()}


def day_windows(days: Iterable[dt.date], size: int) -> list[tuple[dt.date, dt.date]]:
    """[lo, before) windows of `size` calendar days, in order, covering the earliest to the latest of
    `days` (none when `days` is empty): a whole-history reader's chunks, so its memory is one window's."""
    if size < 1:
        raise ValueError(f"window size must be at least 1 day, got {size}")
    present = list(days)
    if not present:
        return []
    first, last = min(present), max(present)
    step = dt.timedelta(days=size)
    out, lo = [], first
    while lo <= last:
        out.append((lo, lo + step))
        lo += step
    return out


def date_range_label(dates: list[dt.date]) -> str:
    if not dates:
        return "(no dates)"
    return str(dates[0]) if len(dates) == 1 else f"{dates[0]}..{dates[-1]} ({len(dates)} days)"


__all__ = [
    "table_asset",
    "table_in",
    "png_markdown",
    "OWNERS",
    "MODEL_OWNERS",
    "NETWORK_RETRY",
    "SINGLE_RUN",
    "game_dates",
    "partition_dates",
    "by_day",
    "run_metadata",
    "by_week",
    "day_windows",
    "date_range_label",
]
