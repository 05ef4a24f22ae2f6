"""The local instance's event log (nba_assets/dagster_internals/event_log.py), loaded from the repo's dagster.yaml:
same files as Dagster's sqlite storage, every per-day check record written and visible to another process
while the writer's connection to the index stays open, and only the index connection kept open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from nba_assets.dagster_internals.event_log import LakeSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[2]
DAYS = [f"2025-12-{d:02d}" for d in range(1, 11)]
parts = dg.StaticPartitionsDefinition(DAYS)


@dg.asset(partitions_def=parts, backfill_policy=dg.BackfillPolicy.single_run())
def table(context) -> None:
    return None


@dg.asset_check(asset=table)
def per_day(context) -> dg.AssetCheckResult:
    for day in context.partition_keys:
        context.op_execution_context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=table.key, check_name="per_day", passed=day != DAYS[3], partition=day
            )
        )
    return dg.AssetCheckResult(passed=False)


@dg.asset_check(asset=table, partitions_def=parts)
def per_day_partitioned(context) -> dg.AssetCheckResult:
    """As the lake's checks are (checks/per_day.py): partitioned, so the run plans one row per day that
    each day's record then updates."""
    for day in context.partition_keys:
        context.op_execution_context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=table.key, check_name="per_day_partitioned", passed=day != DAYS[5], partition=day
            )
        )
    return dg.AssetCheckResult(passed=False)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    with dg.DagsterInstance.get() as inst:
        yield inst


def _count_in_another_process(home: Path) -> str:
    code = (
        "import dagster as dg\n"
        "i = dg.DagsterInstance.get()\n"
        "k = dg.AssetCheckKey(dg.AssetKey('table'), 'per_day')\n"
        "h = i.event_log_storage.get_asset_check_execution_history(k, limit=100)\n"
        "print(type(i.event_log_storage).__name__, len(h), sorted(r.partition for r in h if r.partition)[3])\n"
    )
    env = {"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_repo_instance_writes_every_day_record_where_dagster_sqlite_would(instance, tmp_path):
    assert isinstance(instance.event_log_storage, LakeSqliteEventLogStorage)
    res = dg.materialize(
        [table, per_day],
        instance=instance,
        tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]},
    )
    assert res.success
    # Dagster's layout for `storage: sqlite: base_dir: <home>`: an existing instance keeps its history.
    assert (tmp_path / "history" / "runs" / "index.db").exists()
    assert (tmp_path / "history" / "runs" / f"{res.run_id}.db").exists()
    assert (tmp_path / "history" / "runs.db").exists()
    key = dg.AssetCheckKey(table.key, "per_day")
    records = instance.event_log_storage.get_asset_check_execution_history(key, limit=100)
    by_day = {r.partition: r.status.value for r in records if r.partition}
    assert sorted(by_day) == DAYS
    assert [d for d, s in by_day.items() if s == "FAILED"] == [DAYS[3]]
    # The writer still holds its index connection open: another process (the webserver, a CLI
    # command) reads every committed record anyway (WAL readers see commits, not only checkpoints).
    assert _count_in_another_process(tmp_path) == f"LakeSqliteEventLogStorage {len(records)} {DAYS[3]}"


def test_each_file_keeps_one_connection_that_syncs_normally_under_wal(instance):
    storage = instance.event_log_storage
    for connect in (storage.index_connection, lambda: storage.run_connection("some-run")):
        with connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            first = conn.connection.dbapi_connection
        with connect() as conn:
            assert conn.connection.dbapi_connection is first  # reused, not reopened


def test_the_live_run_view_sees_every_write_of_a_run_whose_writer_keeps_its_connection(instance, tmp_path):
    """The UI follows a run through `watch`. The writer (here a second storage on the same folder, as a
    run worker's process is) keeps its connection, so its writes stay in the run's WAL file, never
    checkpointed into the run file while it runs: the watcher must wake on the WAL, and read the last
    write of a burst too. Once the writer closes, the WAL is checkpointed and gone."""
    import logging
    import threading
    import time

    run_id = "a-live-run"
    seen: list[str] = []
    done = threading.Event()

    def on_event(event, _cursor):
        seen.append(event.user_message)
        if len(seen) == 30:
            done.set()

    instance.event_log_storage.watch(run_id, None, on_event)
    writer = LakeSqliteEventLogStorage(str(tmp_path / "history" / "runs"))
    try:
        for burst in range(3):
            for i in range(10):
                writer.store_event(
                    dg.EventLogEntry(error_info=None, level=logging.INFO, user_message=f"{burst}-{i}",
                                  run_id=run_id, timestamp=time.time())
                )
            time.sleep(0.3)
        wal = tmp_path / "history" / "runs" / f"{run_id}.db-wal"
        assert wal.exists() and wal.stat().st_size > 0  # the writes are in the WAL, not the run file
        assert done.wait(10), f"the watcher saw {len(seen)} of 30 writes"
        assert seen == [f"{b}-{i}" for b in range(3) for i in range(10)]
    finally:
        writer.dispose()
    instance.event_log_storage.dispose()  # the reader's connection too
    assert not wal.exists()  # the last close checkpointed the run's WAL into its file


def _page_size(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA page_size").fetchone()[0]


def test_new_files_get_large_pages_and_an_existing_index_keeps_its_own(instance, tmp_path, monkeypatch):
    """An event row is ~1-4 KB: a fresh instance's index and each run's file use PAGE_SIZE pages (a 4 KB
    page holds one such row and much slack). An instance made before keeps its 4 KB index and works."""
    from nba_assets.dagster_internals.event_log import PAGE_SIZE

    res = dg.materialize([table, per_day], instance=instance, partition_key=DAYS[0])
    runs = tmp_path / "history" / "runs"
    assert _page_size(runs / "index.db") == PAGE_SIZE == _page_size(runs / f"{res.run_id}.db") == 16384
    with instance.event_log_storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    old = tmp_path / "old"  # an instance Dagster's own sqlite storage made (no dagster.yaml yet)
    old.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(old))
    with dg.DagsterInstance.get() as inst:
        assert dg.materialize([table], instance=inst, partition_key=DAYS[0]).success
    assert _page_size(old / "history" / "runs" / "index.db") == 4096
    (old / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    with dg.DagsterInstance.get() as inst:
        assert isinstance(inst.event_log_storage, LakeSqliteEventLogStorage)
        assert dg.materialize([table, per_day], instance=inst, partition_key=DAYS[1]).success
        assert [r.partition_key for r in inst.fetch_materializations(table.key, limit=5).records] == [DAYS[1], DAYS[0]]
    assert _page_size(old / "history" / "runs" / "index.db") == 4096


# Set by the database when a row or migration is created (wall clock), not from the event.
WALL_CLOCK = {"create_timestamp", "migration_completed"}


def _rows(base: Path) -> dict[str, list[tuple]]:
    """Every row of every table of every shard under `base`, in id order (ids included), without
    the columns the database fills with the wall clock."""
    import sqlite3

    out: dict[str, list[tuple]] = {}
    for db in sorted(base.glob("*.db")):
        with sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
            for table in tables:
                cur = conn.execute(f"select * from {table} order by rowid")
                keep = [i for i, d in enumerate(cur.description) if d[0] not in WALL_CLOCK]
                out[f"{db.name}:{table}"] = [tuple(row[i] for i in keep) for row in cur]
    return out


def test_a_batch_leaves_exactly_the_rows_dagster_writes_event_by_event(instance, tmp_path, monkeypatch):
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    batches: list[int] = []
    original = LakeSqliteEventLogStorage.store_event_batch

    def spy(self, events):
        batches.append(len(events))
        original(self, events)

    monkeypatch.setattr(LakeSqliteEventLogStorage, "store_event_batch", spy)
    res = dg.materialize(
        [table, per_day, per_day_partitioned],
        instance=instance,
        tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]},
    )
    assert res.success
    # The storage turned Dagster's batching on: the run's planned events and the range's 10
    # materializations arrive as batches (the per-day check records: checks/per_day.py's test).
    assert batches and max(batches) >= len(DAYS)
    entries = [r.event_log_entry for r in instance.get_records_for_run(res.run_id, limit=10_000).records]
    assert len(entries) > 30

    from dagster._core.events.log import EventLogEntry

    from nba_assets.dagster_internals import event_log

    serialized: list[int] = []  # ids of the events Dagster's serializer was asked for
    real = event_log._SERIALIZE

    def counting(value, *args, **kwargs):
        if type(value) is EventLogEntry:
            serialized.append(id(value))
        return real(value, *args, **kwargs)

    monkeypatch.setattr(event_log, "_SERIALIZE", counting)
    dagster_dir, ours_dir = tmp_path / "dagster", tmp_path / "ours"
    dagster = SqliteEventLogStorage(str(dagster_dir))
    for entry in entries:
        dagster.store_event(entry)
    by_dagster, serialized[:] = len(serialized), []
    ours = LakeSqliteEventLogStorage(str(ours_dir))
    prepared: list[bool] = []  # which check records took the prepared UPDATE (the others: Dagster's code)
    update = LakeSqliteEventLogStorage._update_check_execution

    def counting_update(self, *args):
        prepared.append(update(self, *args))
        return prepared[-1]

    monkeypatch.setattr(LakeSqliteEventLogStorage, "_update_check_execution", counting_update)
    original(ours, entries)
    # The partitioned check's days updated their planned rows in one prepared statement each; the
    # unpartitioned check's days (no planned row per day) and its whole-range result went through Dagster's.
    assert prepared.count(True) == len(DAYS) and prepared.count(False) > len(DAYS)
    # Our batch serialized each event once; Dagster serialized some twice, every check evaluation among
    # them (the event row and the check-execution row).
    checks = sum(e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION for e in entries)
    assert sorted(serialized) == sorted(id(e) for e in entries), (len(serialized), len(entries))
    assert checks > len(DAYS) and by_dagster >= len(entries) + checks
    # And event by event, as a daily run's single events arrive (`store_event`, also Dagster's fallback
    # after a failed batch): the same rows again.
    single_dir = tmp_path / "single"
    single = LakeSqliteEventLogStorage(str(single_dir))
    for entry in entries:
        single.store_event(entry)
    for storage in (ours, dagster, single):
        storage.dispose()
    expected = _rows(dagster_dir)
    for got in (_rows(ours_dir), _rows(single_dir)):
        assert sorted(got) == sorted(expected)
        for name, rows in expected.items():
            assert len(got[name]) == len(rows), name
            for ours_row, row in zip(got[name], rows, strict=True):
                differ = [(i, a, b) for i, (a, b) in enumerate(zip(ours_row, row, strict=True)) if a != b]
                assert not differ, (name, row[0], [(i, str(a)[:300], str(b)[:300]) for i, a, b in differ])
    # The comparison saw the tables that matter: the run's events, their index mirror, the check records.
    assert len(expected[f"{res.run_id}.db:event_logs"]) == len(entries)
    assert any(r for r in expected["index.db:asset_check_executions"])
