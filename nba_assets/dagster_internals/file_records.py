"""The latest materialization of every (table, day): what the lake IO manager recorded of each file it
wrote (its row count and sha256), the truth `nba-lake verify` compares the lake with.

Two ways, giving the same answers (tests/unit/test_verify.py compares them on one instance):
- `sqlite_records`: the local instance's event-log index (`history/runs/index.db`) read with sqlite3 and
  json, no Dagster imported: one query takes the newest materialization id per (asset, partition), a
  second reads those events. A season lake's ~2,500 day files take well under a second.
- `dagster_records`: Dagster's public `DagsterInstance.fetch_materializations`, newest first, per table
  (PostgreSQL in production, and any instance the SQLite view cannot read).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nba_assets.dagster_internals.instance_view import (
    Unreadable,
    _asset_db_string,
    _asset_label,
    _class,
    _metadata_value,
)

ROW_COUNT = "dagster/row_count"
FILE_HASH = "sha256"  # the lake IO manager's entry (io_managers/lake.py FILE_HASH)
PAGE = 1000


@dataclass(frozen=True)
class FileRecord:
    """What the latest materialization of one table-day says about its file."""

    table: str  # "layer/table"
    day: str  # the partition key
    rows: int | None
    sha256: str | None  # None: written before content hashes were recorded
    run_id: str
    timestamp: float


def _from_metadata(table: str, day: str, run_id: str, ts: float, metadata: dict[str, Any]) -> FileRecord:
    rows, digest = metadata.get(ROW_COUNT), metadata.get(FILE_HASH)
    return FileRecord(table, day, int(rows) if rows is not None else None,
                      str(digest) if digest is not None else None, run_id, float(ts))


def _decode(text: str) -> tuple[float, dict[str, Any]]:
    """Timestamp and the two metadata entries of a serialized ASSET_MATERIALIZATION event."""
    entry = json.loads(text)
    event = entry.get("dagster_event") if _class(entry) == "EventLogEntry" else None
    data = event.get("event_specific_data") if _class(event) == "DagsterEvent" else None
    mat = data.get("materialization") if _class(data) == "StepMaterializationData" else None
    entries = mat.get("metadata_entries") if _class(mat) == "AssetMaterialization" else None
    if not isinstance(entries, list):
        raise Unreadable(f"materialization event {_class(data)}")
    wanted = {}
    for e in entries:  # Dagster stores metadata as [{label, entry_data}] (EventMetadataEntry)
        if _class(e) != "EventMetadataEntry":
            raise Unreadable(f"metadata entry {_class(e)}")
        if e.get("label") in (ROW_COUNT, FILE_HASH):
            wanted[e["label"]] = _metadata_value(e.get("entry_data"))
    return float(entry["timestamp"]), wanted


def sqlite_records(
    index_db: sqlite3.Connection, tables: Iterable[str], days: Iterable[str] | None = None
) -> dict[tuple[str, str], FileRecord]:
    """{(table, day): record} of the latest materialization per table-day (`days`: only those)."""
    keys = [_asset_db_string(t) for t in tables]
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    wiped = index_db.execute(
        f"select asset_key from asset_keys where asset_key in ({marks}) and wipe_timestamp is not null", keys
    ).fetchall()
    if wiped:  # Dagster hides the events before a wipe: ask it
        raise Unreadable(f"asset {wiped[0][0]} was wiped")
    day_list = None if days is None else sorted(set(days))
    where = f"dagster_event_type = 'ASSET_MATERIALIZATION' and asset_key in ({marks}) and partition is not null"
    args: list[Any] = list(keys)
    if day_list is not None:
        where += f" and partition in ({','.join('?' * len(day_list))})"
        args += day_list
    try:
        rows = index_db.execute(
            f"""select e.asset_key, e.partition, e.run_id, e.event from event_logs e join (
                  select max(id) as id from event_logs where {where} group by asset_key, partition
                ) latest on e.id = latest.id""",
            args,
        ).fetchall()
    except sqlite3.Error as exc:
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
    out = {}
    for asset_key, day, run_id, text in rows:
        ts, meta = _decode(text)
        table = _asset_label(asset_key)
        out[(table, day)] = _from_metadata(table, day, run_id, ts, meta)
    return out


def dagster_records(
    instance: Any, tables: Iterable[str], days: Iterable[str] | None = None
) -> dict[tuple[str, str], FileRecord]:
    """The same through `DagsterInstance.fetch_materializations` (newest first, pages of PAGE)."""
    import dagster as dg

    day_list = None if days is None else sorted(set(days))
    out: dict[tuple[str, str], FileRecord] = {}
    for table in tables:
        flt = dg.AssetRecordsFilter(asset_key=dg.AssetKey(table.split("/")), asset_partitions=day_list)
        cursor = None
        while True:
            page = instance.fetch_materializations(flt, limit=PAGE, cursor=cursor)
            for rec in page.records:
                day = rec.partition_key
                if day is None or (table, day) in out:
                    continue  # an older materialization of a day already seen
                meta = {k: v.value for k, v in rec.asset_materialization.metadata.items() if k in (ROW_COUNT, FILE_HASH)}
                out[(table, day)] = _from_metadata(table, day, rec.run_id, rec.timestamp, meta)
            if not page.has_more:
                break
            cursor = page.cursor
    return out
