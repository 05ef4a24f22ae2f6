"""The only place that touches Dagster's private (`dagster._core`) APIs. Verified on dagster 1.13.27;
tests/unit/test_private_api.py fails loudly if an upgrade moves them.

What each function stands in for:
- `check_history`, `latest_check_records`: the asset-check execution records per partition. The public
  API (`DagsterInstance.get_latest_asset_check_evaluation` / `AssetCheckEvaluation` events via
  `fetch_...` record queries) has no partition filter in 1.13, and the CLI needs "this day's latest
  result" (every run, range runs included, records one result per day: checks/per_day.py). On the
  local sqlite instance `nba_assets/dagster_internals/instance_view.py` reads the same table without Dagster (its
  `DagsterView` uses these functions for every other instance).
- `recorded_check_keys`: every check key with an execution record (one DISTINCT over the storage's
  asset-check table). There is no public listing; without it `nba-lake status` and `checks` would
  have to import and build the whole code location (seconds) only to learn the check names.
- `sensor_has_ticked`: whether a sensor has ticked at all. The public stand-in is the GraphQL
  `sensorOrError { sensorState { ticks } }` of a running webserver; in-process we read the instance's
  instigator state, which needs the private `InstigatorType` enum.
- `SUCCEEDED`, `FAILED`: the record statuses (`AssetCheckExecutionRecordStatus`), not exported publicly.
- `add_backfill`, `update_backfill`, `backfills_in_progress`, `fail_backfill`: the Dagster backfill a CLI
  backfill is (nba_assets/cli/backfills.py). The public way to record one, GraphQL
  `launchPartitionBackfill`, hands its runs to the BackfillDaemon, which launches each step of the plan
  as its own run process a daemon tick (30 s, not configurable) after the previous one finished; the
  CLI executes them in its own process instead (docs/architecture.md, "Backfills"), so it records the
  backfill (`PartitionBackfill`, `AssetBackfillData`, `AssetGraphSubset`, `BulkActionStatus`: none is
  exported) and its progress itself.

Private names are used in one other module, because the checks sit below `nba_assets.cli` in the
import layers: `checks/per_day.py` builds `AssetCheckEvaluationTargetMaterializationData` (no public
export) to tie each day's check result to that day's materialization, and logs a range's per-day
results as one event batch (`DagsterEventBatchMetadata`, `generate_event_batch_id`, the context's event
list: `log_event` takes no batch metadata); tests/assets/test_per_day_checks.py fails if they move. The local instance's event log (`event_log.py`, selected by dagster.yaml)
subclasses Dagster's sqlite event log; tests/unit/test_event_log.py fails if that moves.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.scheduler.instigation import InstigatorType
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.sqlalchemy_compat import db_select

SUCCEEDED = AssetCheckExecutionRecordStatus.SUCCEEDED
FAILED = AssetCheckExecutionRecordStatus.FAILED


def check_history(instance: dg.DagsterInstance, key: dg.AssetCheckKey, limit: int = 50) -> list[Any]:
    """Execution records of one check, newest first, every partition (and none) included."""
    return list(instance.event_log_storage.get_asset_check_execution_history(key, limit=limit))


def latest_check_records(
    instance: dg.DagsterInstance, keys: Sequence[dg.AssetCheckKey], partition_key: str
) -> dict[dg.AssetCheckKey, Any]:
    """The latest record of each check for one partition (planned, succeeded, failed, ...)."""
    return dict(
        instance.event_log_storage.get_latest_asset_check_execution_by_key(
            list(keys), partition_filter=PartitionKeyFilter(key=partition_key)
        )
    )


def recorded_check_keys(instance: dg.DagsterInstance) -> list[dg.AssetCheckKey]:
    """Every asset check key the instance holds an execution record of (any run, any partition)."""
    table = AssetCheckExecutionsTable
    query = db_select([table.c.asset_key, table.c.check_name]).distinct()
    with instance.event_log_storage.index_connection() as conn:
        rows = conn.execute(query).fetchall()
    return sorted(
        (dg.AssetCheckKey(dg.AssetKey.from_db_string(asset), name) for asset, name in rows if asset and name),
        key=lambda k: (k.asset_key.path, k.name),
    )


def sensor_has_ticked(instance: dg.DagsterInstance, sensor_name: str) -> bool:
    """True once the daemon has recorded at least one tick of `sensor_name`."""
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.name == sensor_name and instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1):
            return True
    return False


def log_event_batch(op_context: dg.OpExecutionContext, evaluations: list[dg.AssetCheckEvaluation]) -> None:
    """`op_context.log_event(e)` for each evaluation, the events marked as one batch.

    Stands in for: `log_event`, which takes no batch metadata. The event is built as `log_event`
    builds it (`DagsterEvent.asset_check_evaluation`), with the batch metadata Dagster's own
    materialization batches carry, and kept on the context's private event list like `log_event`
    keeps it (the step yields it). tests/assets/test_per_day_checks.py fails if any of it moves.
    """
    from dagster._core.events import DagsterEventBatchMetadata, generate_event_batch_id

    step_context = op_context.get_step_execution_context()
    batch_id, last = generate_event_batch_id(), len(evaluations) - 1
    for i, evaluation in enumerate(evaluations):
        verdict = "passed." if evaluation.passed else "did not pass."
        about = "" if evaluation.description is None else f" Description: '{evaluation.description}'"
        event = dg.DagsterEvent.from_step(
            event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            step_context=step_context,
            event_specific_data=evaluation,
            message=f"Asset check '{evaluation.check_name}' on '{evaluation.asset_key.to_user_string()}' "
            + verdict
            + about,
            batch_metadata=DagsterEventBatchMetadata(batch_id, i == last),
        )
        op_context._events.append(event)  # noqa: SLF001 - where log_event keeps the step's events


def check_target(run_id: str, storage_id: int, timestamp: float) -> Any:
    """The materialization a check evaluation targets (what "execution for latest materialization" in
    the UI and the check-status cache follow). Stands in for: nothing public; the type has no export."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData as Target,
    )

    return Target(run_id=run_id, storage_id=storage_id, timestamp=timestamp)


def upath_of(manager: Any, context: Any) -> Any:
    """The object's path in a `dg.UPathIOManager` (its protected `_get_path`): the base class's own
    naming of non-partitioned files. Stands in for: nothing public; subclasses are meant to use it."""
    return manager._get_path(context)  # noqa: SLF001


def upaths_by_partition(manager: Any, context: Any) -> dict[str, Any]:
    """{partition key: path} (the base class's protected `_get_paths_for_partitions`)."""
    return manager._get_paths_for_partitions(context)  # noqa: SLF001


def upath_folder(manager: Any, context: Any) -> Any:
    """A partitioned asset's folder (the base class's protected `_get_path_without_extension`)."""
    return manager._get_path_without_extension(context)  # noqa: SLF001


def run_tags(context: Any) -> dict[str, str]:
    """The tags of the run an OutputContext belongs to ({} for a context built without a run, e.g. by
    `dg.build_output_context`). Stands in for: nothing public on OutputContext; its `step_context`
    (not public) carries the run."""
    step = getattr(context, "_step_context", None)  # noqa: SLF001 - `step_context` raises when absent
    return dict(step.run_tags) if step is not None else {}


# --------------------------------------------------------------- backfills the CLI executes itself
# The run tag that ties a run to its backfill (Dagster's BACKFILL_ID_TAG; tests/unit/test_private_api.py
# compares the two): the Backfills page lists a backfill's runs by it, and the BackfillDaemon follows them.
BACKFILL_ID_TAG = "dagster/backfill"


def _subset(asset_graph: Any, partitions: Mapping[dg.AssetKey, Any]) -> Any:
    """An AssetGraphSubset of {asset: (first, last) partition range, or an iterable of partition keys}."""
    from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

    by_key = {}
    for key, value in partitions.items():
        pdef = asset_graph.get(key).partitions_def
        if pdef is None:
            raise ValueError(f"{key.to_user_string()} is not partitioned: a CLI backfill targets partitions")
        if isinstance(value, tuple):
            by_key[key] = pdef.empty_subset().with_partition_key_range(pdef, dg.PartitionKeyRange(*value))
        elif value:
            by_key[key] = pdef.subset_with_partition_keys(list(value))
    return AssetGraphSubset(partitions_subsets_by_asset_key=by_key)


def add_backfill(
    instance: dg.DagsterInstance,
    asset_graph: Any,
    backfill_id: str,
    ranges: Mapping[dg.AssetKey, tuple[str, str]],
    *,
    tags: Mapping[str, str],
    title: str,
    description: str,
) -> None:
    """Record an asset backfill of `ranges` ({asset: (first, last) partition}) that the caller executes
    itself: the Backfills page lists it (In progress) with its range and per-asset partition counts.
    Every target partition is recorded as requested, so a BackfillDaemon that runs meanwhile (the
    `nba-lake ui` stack) launches nothing for it and only follows the runs tagged with its id, as it
    does for the runs it launches; `latest_storage_id` is where that daemon starts reading their
    materializations.

    Stands in for: GraphQL `launchPartitionBackfill`, which records the same backfill but leaves its
    runs to the daemon (one out-of-process run per step of the plan, a daemon tick apart);
    docs/architecture.md, "Backfills", says why the CLI executes them itself.
    """
    from dagster._core.execution.backfill import PartitionBackfill

    target = _subset(asset_graph, ranges)
    backfill = PartitionBackfill.from_asset_graph_subset(
        backfill_id=backfill_id,
        backfill_timestamp=time.time(),
        tags=dict(tags),
        dynamic_partitions_store=instance,
        asset_graph_subset=target,
        title=title,
        description=description,
        run_config=None,
    )
    data = backfill.asset_backfill_data._replace(
        requested_subset=target,
        requested_runs_for_target_roots=True,
        latest_storage_id=instance.event_log_storage.get_maximum_record_id(),
    )
    instance.add_backfill(backfill.with_asset_backfill_data(data, dynamic_partitions_store=instance,
                                                             asset_graph=asset_graph))


def update_backfill(
    instance: dg.DagsterInstance,
    asset_graph: Any,
    backfill_id: str,
    *,
    materialized: Mapping[dg.AssetKey, Iterable[str]],
    failed: Mapping[dg.AssetKey, tuple[str, str]] | None = None,
    status: str | None = None,
) -> str:
    """Add the partitions the backfill's runs materialized; mark `failed` ({asset: range}: a failed run's
    and every later run's targets) minus the materialized ones as failed, and nothing else; set the
    final `status` (COMPLETED_SUCCESS, COMPLETED_FAILED, CANCELED, FAILED) with the end time, or, while
    it runs, REQUESTED. Returns the status stored before the update: CANCELING when someone canceled
    the backfill in the UI meanwhile.

    The caller's record wins over a BackfillDaemon's: a daemon tick that falls between two runs, when
    none of the backfill's runs is in progress, takes the backfill for stalled and marks it
    COMPLETED_FAILED with the later steps' partitions failed; the next update puts it back."""
    from dagster._core.execution.backfill import BulkActionStatus

    backfill = instance.get_backfill(backfill_id)
    if backfill is None:
        raise LookupError(f"backfill {backfill_id} is not in the instance")
    before = backfill.status.value
    data = backfill.get_asset_backfill_data(asset_graph)
    done = data.materialized_subset | _subset(asset_graph, materialized)
    lost = _subset(asset_graph, failed or {}) - done
    updated = backfill.with_asset_backfill_data(
        data._replace(materialized_subset=done, failed_and_downstream_subset=lost),
        dynamic_partitions_store=instance,
        asset_graph=asset_graph,
    )
    if status is not None:
        updated = updated.with_status(BulkActionStatus(status)).with_end_timestamp(time.time())
    elif before not in ("CANCELING", "CANCELED"):
        updated = updated.with_status(BulkActionStatus.REQUESTED)._replace(backfill_end_timestamp=None)
    instance.update_backfill(updated)
    return before


def backfills_in_progress(instance: dg.DagsterInstance) -> list[tuple[str, dict[str, str]]]:
    """(id, tags) of every backfill still REQUESTED ("In progress" in the UI)."""
    from dagster._core.execution.backfill import BulkActionStatus

    return [(b.backfill_id, dict(b.tags)) for b in instance.get_backfills(status=BulkActionStatus.REQUESTED)]


def fail_backfill(instance: dg.DagsterInstance, backfill_id: str, reason: str) -> None:
    """Mark a backfill FAILED with `reason` (its process is gone; the daemon would only time it out)."""
    from dagster._core.execution.backfill import BulkActionStatus
    from dagster._utils.error import SerializableErrorInfo

    backfill = instance.get_backfill(backfill_id)
    if backfill is None or backfill.status != BulkActionStatus.REQUESTED:
        return
    instance.update_backfill(
        backfill.with_status(BulkActionStatus.FAILED)
        .with_error(SerializableErrorInfo(reason, [], "BackfillProcessGone"))
        .with_end_timestamp(time.time())
    )
