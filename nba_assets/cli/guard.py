"""Process-level guards of the operator tooling: a first start on an empty DAGSTER_HOME, runs whose
process was killed, and one CLI backfill at a time.

- `open_instance`: two processes opening an empty DAGSTER_HOME at the same moment both create the
  sqlite schema, and one dies on `table alembic_version already exists` / `UNIQUE constraint failed`.
  An exclusive lock file in DAGSTER_HOME serialises the first open (the storages are created inside it).
- `fail_dead_runs`: a CLI run executes in the CLI's own process; `kill -9` leaves it STARTED for ever
  (Dagster's run monitoring only watches runs a run launcher started). Every CLI run is tagged with its
  host and pid, and the next CLI command marks such a run FAILED when that process no longer exists.
  The same holds for the Dagster backfill a CLI backfill records (`fail_dead_backfills`): it would
  stay "In progress" on the Backfills page.
- `backfill_slot`: the instance limits tag `nba/backfill` to one run, but that limit is enforced by the
  queue, which in-process CLI runs bypass. The CLI holds a lock file for the whole backfill and refuses
  to start while another run tagged `nba/backfill` is in progress.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from nba_assets.dagster_internals import instance_view as view
from nba_assets.dagster_internals.instance_view import HOST_TAG, PID_TAG

BACKFILL_TAG = "nba/backfill"
INIT_LOCK = ".nba-lake-init.lock"
BACKFILL_LOCK = ".nba-lake-backfill.lock"
IN_PROGRESS = [dg.DagsterRunStatus(s) for s in view.IN_PROGRESS]


class BackfillBusy(RuntimeError):
    """Another backfill holds the slot; the message names it."""


def process_tags() -> dict[str, str]:
    """Tags that let a later process tell whether this run's process is still alive."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


@contextlib.contextmanager
def _locked(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_instance(home: Path) -> dg.DagsterInstance:
    """`DagsterInstance.get()` with the storages created under an exclusive lock in `home`."""
    with _locked(home / INIT_LOCK):
        instance = dg.DagsterInstance.get()
        # Touch every storage while holding the lock: sqlite creates (and stamps) its schema lazily.
        instance.get_runs(limit=1)
        instance.get_asset_keys(limit=1)  # the index shard (get_asset_records() would read every record)
        instance.all_instigator_state()
    return instance


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark FAILED every in-progress run started by a process of this host that no longer exists."""
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS, tags={HOST_TAG: host})):
        if not view.is_dead_run(dict(run.tags), host):
            continue
        pid = run.tags[PID_TAG]
        instance.report_run_failed(
            run, f"process {pid} on {host} that executed this run no longer exists (killed?); "
                 f"marked failed by a later nba-lake command"
        )
        failed.append(run.run_id)
    return failed


def fail_dead_backfills(instance: dg.DagsterInstance) -> list[str]:
    """Mark FAILED every in-progress backfill recorded by a process of this host that no longer exists."""
    from nba_assets.dagster_internals import private_api

    host = socket.gethostname()
    failed = []
    for backfill_id, tags in private_api.backfills_in_progress(instance):
        if view.is_dead_run(tags, host):
            private_api.fail_backfill(
                instance, backfill_id,
                f"process {tags[PID_TAG]} on {host} that executed this backfill no longer exists (killed?); "
                f"marked failed by a later nba-lake command",
            )  # fmt: skip
            failed.append(backfill_id)
    return failed


@contextlib.contextmanager
def backfill_slot(instance: dg.DagsterInstance, home: Path) -> Iterator[None]:
    """Hold the one backfill slot (lock file + no other `nba/backfill` run in progress)."""
    with _locked(home / BACKFILL_LOCK, blocking=False) as got:
        if not got:
            raise BackfillBusy("another nba-lake backfill is running on this DAGSTER_HOME")
        fail_dead_runs(instance)
        fail_dead_backfills(instance)
        busy = [r for r in instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS)) if BACKFILL_TAG in r.tags]
        if busy:
            r = busy[0]
            raise BackfillBusy(
                f"run {r.run_id[:8]} ({r.job_name}, {r.status.value}) tagged {BACKFILL_TAG} is in progress; "
                f"the instance allows one at a time"
            )
        yield
