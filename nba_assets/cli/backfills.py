"""A CLI backfill is a Dagster backfill: recorded in the instance, so the UI's Backfills page lists it
with its range, each asset's partitions (targeted, in progress, materialized, failed) and its runs,
while the CLI executes the runs itself, in its own process, with the live progress it always had.

A backfill is a plan of steps (job, first partition, last partition, asset subset): one single run per
step (every asset has `BackfillPolicy.single_run()`), in order, stopping at the first failed run.
The backfill targets each step's assets over its range; every run carries the backfill's id tag; after
each run the backfill records the partitions it materialized, and at the end its status:
COMPLETED_SUCCESS, COMPLETED_FAILED (a run failed: its targets and every later step's that were not
materialized are marked failed), or CANCELED (Ctrl-C, or "Cancel backfill" in the UI: the CLI stops
before its next run). Why the CLI executes the runs and not the daemon: docs/architecture.md, "Backfills".
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from nba_assets.cli.guard import BACKFILL_TAG, process_tags
from nba_assets.cli.runner import RunSummary
from nba_assets.dagster_internals import private_api

BACKFILL_ID_TAG = private_api.BACKFILL_ID_TAG
SUCCESS, FAILED, CANCELED = "COMPLETED_SUCCESS", "COMPLETED_FAILED", "CANCELED"
# (job, first partition, last partition, asset subset or None for the whole job)
Step = tuple[Any, str, str, "list[dg.AssetKey] | None"]
# Executes one step as one run carrying `tags`; returns its summary.
Execute = Callable[[Any, str, str, "list[dg.AssetKey] | None", dict[str, str]], RunSummary]


@dataclass
class BackfillOutcome:
    backfill_id: str
    status: str = "REQUESTED"
    runs: list[RunSummary] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.status == SUCCESS


def new_backfill_id() -> str:
    """Eight lowercase letters, the shape of the ids Dagster gives backfills."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def step_assets(defs: dg.Definitions, step: Step) -> list[dg.AssetKey]:
    job, _, _, selection = step
    if selection:
        return list(selection)
    name = job if isinstance(job, str) else job.name
    return sorted(defs.resolve_job_def(name).asset_layer.executable_asset_keys, key=lambda k: k.path)


def targets(defs: dg.Definitions, steps: Sequence[Step]) -> dict[dg.AssetKey, tuple[str, str]]:
    """{asset: (first, last) partition} over the plan; an asset in two steps spans both ranges."""
    out: dict[dg.AssetKey, tuple[str, str]] = {}
    for step in steps:
        _, first, last, _ = step
        for key in step_assets(defs, step):
            lo, hi = out.get(key, (first, last))
            out[key] = (min(lo, first), max(hi, last))
    return out


def title_of(kind: str, steps: Sequence[Step]) -> str:
    """'nba-lake backfill 2025-12-01..2025-12-31' (the days of the plan's first step)."""
    _, first, last, _ = steps[0]
    return f"nba-lake {kind} {first}..{last}"


def run_backfill(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    steps: Sequence[Step],
    execute: Execute,
    *,
    kind: str = "backfill",
    tags: dict[str, str] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> BackfillOutcome:
    """Record the plan as one Dagster backfill, execute its steps in order, record how it went."""
    graph = defs.resolve_asset_graph()
    outcome = BackfillOutcome(new_backfill_id())
    plan = {i: (step, targets(defs, [step])) for i, step in enumerate(steps)}
    private_api.add_backfill(
        instance, graph, outcome.backfill_id, targets(defs, steps),
        tags={BACKFILL_TAG: kind, **process_tags(), **(tags or {})},
        title=title_of(kind, steps),
        description=f"executed by `nba-lake {kind}` in its own process (pid tag nba/pid); one single run per step",
    )  # fmt: skip
    if on_start:
        on_start(outcome.backfill_id)

    def remaining(i: int) -> dict[dg.AssetKey, tuple[str, str]]:
        out: dict[dg.AssetKey, tuple[str, str]] = {}
        for j in range(i, len(steps)):
            out |= plan[j][1]
        return out

    i = 0
    try:
        for i, (step, _) in plan.items():
            job, first, last, selection = step
            summary = execute(job, first, last, selection, {BACKFILL_ID_TAG: outcome.backfill_id})
            outcome.runs.append(summary)
            if not summary.success:
                outcome.status = FAILED
                private_api.update_backfill(instance, graph, outcome.backfill_id, materialized=summary.materialized,
                                            failed=remaining(i), status=FAILED)
                return outcome
            last_step = i == len(steps) - 1
            before = private_api.update_backfill(instance, graph, outcome.backfill_id,
                                                 materialized=summary.materialized,
                                                 status=SUCCESS if last_step else None)
            if before in ("CANCELING", CANCELED) and not last_step:
                outcome.status = CANCELED
                private_api.update_backfill(instance, graph, outcome.backfill_id, materialized={},
                                            failed=remaining(i + 1), status=CANCELED)
                return outcome
        outcome.status = SUCCESS
        return outcome
    except BaseException:  # Ctrl-C, or the CLI's own error: the backfill must not stay "In progress"
        outcome.status = CANCELED
        private_api.update_backfill(instance, graph, outcome.backfill_id, materialized={},
                                    failed=remaining(i), status=CANCELED)
        raise
