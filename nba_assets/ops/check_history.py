"""Check results per day from the Dagster instance, including single-run range backfills (used by
`nba-lake status` and `nba-lake checks`)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from nba_assets.ops import dagster_private as private
from nba_assets.partitions import partition_key_for


@dataclass
class CheckRow:
    asset: str
    check: str
    status: str  # passed | failed | skipped | planned | error
    severity: str  # ERROR | WARN | ""
    scope: str  # "day" or "range 2025-12-01..2025-12-07"
    run_id: str
    timestamp: float
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "error")

    @property
    def range_run(self) -> bool:
        return self.scope.startswith("range")


def meta_text(v: Any) -> str:
    """A metadata value as plain text (markdown stays markdown, JSON compact)."""
    value = getattr(v, "value", v)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, separators=(", ", ": "))
    return "" if value is None else str(value)


def _range_dates(text: str) -> tuple[dt.date, dt.date] | None:
    """'2025-12-07' or '2025-12-07..2025-12-08 (2 days)' -> (first, last)."""
    try:
        head = text.split(" ")[0]
        a, _, b = head.partition("..")
        return dt.date.fromisoformat(a), dt.date.fromisoformat(b or a)
    except ValueError:
        return None


class CheckHistory:
    """Check evaluations per partition from the instance, including single-run range results.

    A range run records ONE evaluation with partition None (its evaluated/failing dates are in the
    metadata) and leaves its per-day records PLANNED; this maps such a day back to the range's
    evaluation (same run id), and counts it as failing for the day only if the day is among its
    failing_dates (or when the check does not say which dates failed).
    """

    def __init__(self, instance, defs):
        self.instance = instance
        graph = defs.resolve_asset_graph()
        self.check_pdefs: dict[Any, Any] = {}
        for ck in graph.asset_check_keys:
            node = graph.get(ck.asset_key)
            if node.partitions_def is not None:
                self.check_pdefs[ck] = node.partitions_def
        self._unpartitioned: dict[Any, list] = {}
        self._runs: dict[str, Any] = {}

    def _range_records(self, key) -> list:
        if key not in self._unpartitioned:
            self._unpartitioned[key] = private.range_check_records(self.instance, key, limit=100)
        return self._unpartitioned[key]

    def _run(self, run_id: str):
        if run_id not in self._runs:
            self._runs[run_id] = self.instance.get_run_by_id(run_id)
        return self._runs[run_id]

    def for_day(self, day: dt.date) -> list[CheckRow]:
        by_partition: dict[str, list] = defaultdict(list)
        for ck, pdef in self.check_pdefs.items():
            pk = partition_key_for(pdef, day)
            if pk is not None:
                by_partition[pk].append(ck)
        rows: list[CheckRow] = []
        for pk, keys in by_partition.items():
            latest = private.latest_check_records(self.instance, keys, pk)
            for ck in keys:
                rec = latest.get(ck)
                if rec is not None and rec.status in private.EVALUATED and rec.event is not None:
                    rows.append(self._row(ck, rec, "day", day))
                else:
                    row = self._from_range(ck, rec, day)
                    if row is not None:
                        rows.append(row)
        return sorted(rows, key=lambda r: (r.asset, r.check))

    def _from_range(self, ck, rec, day: dt.date) -> CheckRow | None:
        """The range-run evaluation covering `day`: the run that planned this day's record, or (no
        per-day record at all) the latest range evaluation whose evaluated_dates cover the day."""
        ranged = [r for r in self._range_records(ck) if r.event is not None and r.status in private.EVALUATED]
        if rec is not None:
            match = next((r for r in ranged if r.run_id == rec.run_id), None)
            if match is not None:
                return self._row(ck, match, self._scope(match), day)
            run = self._run(rec.run_id)
            status = "planned" if run is not None and not run.is_finished else "skipped"
            return CheckRow("/".join(ck.asset_key.path), ck.name, status, "", "day", rec.run_id,
                            rec.create_timestamp, "planned but not evaluated (an upstream step failed or was skipped)"
                            if status == "skipped" else "run in progress")
        for r in ranged:
            ev = r.event.dagster_event.event_specific_data
            span = _range_dates(meta_text(ev.metadata.get("evaluated_dates", "")))
            if span and span[0] <= day <= span[1]:
                return self._row(ck, r, self._scope(r), day)
        return None

    def _scope(self, rec) -> str:
        ev = rec.event.dagster_event.event_specific_data
        text = meta_text(ev.metadata.get("evaluated_dates", ""))
        span = _range_dates(text) if text else None
        if span is None:
            run = self._run(rec.run_id)
            tags = run.tags if run is not None else {}
            a, b = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
            return f"range {a}..{b}" if a and b else "range run"
        return f"range {span[0]}..{span[1]}"

    def _row(self, ck, rec, scope: str, day: dt.date) -> CheckRow:
        ev = rec.event.dagster_event.event_specific_data
        meta = dict(ev.metadata)
        passed = ev.passed
        if not passed and scope != "day":
            failing = meta_text(meta.get("failing_dates", "")).strip()
            if failing and failing != "none":
                # The range failed; this day only if it is one of the failing dates.
                passed = str(day) not in {d.strip() for d in failing.split(",")}
        return CheckRow(
            asset="/".join(ck.asset_key.path),
            check=ck.name,
            status="passed" if passed else "failed",
            severity=ev.severity.value if ev.severity is not None else "",
            scope=scope,
            run_id=rec.run_id,
            timestamp=rec.create_timestamp,
            description=ev.description or meta_text(meta.get("summary", "")),
            metadata=meta,
        )
