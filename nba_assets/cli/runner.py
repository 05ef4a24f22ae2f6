"""Run jobs over partition ranges in-process, recorded in the Dagster instance (so the UI shows them).

Used by the CLI (`nba-lake backfill`, `nba-lake demo`) and the benchmark. A range is ONE run
(single-run backfill policy): each asset is one step that handles every day of the range.
Progress comes from the instance's event log (polled from a thread while the run executes), so
what the terminal shows is exactly what the UI will show for the run.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from nba_assets.cli.guard import process_tags
from nba_assets.dagster_internals.instance_view import RANGE_END_TAG, RANGE_START_TAG

POLL_SECONDS = 0.25


@dataclass
class StepSummary:
    asset: str
    status: str = "pending"  # pending | running | success | failed | skipped
    seconds: float = 0.0
    rows: int | None = None
    checks_passed: int = 0
    checks_failed: int = 0
    started: float | None = None  # event-log timestamp of STEP_START (wall clock)

    def elapsed(self, now: float | None = None) -> float:
        """Seconds so far for a running step, the final duration otherwise."""
        if self.status == "running" and self.started is not None:
            return max(0.0, (now or time.time()) - self.started)
        return self.seconds


@dataclass
class RunSummary:
    job: str
    run_id: str
    start: str
    end: str
    success: bool
    seconds: float
    steps: dict[str, StepSummary] = field(default_factory=dict)  # by asset label
    error: str | None = None  # "<step>: <first line of the error>", one line
    failed_step: str | None = None
    asset_steps: dict[str, str] = field(default_factory=dict)  # step key -> asset label
    finished: bool = False
    materialized: dict[dg.AssetKey, set[str]] = field(default_factory=dict)  # partitions written, per asset
    failed_checks: list[tuple[str, str, str | None]] = field(default_factory=list)  # (asset, check, partition)

    @property
    def done_steps(self) -> int:
        return sum(s.status in ("success", "failed", "skipped") for s in self.steps.values())


def _asset_label(key: dg.AssetKey) -> str:
    return "/".join(key.path)


def one_line(text: str, limit: int = 300) -> str:
    """The first meaningful line of an error message, whitespace collapsed, capped at `limit`."""
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    line = " ".join(lines[0].split()) if lines else "(no message)"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _short(message: str) -> str:
    """'dagster._core.errors.DagsterX: text' -> 'DagsterX: text' (first line only)."""
    line = one_line(message)
    head, sep, rest = line.partition(": ")
    if sep and " " not in head and "." in head:
        return f"{head.rsplit('.', 1)[1]}: {rest}"
    return line


def error_line(err, fallback: str | None = None) -> str:
    """One line for a step's SerializableErrorInfo: its message, plus the root cause when wrapped
    (Dagster wraps user errors, e.g. 'Error occurred while loading input' <- the reader's error)."""
    if err is None:
        return one_line(fallback or "step failed")
    text = _short(err.message)
    root = err
    while getattr(root, "cause", None) is not None:
        root = root.cause
    if root is not err:
        text = f"{text.rstrip(':')} <- {_short(root.message)}"
    return one_line(text, limit=400)


def run_range(
    defs: dg.Definitions,
    job: str | dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    start: str,
    end: str,
    *,
    instance: dg.DagsterInstance,
    selection: list[dg.AssetKey] | None = None,
    on_update: Callable[[RunSummary], None] | None = None,
    extra_tags: dict[str, str] | None = None,
    log_level: str = "ERROR",
) -> RunSummary:
    """Materialize `job` (optionally a subset of its assets) over partitions start..end in one run."""
    job_name = job if isinstance(job, str) else job.name
    job = defs.resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    # One partition runs as a plain partitioned run; a range is one single run whose checks record
    # the range's verdict plus one result per day (checks/per_day.py): the summary counts check-days.
    single = start == end
    tags = {"nba/backfill": "cli", **process_tags(), **(extra_tags or {})}
    if not single:
        tags |= {RANGE_START_TAG: start, RANGE_END_TAG: end}
    summary = RunSummary(job=job_name, run_id=run_id, start=start, end=end, success=False, seconds=0.0)
    keys = list(selection) if selection else sorted(job.asset_layer.executable_asset_keys)
    summary.asset_steps = {"__".join(k.path): _asset_label(k) for k in job.asset_layer.executable_asset_keys}
    # Every selected asset has a row from the start (pending), in a stable order.
    for k in sorted(keys, key=_asset_label):
        summary.steps[_asset_label(k)] = StepSummary(asset=_asset_label(k))
    t0 = time.monotonic()
    done = threading.Event()
    lock = threading.Lock()

    def on_event(entry) -> None:
        # Called by the instance right after it stores each event of this run (in this process): the
        # summary folds the events in as they happen, without reading them back from the event log and
        # deserializing them (a season's run logs ~13,000, most of them per-day check records).
        with lock:
            _apply_event(summary, entry)

    instance.add_event_listener(run_id, on_event)

    def poll() -> None:
        while True:
            finished = done.is_set()
            if on_update:
                with lock:  # the run's thread adds steps to the summary meanwhile
                    on_update(summary)
            if finished:
                return
            done.wait(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True, name=f"progress-{run_id[:8]}")
    poller.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags=tags,
            partition_key=start if single else None,
            asset_selection=selection,
            raise_on_error=False,
            # The full event log is in the instance (and the UI); the terminal shows progress + errors.
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        summary.success = result.success
    finally:
        done.set()
        poller.join()
        summary.seconds = time.monotonic() - t0
        summary.finished = True
    if not summary.success:
        for s in summary.steps.values():
            if s.status in ("pending", "running"):  # never started (upstream failed) or cut short
                s.status = "skipped" if s.status == "pending" else "failed"
    if not summary.success and summary.error is None:
        # No step failed (e.g. a resource failed to initialise): the run failure says why.
        failures = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        msg = failures[0].dagster_event.message if failures and failures[0].dagster_event else None
        summary.error = one_line(msg or "run failed without a step failure (see the run in the UI)")
    if on_update:
        on_update(summary)
    return summary


def _owning_asset(summary: RunSummary, step_key: str) -> str | None:
    """The asset a step belongs to: itself, or the asset whose step key prefixes a check step's key."""
    if step_key in summary.asset_steps:
        return summary.asset_steps[step_key]
    best = max((k for k in summary.asset_steps if step_key.startswith(k + "_")), key=len, default=None)
    return summary.asset_steps.get(best) if best else None


def _apply_event(summary: RunSummary, rec) -> None:
    """Fold one event into the per-asset summary (check steps roll up into their asset's row)."""
    ev = rec.dagster_event
    if ev is None:
        return
    et = ev.event_type
    step_key = ev.step_key or ""
    if et == dg.DagsterEventType.STEP_FAILURE and summary.error is None:
        summary.failed_step = step_key
        summary.error = f"{step_key}: {error_line(getattr(ev.event_specific_data, 'error', None), ev.message)}"
    label = summary.asset_steps.get(step_key)
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
    elif et == dg.DagsterEventType.STEP_FAILURE:
        # A check step failed (a blocking check, or the check itself raised): flag its asset's row.
        owner = _owning_asset(summary, step_key)
        if owner is not None and owner in summary.steps and summary.steps[owner].status == "success":
            summary.steps[owner].status = "failed"
    elif et == dg.DagsterEventType.ASSET_MATERIALIZATION:
        mat = ev.event_specific_data.materialization
        s = summary.steps.setdefault(_asset_label(mat.asset_key), StepSummary(asset=_asset_label(mat.asset_key)))
        if mat.partition is not None:
            summary.materialized.setdefault(mat.asset_key, set()).add(mat.partition)
        rc = mat.metadata.get("dagster/row_count")
        if rc is not None:
            # A range run emits one materialization per day, each with that day's rows: add them up.
            s.rows = (s.rows or 0) + int(rc.value)
    elif et == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = ev.event_specific_data
        if evaluation.partition is None and summary.start != summary.end:
            return  # a range's own verdict: its days are counted one by one (checks/per_day.py)
        label = _asset_label(evaluation.asset_key)
        s = summary.steps.setdefault(label, StepSummary(asset=label))
        if evaluation.passed:
            s.checks_passed += 1
        else:
            s.checks_failed += 1
            summary.failed_checks.append((label, evaluation.check_name, evaluation.partition))

