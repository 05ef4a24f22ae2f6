"""Check results per day, read from the Dagster instance for `nba-lake status` and `nba-lake checks`.

Every run records one evaluation per day it checked, range runs included (checks/per_day.py), so a
day's result is simply the latest execution record of the check for that partition. A record that
was planned but never evaluated is "skipped" (an upstream step failed or was skipped) or, while its
run is still going, "planned".

The record lookups by partition use Dagster's event-log storage API, which has no public export for
the partition filter and the record status: they are confined to this module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass
class CheckRow:
    asset: str
    check: str
    status: str  # passed | failed | skipped | planned
    severity: str  # ERROR | WARN | ""
    scope: str  # "day" (a daily run) or "range 2025-12-01..2025-12-07" (this day's record of a range run)
    run_id: str
    timestamp: float
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def meta_text(v: Any) -> str:
    """A metadata value as plain text (markdown stays markdown, JSON compact)."""
    value = getattr(v, "value", v)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, separators=(", ", ": "))
    return "" if value is None else str(value)


def partition_for(pdef, day: dt.date) -> str | None:
    """The partition key of `pdef` that contains `day` (a day for game_dates, a Monday for model_weeks)."""
    import dagster as dg

    if not isinstance(pdef, dg.TimeWindowPartitionsDefinition):
        return None
    if pdef.cron_schedule.split()[-1] != "*":  # weekly: the week's first day
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


class CheckHistory:
    """The latest evaluation of every partitioned check for a day, from the instance's records."""

    def __init__(self, instance, defs):
        self.instance = instance
        graph = defs.resolve_asset_graph()
        self.check_pdefs: dict[Any, Any] = {}
        for ck in graph.asset_check_keys:
            node = graph.get(ck.asset_key)
            if node.partitions_def is not None:
                self.check_pdefs[ck] = node.partitions_def
        self._runs: dict[str, Any] = {}

    def _run(self, run_id: str):
        if run_id not in self._runs:
            self._runs[run_id] = self.instance.get_run_by_id(run_id)
        return self._runs[run_id]

    def for_day(self, day: dt.date) -> list[CheckRow]:
        from dagster._core.event_api import PartitionKeyFilter

        by_partition: dict[str, list] = defaultdict(list)
        for ck, pdef in self.check_pdefs.items():
            pk = partition_for(pdef, day)
            if pk is not None:
                by_partition[pk].append(ck)
        rows: list[CheckRow] = []
        storage = self.instance.event_log_storage
        for pk, keys in by_partition.items():
            latest = storage.get_latest_asset_check_execution_by_key(keys, partition_filter=PartitionKeyFilter(key=pk))
            rows.extend(self._row(ck, latest[ck]) for ck in keys if ck in latest)
        return sorted(rows, key=lambda r: (r.asset, r.check))

    def _scope(self, run_id: str) -> str:
        run = self._run(run_id)
        tags = run.tags if run is not None else {}
        a, b = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        return f"range {a}..{b}" if a and b and a != b else "day"

    def _row(self, ck, rec) -> CheckRow:
        from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as S

        base = dict(asset="/".join(ck.asset_key.path), check=ck.name, scope=self._scope(rec.run_id),
                    run_id=rec.run_id, timestamp=rec.create_timestamp)  # fmt: skip
        if rec.status in (S.SUCCEEDED, S.FAILED) and rec.event is not None:
            ev = rec.event.dagster_event.event_specific_data
            meta = dict(ev.metadata)
            return CheckRow(
                status="passed" if ev.passed else "failed",
                severity=ev.severity.value if ev.severity is not None else "",
                description=ev.description or meta_text(meta.get("summary", "")),
                metadata=meta,
                **base,
            )
        run = self._run(rec.run_id)
        if rec.status == S.PLANNED and run is not None and not run.is_finished:
            return CheckRow(status="planned", severity="", description="run in progress", **base)
        return CheckRow(status="skipped", severity="",
                        description="planned but not evaluated (an upstream step failed or was skipped)",
                        **base)  # fmt: skip
