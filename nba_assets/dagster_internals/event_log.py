"""The local instance's event log: Dagster's SQLite storage with long-lived connections.

Dagster's `SqliteEventLogStorage` opens a new engine and connection for every statement batch and closes
it again (NullPool). Under WAL the last connection to close checkpoints the log into the database file,
with its fsyncs, so every event costs several open/commit/checkpoint cycles. A range run records one
check evaluation per day and check (checks/per_day.py): thousands of events for a season, and a one-day
run some 700 single events (step starts, outputs, successes), each ~5 ms of open, commit and close.

What changes, for the index shard (`index.db`, the cross-run tables every asset and check event is
mirrored into) and each run's shard (`<run_id>.db`, all of a run's events):
- one engine per file and process, holding one connection (re-created after a fork), used under the
  storage's own lock as before, so every statement still runs in its own transaction; a process keeps
  the connections of the last RUN_ENGINES run files it wrote or read and closes the older ones (and all
  at exit), so the last close still checkpoints a run's WAL into its file and deletes it;
- those connections run `PRAGMA synchronous=NORMAL`, SQLite's recommended setting under WAL: a commit
  is atomic and survives a process crash; only a power loss can drop the last commits, never corrupt;
- the UI's live run view (`watch`) follows a run's WAL file as well as the run file: a write now lands
  in the WAL and reaches the run file only at a checkpoint (`_RunLogWatchdog`).

Batches. Dagster hands a storage a batch of events (`store_event_batch`) when `DAGSTER_EVENT_BATCH_SIZE`
is set and the events carry batch metadata: a range step's per-partition materializations, the run's
planned events, and our per-day check records (checks/per_day.py). Dagster's own sqlite storage stores a
batch one event at a time. Here a batch is one transaction on its run's shard (one open, commit and
checkpoint for the lot, so the UI's watcher sees the batch at once) followed by the same index writes as
Dagster's `store_event` (asset events mirrored with their tags and asset row, check events mirrored and
their execution record updated, run-status events mirrored), the batch's in one index transaction. The storage turns batching on for the
processes that load it (`DAGSTER_EVENT_BATCH_SIZE`, unless the environment already sets it): a run's
batches reach the database at the end of each batch or every `BATCH_SIZE` events, whichever first.
Inside a batch each event is serialized once (`_serialize_each_event_once`: Dagster's code serializes a
check record twice, for its event row and its check-execution row; the same JSON both times), and the
rows go through statements prepared once (the event INSERT, a check's PLANNED rows, the per-day check
record's UPDATE of its planned row): Dagster builds, caches a key for and compiles a new statement per
event, which was most of a check record's cost after serialization. Anything else a batch holds (asset
rows and tags, an evaluation without exactly one planned row) goes through Dagster's own methods.
tests/unit/test_event_log.py stores the same events both ways and compares every table.
If a batch's index writes fail, Dagster stores the batch again event by event (its fallback), as it
would after its own loop failed halfway: the run's file may then hold those events twice.

`dagster.yaml` selects this class; production uses PostgreSQL (deploy/dagster.prod.yaml) and never
loads it. The private imports are pinned with dagster (tests/unit/test_event_log.py fails if
they move).
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS, EVENT_TYPE_TO_PIPELINE_RUN_STATUS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import sql_event_log
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import NullPool, QueuePool
from watchdog.events import PatternMatchingEventHandler
from watchdog.observers import Observer

# Events per write when a batch is longer (a season's range step logs one check record per day: 174).
BATCH_SIZE = 1000
# SQLite's page for new run and index files. An event row is ~1-4 KB (a check record ~2.4 KB): at the
# default 4 KB most pages hold one row and a third of the file is slack; at 16 KB that drops to ~10%.
PAGE_SIZE = 16384
WAL_KEEP_BYTES = 1 << 20  # the WAL a file keeps after a checkpoint (else its largest size, up to ~16 MB)
RECHECK_S = 0.2  # a run watcher reads again this long after a change (_RunLogWatchdog)
RUN_ENGINES = 8  # engines kept for the most recently written run files (a process writes one or a few)
_SERIALIZE = sql_event_log.serialize_value  # Dagster's own
_BATCH_JSON = threading.local()  # .memo {id(event): (event, its JSON)} while this thread stores a batch

# Prepared once (SQLAlchemy compiles each once per engine): the rows Dagster's statements write.
_INSERT_EVENT = SqlEventLogStorageTable.insert()
_INSERT_CHECK_EXECUTION = AssetCheckExecutionsTable.insert()
_CHECKS = AssetCheckExecutionsTable.c
_UPDATE_CHECK_EXECUTION = (
    AssetCheckExecutionsTable.update()
    .where(
        sa.and_(
            _CHECKS.asset_key == sa.bindparam("k_asset_key"),
            _CHECKS.check_name == sa.bindparam("k_check_name"),
            _CHECKS.run_id == sa.bindparam("k_run_id"),
            _CHECKS.partition == sa.bindparam("k_partition"),
        )
    )
    .values(
        execution_status=sa.bindparam("v_status"),
        evaluation_event=sa.bindparam("v_event"),
        evaluation_event_timestamp=sa.bindparam("v_timestamp"),
        evaluation_event_storage_id=sa.bindparam("v_event_id"),
        materialization_event_storage_id=sa.bindparam("v_materialization_id"),
        partition=sa.bindparam("v_partition"),
    )
)


def _serialize_each_event_once(value, *args, **kwargs):
    """`serialize_value` as Dagster's SQL event log calls it, except that inside a batch an event is
    serialized once: its row in the run's file and its check-execution row in the index both hold
    the same JSON (~9 KB per per-day check record), and Dagster made it twice. Same value, same string:
    outside a batch, and for anything but an event, it is Dagster's function."""
    memo = getattr(_BATCH_JSON, "memo", None)
    if memo is None or args or kwargs or type(value) is not EventLogEntry:
        return _SERIALIZE(value, *args, **kwargs)
    hit = memo.get(id(value))
    if hit is None or hit[0] is not value:
        hit = memo[id(value)] = (value, _SERIALIZE(value))
    return hit[1]


class LakeSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with a per-process, long-lived connection to the index shard."""

    def __init__(self, base_dir: str, inst_data=None):
        self._index_engine: sa.Engine | None = None
        self._index_engine_pid: int | None = None
        self._tables: set[str] = set()
        self._asset_index_cols = False
        self._run_engines: dict[str, sa.Engine] = {}  # run shard -> its engine (one connection), recent last
        self._run_engines_pid: int | None = None
        self._batch = threading.local()  # .conn: the index connection a batch holds on this thread
        index = os.path.join(os.path.abspath(base_dir), f"{INDEX_SHARD_NAME}.db")
        fresh = not os.path.exists(index)
        super().__init__(base_dir, inst_data=inst_data)  # creates the index when there is none
        if fresh:
            if self._index_engine is not None:  # its pooled connection (the reindexing's) holds the file
                self._index_engine.dispose()
                self._index_engine = None
            _repage(index)
        atexit.register(self._close_run_files)
        # Dagster reads the variable at every event, in the process that stores it: the processes
        # that load this storage are the ones whose batches it can write in one transaction.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(BATCH_SIZE))
        # The module's name, looked up at each call by Dagster's code: patched once per process.
        if sql_event_log.serialize_value is _SERIALIZE:
            sql_event_log.serialize_value = _serialize_each_event_once

    @classmethod
    def config_type(cls):
        # The instance folder (DAGSTER_HOME), not the event log's own: the files stay where
        # `storage: sqlite: base_dir: <instance folder>` puts them, so an existing instance keeps its history.
        return {"instance_dir": dg.StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LakeSqliteEventLogStorage:
        return cls(os.path.join(config_value["instance_dir"], "history", "runs"), inst_data=inst_data)

    def _engine_for_index(self) -> sa.Engine:
        pid = os.getpid()
        if self._index_engine is None or self._index_engine_pid != pid:
            if self._index_engine is not None:  # inherited over a fork: never close the parent's
                self._index_engine.dispose(close=False)
            self._index_engine, self._index_engine_pid = _kept(self.conn_string_for_shard(INDEX_SHARD_NAME)), pid
        return self._index_engine

    def _engine_for_run(self, shard: str) -> sa.Engine:
        pid = os.getpid()
        if self._run_engines_pid != pid:
            for inherited in self._run_engines.values():  # over a fork: never close the parent's
                inherited.dispose(close=False)
            self._run_engines, self._run_engines_pid = {}, pid
        engine = self._run_engines.pop(shard, None) or _kept(self.conn_string_for_shard(shard))
        self._run_engines[shard] = engine  # most recent last
        if len(self._run_engines) > RUN_ENGINES:
            self._run_engines.pop(next(iter(self._run_engines))).dispose()  # closed: checkpointed
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        if shard != INDEX_SHARD_NAME:
            # One connection kept per run file (the last RUN_ENGINES files), each write its transaction:
            # Dagster opened a connection per write, and its close checkpointed the WAL into the file.
            with self._db_lock:
                if shard not in self._initialized_dbs:
                    # Dagster's `_initdb` holds a connection while it inspects with another: a pool of
                    # one cannot serve it, so a new file is made through an engine of its own.
                    made = sa.create_engine(
                        self.conn_string_for_shard(shard),
                        poolclass=NullPool,
                        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                    )
                    sa.event.listen(made, "connect", _page_size)
                    self._initdb(made)
                    made.dispose()
                    self._initialized_dbs.add(shard)
                engine = self._engine_for_run(shard)
                with engine.connect() as conn, conn.begin():
                    yield conn
            return
        held = getattr(self._batch, "conn", None)
        if held is not None:  # inside a batch's index transaction (store_event_batch), same thread
            yield held
            return
        with self._db_lock:
            engine = self._engine_for_index()
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Asked before every check record (`supports_asset_checks`) and asset event, sometimes inside
        # an index transaction (so Dagster's own engine, not ours): a table, once there, stays.
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    def store_event_batch(self, events) -> None:
        """The batch in one transaction per run shard, then Dagster's index writes for each event, all
        in one transaction on the index (Dagster's code asks for the index connection per statement
        group; inside the batch it gets the batch's)."""
        if events:
            self._store_events(events)

    def store_event(self, event: EventLogEntry) -> None:
        """One event: the same writes as a batch of one (Dagster's `store_event`'s, through the prepared
        statements), so a run's single events (step starts, outputs, a daily run's check results) skip
        building and compiling a statement per event too."""
        self._store_events([event])

    def _store_events(self, events) -> None:
        _BATCH_JSON.memo = {}
        try:
            # Each event's row once (Dagster's `_event_to_row`, its JSON serialized once), written with one
            # prepared INSERT: Dagster builds and compiles a new INSERT ... VALUES statement per event.
            rows = [self._event_to_row(e) for e in events]
            for run_id in dict.fromkeys(e.run_id for e in events):
                with self.run_connection(run_id) as conn:
                    conn.execute(_INSERT_EVENT, [row for e, row in zip(events, rows, strict=True) if e.run_id == run_id])
            if not any(_indexed(e) for e in events):
                return  # step and log events live in the run's file only
            with self._connect(INDEX_SHARD_NAME) as conn:  # the batch's index writes: one transaction
                self._batch.conn = conn
                try:
                    for event, row in zip(events, rows, strict=True):
                        self._store_in_index(conn, event, row)
                finally:
                    self._batch.conn = None
        finally:
            _BATCH_JSON.memo = None

    def _store_in_index(self, conn: sa.Connection, event: EventLogEntry, row: dict) -> None:
        # What `SqliteEventLogStorage.store_event` does after writing the run shard (dagster 1.13).
        if not event.is_dagster_event:
            return
        event_type = event.dagster_event_type
        if event_type in ASSET_EVENTS:
            event_id = conn.execute(_INSERT_EVENT, row).inserted_primary_key[0]
            if event_id is None:
                raise DagsterInvariantViolationError("Cannot store asset event tags for null event id.")
            self._store_asset_event_tags(conn, [event], [event_id])
            self._store_asset_event(conn, event, event_id)
        if event_type in ASSET_CHECK_EVENTS:
            event_id = conn.execute(_INSERT_EVENT, row).inserted_primary_key[0]
            if event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
                self._insert_planned_check_rows(conn, event, event_id, row["event"])
            elif not self._update_check_execution(conn, event, event_id, row["event"]):
                self.store_asset_check_event(event, event_id)
        if event_type in EVENT_TYPE_TO_PIPELINE_RUN_STATUS:
            conn.execute(_INSERT_EVENT, row)

    def _insert_planned_check_rows(self, conn: sa.Connection, event: EventLogEntry, event_id: int, event_json: str) -> None:
        """Dagster's `_store_asset_check_evaluation_planned`: a PLANNED row per partition of the run (one
        with no partition for an unpartitioned check), the same values, through one prepared INSERT run
        for all the rows instead of one statement holding them all, compiled anew for every check."""
        planned = event.get_dagster_event().event_specific_data
        keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        common = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": event_json,
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        conn.execute(_INSERT_CHECK_EXECUTION, [{**common, "partition": key} for key in keys])

    def _update_check_execution(self, conn: sa.Connection, event: EventLogEntry, event_id: int, event_json: str) -> bool:
        """Dagster's `_update_asset_check_evaluation` for the usual record: an evaluation in a run, for a
        partition, whose planned row (asset, check, run, partition) exists once. Same values, one
        prepared UPDATE instead of a statement built per event. False (nothing written) for anything
        else: a planned event, a runless or unpartitioned evaluation, no planned row or several, which
        Dagster's own method then stores (inserting the row, or refusing duplicates, as it does)."""
        if event.dagster_event_type != dg.DagsterEventType.ASSET_CHECK_EVALUATION or not event.run_id:
            return False
        evaluation = event.get_dagster_event().event_specific_data
        if evaluation.partition is None:
            return False
        target = evaluation.target_materialization_data
        updated = conn.execute(
            _UPDATE_CHECK_EXECUTION,
            {
                "k_asset_key": evaluation.asset_key.to_string(),
                "k_check_name": evaluation.check_name,
                "k_run_id": event.run_id,
                "k_partition": evaluation.partition,
                "v_status": (
                    AssetCheckExecutionRecordStatus.SUCCEEDED.value
                    if evaluation.passed
                    else AssetCheckExecutionRecordStatus.FAILED.value
                ),
                "v_event": event_json,
                "v_timestamp": self._event_insert_timestamp(event),
                "v_event_id": event_id,
                "v_materialization_id": target.storage_id if target else None,
                "v_partition": evaluation.partition,
            },
        ).rowcount
        if updated == 1:
            return True
        if updated:  # several planned rows: Dagster's method would update them all, then raise; so do we
            raise DagsterInvariantViolationError(
                f"Updated {updated} rows for asset check evaluation {evaluation.asset_check_key} "
                "as a result of duplicate AssetCheckPlanned events."
            )
        return False

    def _has_asset_key_index_cols_on_connection(self, conn: sa.Connection) -> bool:
        # Dagster inspects the asset table's columns at every asset event; a column, once there, stays.
        if self._asset_index_cols:
            return True
        self._asset_index_cols = super()._has_asset_key_index_cols_on_connection(conn)
        return self._asset_index_cols

    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        """Dagster's `watch` (the UI's live run view), with a watcher that follows the run file's
        write-ahead log too: the writers keep their connection, so a write reaches the `-wal` file and
        the run file itself only at checkpoints."""
        if not self._obs:
            self._obs = Observer()
            self._obs.start()
        watcher = _RunLogWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watcher, self._obs.schedule(watcher, self._base_dir, recursive=True))

    def dispose(self) -> None:
        super().dispose()
        self._close_run_files()
        if self._index_engine is not None and self._index_engine_pid == os.getpid():
            self._index_engine.dispose()
        self._index_engine = None

    def _close_run_files(self) -> None:
        """Close this process's run-file connections: the last one to close a file checkpoints its WAL
        into it and deletes the WAL (also at interpreter exit, `atexit`)."""
        if self._run_engines_pid == os.getpid():
            for engine in self._run_engines.values():
                engine.dispose()
        self._run_engines = {}


def _kept(url: str) -> sa.Engine:
    """An engine holding one connection to a file, kept open: synchronous=NORMAL under WAL, new files
    with PAGE_SIZE pages."""
    engine = sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    sa.event.listen(engine, "connect", _page_size)
    sa.event.listen(engine, "connect", _durable_under_wal)
    return engine


def _indexed(event: EventLogEntry) -> bool:
    """Whether Dagster mirrors the event into the index (asset, check and run-status events)."""
    return event.is_dagster_event and (
        event.dagster_event_type in ASSET_EVENTS
        or event.dagster_event_type in ASSET_CHECK_EVENTS
        or event.dagster_event_type in EVENT_TYPE_TO_PIPELINE_RUN_STATUS
    )


def _durable_under_wal(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")  # a checkpointed WAL shrinks back to this
    cur.close()


def _page_size(dbapi_conn, _record) -> None:
    """A new database file gets PAGE_SIZE pages (an existing one keeps its own: the pragma only
    applies before the first table is made)."""
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cur.close()


def _repage(path: str) -> None:
    """The index this process just created (Dagster's own engine made it, with 4 KB pages) rebuilt
    with PAGE_SIZE pages while it holds only its empty tables. SQLite cannot change the page size of
    a database in WAL mode, so it leaves WAL for the rebuild and goes back to it; if another process
    has the new index open already (two processes starting together), the file keeps its pages."""
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        if con.execute("PRAGMA journal_mode=DELETE").fetchone()[0] != "delete":
            return
        con.execute(f"PRAGMA page_size={PAGE_SIZE}")
        con.execute("VACUUM")
    except sqlite3.OperationalError:
        return  # busy: another process is using it, which is fine as it is
    finally:
        con.execute("PRAGMA journal_mode=WAL")
        con.close()


class _RunLogWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's watcher of one run's events (it reads the new ones and hands them to the UI), woken by
    a change to the run's file or to its write-ahead log. A commit reaches the WAL file a moment before
    the WAL's index (shared memory, which raises no file event) says so: each wake-up also reads again
    RECHECK_S later, so the last write of a burst is never left unread."""

    def __init__(self, storage: LakeSqliteEventLogStorage, run_id: str, callback, cursor: str | None):
        path = storage.path_for_shard(run_id)
        PatternMatchingEventHandler.__init__(self, patterns=[path, f"{path}-wal"])
        # The attributes Dagster's `_process_log` reads (pinned with dagster: tests/unit/test_event_log.py).
        self._event_log_storage, self._run_id, self._cb = storage, run_id, callback
        self._log_path, self._cursor = path, cursor
        self._lock = threading.Lock()
        self._recheck: threading.Timer | None = None

    def on_modified(self, event) -> None:
        self._read()
        with self._lock:
            if self._recheck is None:
                self._recheck = threading.Timer(RECHECK_S, self._read_again)
                self._recheck.daemon = True
                self._recheck.start()

    def _read_again(self) -> None:
        with self._lock:
            self._recheck = None
        self._read()

    def _read(self) -> None:
        with self._lock:
            self._process_log()
