"""One check evaluation per day, in daily runs and single-run range backfills alike.

A check returns one `AssetCheckResult` per step. In a daily run Dagster records it for that day. In a
single-run range backfill it is recorded once with no partition, and the days of the range keep
their PLANNED records, which the UI shows as "Skipped". So for a range we evaluate the rule once per
day on that day's rows and log each day's evaluation on the op context (`partition=day`, the day's
own summary and offending keys): the instance then holds SUCCEEDED or FAILED for every day, which the
UI's check pages, the partition view, `nba-lake status|checks` and automation read.

The step still returns the range's verdict (the rule over all the range's rows): a failing blocking
check keeps stopping downstream steps in the run.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dagster as dg
import polars as pl

from checks.result import RuleResult, to_check_result

DATE_COLUMN = "game_date"
RANGE_KEY = "range"  # metadata of a range step's own record (the latest day's result, range_step_result)


class ByDay:
    """The frames of one check, split once by game_date; `day(d)` gives day d's rows of each."""

    def __init__(self, *frames: pl.DataFrame, column: str = DATE_COLUMN):
        self.frames = frames
        self._parts = [_split(f, column) for f in frames]

    def day(self, day: str) -> tuple[pl.DataFrame, ...]:
        return tuple(parts.get(day, f.head(0)) for parts, f in zip(self._parts, self.frames, strict=True))


def _split(frame: pl.DataFrame, column: str) -> dict[str, pl.DataFrame]:
    if column not in frame.columns or frame.height == 0:
        return {}
    return {str(k[0]): v for k, v in frame.partition_by(column, as_dict=True, maintain_order=True).items()}


@dataclass(frozen=True)
class DayRule:
    """How a check's rule runs over the whole step (all its days and rows) and over one day; `days`,
    when given, gives every day's result at once (the same results as `day`, computed in one pass)."""

    whole: Callable[[], RuleResult]
    day: Callable[[str], RuleResult]
    days: Callable[[list[str]], dict[str, RuleResult]] | None = None

    def each_day(self, days: list[str]) -> dict[str, RuleResult]:
        return self.days(days) if self.days is not None else {d: self.day(d) for d in days}


def on_frames(
    rule: Callable[..., RuleResult], *frames: pl.DataFrame,
    days: Callable[[list[str]], dict[str, RuleResult]] | None = None,
) -> DayRule:
    """`rule(*frames)` for the whole step; `rule(*that day's rows of each frame)` for one day; `days`:
    every day's result in one pass (the same results, DayRule.days)."""
    split: list[ByDay] = []

    def one_day(day: str) -> RuleResult:
        if not split:
            split.append(ByDay(*frames))
        return rule(*split[0].day(day))

    return DayRule(whole=lambda: rule(*frames), day=one_day, days=days)


def evaluate(
    context: dg.AssetCheckExecutionContext, severity: dg.AssetCheckSeverity, rule: DayRule
) -> Iterator[dg.AssetCheckResult]:
    """The step's result; in a range, one logged evaluation per day and the step's result is the
    latest day's (`range_step_result`)."""
    days = list(context.partition_keys)
    if len(days) <= 1:
        yield to_check_result(rule.whole(), severity=severity, dates=days)
        return
    spec = context.check_specs[0]
    per_day = {d: to_check_result(r, severity=severity, dates=[d]) for d, r in rule.each_day(days).items()}
    log_day_evaluations(context.op_execution_context, spec.asset_key, spec.name, per_day, blocking=spec.blocking)
    yield from range_step_result(spec.name, per_day, blocking=spec.blocking)


def range_step_result(
    check_name: str, per_day: dict[str, dg.AssetCheckResult], *, blocking: bool
) -> Iterator[dg.AssetCheckResult]:
    """What a range step records for the check besides its per-day evaluations: the latest day's result.

    Dagster records a range step's result without a partition, and the UI's check list shows the
    check's newest record: so that record carries the latest day's verdict, counts and rows (the
    same as that day's own record), plus `range` and `range_failing_dates`. One truth per day: the
    CLI, the alerts (which skip this record: every day has its own) and the UI agree.

    Blocking: a blocking ERROR check that failed on an earlier day of the range still stops the
    run's downstream steps. After the latest day's result is recorded, the step fails naming the
    days, as Dagster's own blocking failure does when the latest day failed.
    """
    days = list(per_day)
    latest_day = days[-1]
    latest = per_day[latest_day]
    failed = [d for d in days if not per_day[d].passed]
    metadata = dict(latest.metadata or {})
    metadata[RANGE_KEY] = dg.MetadataValue.text(f"{days[0]}..{latest_day} ({len(days)} days)")
    metadata["range_failing_dates"] = dg.MetadataValue.text(", ".join(failed) or "none")
    about = f"{len(failed)} of {len(days)} days failed, each in its own record" if failed else "every day passed"
    yield dg.AssetCheckResult(
        check_name=check_name,
        passed=latest.passed,
        severity=latest.severity,
        metadata=metadata,
        description=f"{latest_day}: {latest.description} (range: {about})",
    )
    earlier = [d for d in failed if d != latest_day]
    if blocking and latest.passed and earlier and latest.severity == dg.AssetCheckSeverity.ERROR:
        shown = ", ".join(earlier[:10]) + (f" and {len(earlier) - 10} more" if len(earlier) > 10 else "")
        raise dg.Failure(
            description=f"blocking check {check_name} failed on {len(earlier)} day(s) of the range: {shown}; "
            "downstream steps of this run are not executed (each day's record names its rows)"
        )


def log_day_evaluations(
    op_context: dg.OpExecutionContext,
    asset_key: dg.AssetKey,
    check_name: str,
    per_day: dict[str, dg.AssetCheckResult],
    *,
    blocking: bool,
) -> None:
    """Log one AssetCheckEvaluation per day, each targeting that day's latest materialization.

    The days go out as one event batch (what Dagster does for a range step's materializations): a
    storage that writes batches (the local instance's, nba_assets/dagster_internals/event_log.py) stores them in one
    transaction instead of one database round per day; any other stores them one by one as before.
    """
    targets = latest_materializations(op_context.instance, asset_key, list(per_day))
    evaluations = [
        dg.AssetCheckEvaluation(
            asset_key=asset_key,
            check_name=check_name,
            passed=res.passed,
            metadata=res.metadata,
            target_materialization_data=targets.get(day),
            severity=res.severity,
            description=res.description,
            blocking=blocking,
            partition=day,
        )
        for day, res in per_day.items()
    ]
    log_in_one_batch(op_context, evaluations)


def log_in_one_batch(op_context: dg.OpExecutionContext, evaluations: list[dg.AssetCheckEvaluation]) -> None:
    """`op_context.log_event(e)` for each evaluation, the events marked as one batch (private API:
    nba_assets/dagster_internals/private_api.py)."""
    from nba_assets.dagster_internals import private_api

    private_api.log_event_batch(op_context, evaluations)


def records_by_day(records: pl.DataFrame, days: list[str]) -> dict[str, pl.DataFrame]:
    """Offending records split by game_date; a record without a date goes to the first day (where a
    daily run would have reported it), so a per-day view never loses one."""
    if not days:
        return {}
    if DATE_COLUMN in records.columns and records.height:
        first = pl.lit(days[0]).str.to_date()
        records = records.with_columns(pl.col(DATE_COLUMN).cast(pl.Date).fill_null(first))
    parts = _split(records, DATE_COLUMN)
    return {d: parts.get(d, records.head(0)) for d in days}


def latest_materializations(instance: dg.DagsterInstance, asset_key: dg.AssetKey, days: list[str]) -> dict:
    """{day: the target materialization record of the check for that day}.

    One query for the days' latest materialization ids; the records behind them are read once per
    process and storage (every check of an asset in a range asks for the same days: reading and
    decoding each day's materialization event per check grew with checks x days).
    """
    from nba_assets.dagster_internals.private_api import check_target as target

    storage = instance.event_log_storage
    latest = storage.get_latest_storage_id_by_partition(
        asset_key, dg.DagsterEventType.ASSET_MATERIALIZATION, set(days)
    )
    known = _TARGETS.setdefault(storage, {})
    missing = sorted({i for i in latest.values() if i not in known})
    if missing:
        got = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=missing), limit=len(missing)
        )
        for rec in got.records:
            known[rec.storage_id] = target(rec.run_id, rec.storage_id, rec.timestamp)
    return {day: known[i] for day, i in latest.items() if i in known}


# storage -> {materialization storage id: its target}; a record never changes once written, and a new
# instance (a new storage object) starts empty, so ids from two instances never meet.
_TARGETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def latest_metadata_by_day(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, days: list[str], name: str
) -> dict[str, tuple[int, object]]:
    """{day: (storage id, value of metadata `name`)} of each day's latest materialization of `asset_key` (days never
    materialized, or whose latest materialization lacks `name`, are left out). Two queries, whatever
    the number of days: the latest storage id per day, then those records."""
    latest = instance.event_log_storage.get_latest_storage_id_by_partition(
        asset_key, dg.DagsterEventType.ASSET_MATERIALIZATION, set(days)
    )
    if not latest:
        return {}
    got = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=sorted(set(latest.values()))), limit=len(latest)
    )
    meta = {rec.storage_id: rec.asset_materialization.metadata.get(name) for rec in got.records}
    return {day: (i, meta[i].value) for day, i in latest.items() if meta.get(i) is not None}
