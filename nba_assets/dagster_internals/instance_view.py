"""What `nba-lake status` and `nba-lake checks` read from the Dagster instance, two ways.

- `SqliteView`: the local instance's SQLite files read with the standard library (sqlite3 + json), no
  Dagster imported. Importing Dagster and opening an instance took 3-5 s of a 5-7 s `status` (issue 17,
  bench part (e), target 2 s); the queries themselves take milliseconds.
- `DagsterView`: the same answers through Dagster's storage API, for every other instance (PostgreSQL
  in production, a DAGSTER_HOME not yet created, a dagster.yaml with other storages).

`instance_view(home, dagster_view)` picks: the SQLite view when DAGSTER_HOME's dagster.yaml selects
Dagster's default run storage and either Dagster's default event log or ours
(nba_assets/dagster_internals/event_log.py, the repo's dagster.yaml; the same files), both exist and no
in-progress run of this host has lost its process (the Dagster path marks those FAILED first:
nba_assets/cli/guard.py). The SQLite view reads only the record shapes it knows; anything else (a
metadata value of another kind, a wiped asset, a schema it does not recognise) raises `Unreadable` and
`FallbackView` answers that question and every later one through Dagster.

Verified on dagster 1.13.27: tests/unit/test_cli.py asserts that both views give equal answers on one
instance (check records of passed, failed and skipped checks with their metadata, runs, the latest
materializations, the last successful game-day run).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST_TAG = "nba/host"
PID_TAG = "nba/pid"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# DagsterRunStatus values: in progress, and finished (DagsterRun.is_finished).
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
# AssetCheckExecutionRecordStatus values of an evaluated check.
EVALUATED = ("SUCCEEDED", "FAILED")
# The event log storage of the repo's dagster.yaml (Dagster's sqlite files, nba_assets/dagster_internals/event_log.py).
_OUR_EVENT_LOG = ("nba_assets.dagster_internals.event_log", "LakeSqliteEventLogStorage")
# Serialized metadata values (Dagster's storage names) -> the field `MetadataValue.value` returns.
_METADATA_FIELD = {
    "TextMetadataEntryData": "text",
    "MarkdownMetadataEntryData": "md_str",
    "IntMetadataEntryData": "value",
    "FloatMetadataEntryData": "value",
    "BoolMetadataEntryData": "value",
    "JsonMetadataEntryData": "data",
    "PathMetadataEntryData": "path",
    "UrlMetadataEntryData": "url",
    "TimestampMetadataValue": "value",
}


class Unreadable(Exception):
    """The SQLite view does not know this record's shape: ask Dagster."""


@dataclass(frozen=True)
class CheckRecord:
    """The latest execution record of one check for one partition."""

    asset: str  # "layer/table"
    check: str
    status: str  # PLANNED | SUCCEEDED | FAILED | SKIPPED (AssetCheckExecutionRecordStatus)
    run_id: str
    timestamp: float  # when the record was created (the check was planned)
    passed: bool | None = None  # evaluated records only
    severity: str = ""  # ERROR | WARN
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # label -> MetadataValue.value


@dataclass(frozen=True)
class RunInfo:
    status: str  # DagsterRunStatus value
    tags: dict[str, str]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_dead_run(tags: dict[str, str], host: str) -> bool:
    """An in-progress run's tags say it ran in a process of `host` that no longer exists."""
    pid = tags.get(PID_TAG, "")
    if tags.get(HOST_TAG) != host or not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not pid_alive(int(pid))


def _utc_timestamp(value: Any) -> float:
    """A naive UTC DATETIME column (text in SQLite) as epoch seconds, as Dagster reads it."""
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC).timestamp()


def _class(obj: Any) -> str | None:
    return obj.get("__class__") if isinstance(obj, dict) else None


def _plain(value: Any) -> Any:
    """JSON without serdes markers (a JSON metadata value's data); Unreadable when it has any."""
    if isinstance(value, dict):
        if any(k.startswith("__") for k in value):
            raise Unreadable(f"serialized object in a JSON value: {sorted(value)[:3]}")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _metadata_value(obj: Any) -> Any:
    name = _class(obj)
    if name == "NullMetadataEntryData":
        return None
    if name not in _METADATA_FIELD or set(obj) != {"__class__", _METADATA_FIELD[name]}:
        raise Unreadable(f"metadata value {name or type(obj).__name__}")
    return _plain(obj[_METADATA_FIELD[name]])


def decode_evaluation(text: str) -> dict[str, Any]:
    """passed, severity, description and metadata of a serialized ASSET_CHECK_EVALUATION event."""
    entry = json.loads(text)
    dagster_event = entry.get("dagster_event") if _class(entry) == "EventLogEntry" else None
    data = dagster_event.get("event_specific_data") if _class(dagster_event) == "DagsterEvent" else None
    if _class(data) != "AssetCheckEvaluation" or not isinstance(data.get("success"), bool):
        raise Unreadable(f"evaluation event {_class(data)}")
    severity = data.get("severity")
    if severity is None:
        sev = ""
    elif isinstance(severity, dict) and str(severity.get("__enum__", "")).startswith("AssetCheckSeverity."):
        sev = severity["__enum__"].split(".", 1)[1]
    else:
        raise Unreadable(f"severity {severity!r}")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise Unreadable("metadata")
    return {"passed": data["success"], "severity": sev, "description": data.get("description"),
            "metadata": {k: _metadata_value(v) for k, v in metadata.items()}}


def _asset_db_string(path: str) -> str:
    """AssetKey.to_string() of a "layer/table" label: the JSON list of its parts, compact."""
    return json.dumps(path.split("/"))


def _asset_label(db_string: str) -> str:
    parts = json.loads(db_string)
    if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
        raise Unreadable(f"asset key {db_string!r}")
    return "/".join(parts)


class SqliteView:
    """The local instance's runs.db and event log index read directly (read-only, stdlib only)."""

    def __init__(self, runs_db: Path, index_db: Path):
        self._runs = self._open(runs_db)
        self._index = self._open(index_db)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        # Read-only: this view never writes; WAL readers see every committed run and event.
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    @classmethod
    def open(cls, home: Path) -> SqliteView | None:
        """The view of DAGSTER_HOME `home`, or None when its instance is not the local SQLite layout."""
        runs_db, index_db = home / "history" / "runs.db", home / "history" / "runs" / "index.db"
        if not (runs_db.is_file() and index_db.is_file()) or not _local_sqlite_config(home / "dagster.yaml", home):
            return None
        try:
            return cls(runs_db, index_db)
        except sqlite3.Error:
            return None

    def _query(self, con: sqlite3.Connection, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        try:
            return con.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:  # a schema this view does not know
            raise Unreadable(f"{type(exc).__name__}: {exc}") from exc

    # ---- runs
    def dead_runs(self, host: str) -> list[str]:
        """In-progress runs of `host` whose process is gone (`guard.fail_dead_runs` marks them FAILED)."""
        marks = ",".join("?" * len(IN_PROGRESS))
        rows = self._query(self._runs, f"select run_id from runs where status in ({marks})", IN_PROGRESS)
        return [rid for (rid,) in rows if (run := self.run(rid)) is not None and is_dead_run(run.tags, host)]

    def run(self, run_id: str) -> RunInfo | None:
        got = self._query(self._runs, "select status from runs where run_id = ?", [run_id])
        if not got:
            return None
        tags = self._query(self._runs, 'select "key", value from run_tags where run_id = ?', [run_id])
        return RunInfo(status=got[0][0], tags=dict(tags))

    def last_success_end(self, job_name: str) -> float | None:
        got = self._query(self._runs, "select end_time from runs where pipeline_name = ? and status = 'SUCCESS' "
                                      "order by id desc limit 1", [job_name])
        return got[0][0] if got else None

    # ---- asset checks
    def check_keys(self) -> list[tuple[str, str]]:
        rows = self._query(self._index, "select distinct asset_key, check_name from asset_check_executions")
        return sorted((_asset_label(a), c) for a, c in rows if a and c)

    def latest_checks(self, keys: Iterable[tuple[str, str]], partition: str) -> dict[tuple[str, str], CheckRecord]:
        keys = list(keys)
        if not keys:
            return {}
        assets = sorted({_asset_db_string(a) for a, _ in keys})
        names = sorted({c for _, c in keys})
        rows = self._query(
            self._index,
            f"""select e.asset_key, e.check_name, e.run_id, e.execution_status, e.evaluation_event, e.create_timestamp
                from asset_check_executions e join (
                  select max(id) as id from asset_check_executions
                  where asset_key in ({",".join("?" * len(assets))}) and check_name in ({",".join("?" * len(names))})
                    and partition = ?
                  group by asset_key, check_name) latest on e.id = latest.id""",
            [*assets, *names, partition],
        )
        out = {}
        for asset_key, name, run_id, status, event, created in rows:
            # A planned record holds the planned event (no verdict): only an evaluation is decoded.
            evaluation = decode_evaluation(event) if event and status in EVALUATED else {}
            rec = CheckRecord(asset=_asset_label(asset_key), check=name, status=status, run_id=run_id,
                              timestamp=_utc_timestamp(created), **evaluation)
            out[(rec.asset, rec.check)] = rec
        return out

    # ---- materializations
    def last_materializations(self, assets: Iterable[str]) -> dict[str, float | None]:
        """Epoch seconds of each asset's latest materialization (None: never materialized)."""
        assets = list(assets)
        if not assets:
            return {}
        marks = ",".join("?" * len(assets))
        rows = self._query(self._index, f"select asset_key, last_materialization, asset_details, wipe_timestamp "
                                        f"from asset_keys where asset_key in ({marks})",
                           [_asset_db_string(a) for a in assets])
        found: dict[str, float | None] = dict.fromkeys(assets)
        for asset_key, last, details, wiped in rows:
            if details or wiped:  # wiped once: Dagster filters the events before the wipe
                raise Unreadable(f"asset {asset_key} was wiped")
            if not last:
                continue
            record = json.loads(last)
            entry = record.get("event_log_entry") if _class(record) == "EventLogRecord" else None
            if _class(entry) != "EventLogEntry" or not isinstance(entry.get("timestamp"), int | float):
                raise Unreadable(f"last materialization of {asset_key}: {_class(record)}")
            found[_asset_label(asset_key)] = float(entry["timestamp"])
        return found

    def file_records(self, tables: Iterable[str], days: Iterable[str] | None = None) -> dict:
        """{(table, day): FileRecord} of each table-day's latest materialization (file_records.py)."""
        from nba_assets.dagster_internals.file_records import sqlite_records

        return sqlite_records(self._index, tables, days)


class DagsterView:
    """The same answers through Dagster's storage API (any instance)."""

    def __init__(self, instance):
        self.instance = instance

    def run(self, run_id: str) -> RunInfo | None:
        run = self.instance.get_run_by_id(run_id)
        return None if run is None else RunInfo(status=run.status.value, tags=dict(run.tags))

    def last_success_end(self, job_name: str) -> float | None:
        import dagster as dg

        recs = self.instance.get_run_records(
            filters=dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1)
        return recs[0].end_time if recs else None

    def check_keys(self) -> list[tuple[str, str]]:
        from nba_assets.dagster_internals import private_api as private

        return sorted(("/".join(k.asset_key.path), k.name) for k in private.recorded_check_keys(self.instance))

    def latest_checks(self, keys: Iterable[tuple[str, str]], partition: str) -> dict[tuple[str, str], CheckRecord]:
        import dagster as dg

        from nba_assets.dagster_internals import private_api as private

        check_keys = [dg.AssetCheckKey(dg.AssetKey(a.split("/")), c) for a, c in keys]
        out = {}
        for ck, rec in private.latest_check_records(self.instance, check_keys, partition).items():
            evaluation: dict[str, Any] = {}
            if rec.event is not None and rec.status.value in EVALUATED:
                ev = rec.event.dagster_event.event_specific_data
                evaluation = {"passed": ev.passed, "severity": ev.severity.value if ev.severity is not None else "",
                              "description": ev.description,
                              "metadata": {k: v.value for k, v in ev.metadata.items()}}
            label = "/".join(ck.asset_key.path)
            out[(label, ck.name)] = CheckRecord(asset=label, check=ck.name, status=rec.status.value,
                                                run_id=rec.run_id, timestamp=rec.create_timestamp, **evaluation)
        return out

    def last_materializations(self, assets: Iterable[str]) -> dict[str, float | None]:
        import dagster as dg

        out: dict[str, float | None] = {}
        for a in assets:
            ev = self.instance.get_latest_materialization_event(dg.AssetKey(a.split("/")))
            out[a] = ev.timestamp if ev is not None else None
        return out

    def file_records(self, tables: Iterable[str], days: Iterable[str] | None = None) -> dict:
        from nba_assets.dagster_internals.file_records import dagster_records

        return dagster_records(self.instance, tables, days)


class FallbackView:
    """The SQLite view until it meets a record it cannot read; from then on the Dagster view."""

    def __init__(self, first: SqliteView, fallback: Callable[[], DagsterView]):
        self._view: SqliteView | DagsterView = first
        self._fallback = fallback
        self.uses_dagster = False

    def _ask(self, name: str, *args):
        try:
            return getattr(self._view, name)(*args)
        except Unreadable:
            if self.uses_dagster:
                raise
            self._view, self.uses_dagster = self._fallback(), True
            return getattr(self._view, name)(*args)

    def run(self, run_id: str) -> RunInfo | None:
        return self._ask("run", run_id)

    def last_success_end(self, job_name: str) -> float | None:
        return self._ask("last_success_end", job_name)

    def check_keys(self) -> list[tuple[str, str]]:
        return self._ask("check_keys")

    def latest_checks(self, keys, partition: str) -> dict[tuple[str, str], CheckRecord]:
        return self._ask("latest_checks", list(keys), partition)

    def last_materializations(self, assets) -> dict[str, float | None]:
        return self._ask("last_materializations", list(assets))

    def file_records(self, tables, days=None) -> dict:
        return self._ask("file_records", list(tables), None if days is None else list(days))


def _local_sqlite_config(cfg: Path, home: Path) -> bool:
    """DAGSTER_HOME's dagster.yaml keeps Dagster's default sqlite runs and a sqlite event log under it."""
    if not cfg.exists():
        return True  # no dagster.yaml: Dagster's defaults, sqlite under DAGSTER_HOME
    import yaml

    try:
        config = yaml.safe_load(cfg.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return False
    if not isinstance(config, dict) or any(k in config for k in ("storage", "run_storage")):
        return False
    event_log = config.get("event_log_storage")
    if event_log is None:
        return True
    if not isinstance(event_log, dict):
        return False
    if (event_log.get("module"), event_log.get("class")) != _OUR_EVENT_LOG:
        return False
    where = (event_log.get("config") or {}).get("instance_dir")
    return where == {"env": "DAGSTER_HOME"} or (isinstance(where, str) and Path(where) == home)


def instance_view(home: Path, dagster_view: Callable[[], DagsterView]):
    """The cheapest view that gives Dagster's answers for DAGSTER_HOME `home` (module docstring)."""
    local = SqliteView.open(home)
    try:
        if local is None or local.dead_runs(socket.gethostname()):
            return dagster_view()
    except Unreadable:
        return dagster_view()
    return FallbackView(local, dagster_view)
