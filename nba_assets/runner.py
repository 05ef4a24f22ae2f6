"""Run jobs over partition ranges in-process, recorded in the Dagster instance (so the UI shows them).

Used by the CLI (`nba-lake backfill`, `nba-lake demo`) and the benchmark. A range is ONE run
(single-run backfill policy): each asset is one step that handles every day of the range.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dataclass
class StepSummary:
    asset: str
    status: str = "pending"  # pending | running | success | failed | skipped
    seconds: float = 0.0
    rows: int | None = None
    checks_passed: int = 0
    checks_failed: int = 0
    started: float | None = None


@dataclass
class RunSummary:
    job: str
    run_id: str
    start: str
    end: str
    success: bool
    seconds: float
    steps: dict[str, StepSummary] = field(default_factory=dict)  # by asset label
    error: str | None = None
    asset_steps: dict[str, str] = field(default_factory=dict)  # step key -> asset label


def _asset_label(key: dg.AssetKey) -> str:
    return "/".join(key.path)


def run_range(
    defs: dg.Definitions,
    job_name: str,
    start: str,
    end: str,
    *,
    instance: dg.DagsterInstance,
    selection: list[dg.AssetKey] | None = None,
    on_update: Callable[[RunSummary], None] | None = None,
    extra_tags: dict[str, str] | None = None,
    log_level: str = "ERROR",
) -> RunSummary:
    """Materialize `job_name` (optionally a subset of its assets) over partitions start..end in one run."""
    job = defs.resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    tags = {RANGE_START: start, RANGE_END: end, "nba/backfill": "cli", **(extra_tags or {})}
    summary = RunSummary(job=job_name, run_id=run_id, start=start, end=end, success=False, seconds=0.0)
    t0 = time.monotonic()
    done = threading.Event()

    def poll() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            records = instance.all_logs(run_id)
            for rec in records[cursor:]:
                _apply_event(summary, rec)
            cursor = len(records)
            if on_update:
                on_update(summary)
            if finished:
                return
            done.wait(0.5)

    asset_steps = {"__".join(k.path): "/".join(k.path) for k in job.asset_layer.executable_asset_keys}
    summary.asset_steps = asset_steps
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags=tags,
            asset_selection=selection,
            raise_on_error=False,
            # The full event log is in the instance (and the UI); the terminal shows progress + errors.
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        summary.success = result.success
        if not result.success:
            failures = [
                e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
            ]
            if failures:
                ev = failures[0]
                summary.error = f"{ev.step_key}: {ev.event_specific_data.error.message.strip()}"
    finally:
        done.set()
        poller.join()
        summary.seconds = time.monotonic() - t0
    if on_update:
        on_update(summary)
    return summary


def _apply_event(summary: RunSummary, rec) -> None:
    """Fold one event into the per-asset summary (check steps roll up into their asset's row)."""
    ev = rec.dagster_event
    if ev is None:
        return
    et = ev.event_type
    label = summary.asset_steps.get(ev.step_key or "")
    if label is not None and et in (
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_SKIPPED,
    ):
        s = summary.steps.setdefault(label, StepSummary(asset=label))
        if et == dg.DagsterEventType.STEP_START:
            s.status, s.started = "running", rec.timestamp
        elif et == dg.DagsterEventType.STEP_SKIPPED:
            s.status = "skipped"
        else:
            s.status = "success" if et == dg.DagsterEventType.STEP_SUCCESS else "failed"
            if s.started:
                s.seconds = rec.timestamp - s.started
    elif et == dg.DagsterEventType.ASSET_MATERIALIZATION:
        mat = ev.event_specific_data.materialization
        s = summary.steps.setdefault(_asset_label(mat.asset_key), StepSummary(asset=_asset_label(mat.asset_key)))
        rc = mat.metadata.get("dagster/row_count")
        if rc is not None:
            # A range run emits one materialization per day, each carrying the output's total.
            s.rows = int(rc.value)
    elif et == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = ev.event_specific_data
        label = _asset_label(evaluation.asset_key)
        s = summary.steps.setdefault(label, StepSummary(asset=label))
        if evaluation.passed:
            s.checks_passed += 1
        else:
            s.checks_failed += 1


def week_range(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The model_weeks partition keys (Mondays) covering start..end."""
    first = start - dt.timedelta(days=start.weekday())
    last = end - dt.timedelta(days=end.weekday())
    return first.isoformat(), last.isoformat()
