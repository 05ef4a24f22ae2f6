"""The local instance's event log: Dagster's SQLite storage with one long-lived connection to the index.

Dagster's `SqliteEventLogStorage` opens a new engine and connection for every statement batch and closes
it again (NullPool). Under WAL the last connection to close checkpoints the log into the database file,
with its fsyncs, so every event costs several open/commit/checkpoint cycles. A range run records one
check evaluation per day and check (checks/per_day.py): thousands of events for a season, and before
this class most of a season backfill's wall time was spent closing SQLite connections.

What changes, and only for the index shard (`index.db`, the cross-run tables every asset and check event
is mirrored into):
- one engine per process, holding one connection (re-created after a fork), used under the storage's
  own lock as before, so every statement still runs in its own transaction;
- that connection runs `PRAGMA synchronous=NORMAL`, SQLite's recommended setting under WAL: a commit
  is atomic and survives a process crash; only a power loss can drop the last commits, never corrupt.

The per-run shards (`<run_id>.db`) keep Dagster's behaviour: the UI's live run view watches those files
for changes, which a checkpoint on close produces. `dagster.yaml` selects this class; production uses
PostgreSQL (deploy/dagster.prod.yaml) and never loads it. The private import is pinned with dagster
(tests/unit/test_instance_storage.py fails if it moves).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.pool import QueuePool


class LakeSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with a per-process, long-lived connection to the index shard."""

    def __init__(self, base_dir: str, inst_data=None):
        self._index_engine: sa.Engine | None = None
        self._index_engine_pid: int | None = None
        super().__init__(base_dir, inst_data=inst_data)

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
            engine = sa.create_engine(
                self.conn_string_for_shard(INDEX_SHARD_NAME),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=0,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sa.event.listen(engine, "connect", _durable_under_wal)
            self._index_engine, self._index_engine_pid = engine, pid
        return self._index_engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        if shard != INDEX_SHARD_NAME:
            with super()._connect(shard) as conn:
                yield conn
            return
        with self._db_lock:
            engine = self._engine_for_index()
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        if self._index_engine is not None and self._index_engine_pid == os.getpid():
            self._index_engine.dispose()
        self._index_engine = None


def _durable_under_wal(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
