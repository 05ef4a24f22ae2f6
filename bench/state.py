"""(h): how much state Dagster keeps per materialized table-day.

Locally the instance is a folder (`DAGSTER_HOME`: run and event SQLite files, schedules, compute
logs): its bytes (apparent file sizes, what `du -b` counts) over the table-days materialized in it.
A table-day is one asset partition materialized once: the count of `ASSET_MATERIALIZATION` rows in
the event index (`history/runs/index.db`, where Dagster mirrors every asset event of every run). In
prod the instance is PostgreSQL: `pg_event_state` sums `pg_total_relation_size` (rows, indexes,
TOAST) over the event-log tables and counts the same rows.

Only the standard library here: bench/run.py calls it between worker processes.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

MATERIALIZED = "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
# Dagster's event-log storage tables (dagster/_core/storage/event_log/schema.py); run, schedule and
# daemon tables are reported beside them, not counted as events.
EVENT_TABLES = ("event_logs", "asset_keys", "asset_event_tags", "asset_check_executions", "secondary_indexes",
                "dynamic_partitions", "concurrency_limits", "concurrency_slots", "pending_steps")


def folder_bytes(path: Path) -> dict[str, int]:
    """Bytes under `path` per top-level entry (a file, or a folder's files summed), largest first."""
    out: dict[str, int] = {}
    for entry in sorted(path.iterdir()):
        if entry.is_symlink():  # dagster.yaml may be a link to the repo's
            continue
        if entry.is_file():
            out[entry.name] = entry.stat().st_size
        elif entry.is_dir():
            total = 0
            for base, _dirs, files in os.walk(entry):
                total += sum(os.lstat(os.path.join(base, f)).st_size for f in files)
            out[entry.name + "/"] = total
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def sqlite_table_days(dagster_home: Path) -> int:
    """Materialized table-days recorded in a local instance's event index."""
    index = dagster_home / "history" / "runs" / "index.db"
    if not index.exists():
        raise FileNotFoundError(f"no event index at {index}: not a local Dagster instance that ran anything")
    con = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        return con.execute(MATERIALIZED).fetchone()[0]
    finally:
        con.close()


def per_table_day(state_bytes: int, table_days: int) -> float | None:
    """KB (1,000 bytes) of state per table-day; None when nothing was materialized."""
    return round(state_bytes / table_days / 1000, 2) if table_days else None


def local_state(dagster_home: Path) -> dict:
    """The local instance's bytes, by top-level entry, and per materialized table-day."""
    parts = folder_bytes(dagster_home)
    total, days = sum(parts.values()), sqlite_table_days(dagster_home)
    return {"instance_bytes": total, "table_days": days, "kb_per_table_day": per_table_day(total, days),
            "by_entry": parts}


def pg_event_state(conn) -> dict:
    """The same for a PostgreSQL instance (a DB-API connection to its database): the event tables'
    `pg_total_relation_size` per table-day, and every table's size."""
    with conn.cursor() as cur:
        cur.execute("select c.relname, pg_total_relation_size(c.oid) from pg_class c join pg_namespace n "
                    "on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'")
        sizes = {name: int(size) for name, size in cur.fetchall()}
        cur.execute(MATERIALIZED)
        days = cur.fetchone()[0]
    events = sum(v for k, v in sizes.items() if k in EVENT_TABLES)
    return {"event_tables_bytes": events, "database_tables_bytes": sum(sizes.values()), "table_days": days,
            "kb_per_table_day": per_table_day(events, days),
            "by_table": dict(sorted(sizes.items(), key=lambda kv: -kv[1]))}
