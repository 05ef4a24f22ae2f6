"""The local instance's event log (nba_assets/ops/instance_storage.py), loaded from the repo's dagster.yaml:
same files as Dagster's sqlite storage, every per-day check record written and visible to another process
while the writer's connection to the index stays open, and only the index connection kept open."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from nba_assets.ops.instance_storage import LakeSqliteEventLogStorage

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


def test_only_the_index_connection_is_kept_and_it_syncs_normally_under_wal(instance):
    storage = instance.event_log_storage
    with storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        first = conn.connection.dbapi_connection
    with storage.index_connection() as conn:
        assert conn.connection.dbapi_connection is first  # reused, not reopened
    with storage.run_connection("some-run") as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: Dagster's own
        run_conn = conn.connection.dbapi_connection
    with storage.run_connection("some-run") as conn:
        assert conn.connection.dbapi_connection is not run_conn  # per-run files: Dagster's open/close
