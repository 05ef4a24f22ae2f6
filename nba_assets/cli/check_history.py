"""Check results per day from the Dagster instance (used by `nba-lake status` and `nba-lake checks`).

Every run records one evaluation per day it checked, single-run range backfills included
(checks/per_day.py), so a day's result is simply the latest execution record of the check for that
partition. A record that was planned but never evaluated is "skipped" (an upstream step failed or
was skipped) or, while its run is still going, "planned".

The checks are those the instance holds records of, on the registry's daily and weekly tables
(nba_assets/tables.py says how each is partitioned): learning them from the code location would mean
importing and building every asset first, seconds before `nba-lake status` can print a line. The
records are read through an instance view (nba_assets/dagster_internals/instance_view.py): on the local instance
without importing Dagster at all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from nba_assets import tables
from nba_assets.dagster_internals.instance_view import EVALUATED, RANGE_END_TAG, RANGE_START_TAG, CheckRecord
from nba_assets.history import week_key


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


def markdown_records(text: str) -> tuple[list[str], list[list[str]], list[str]] | None:
    """(columns, rows, the notes after the table) of a metadata value that is a GitHub markdown table
    (checks/result.py `markdown_table`: escaped pipes, empty cells for nulls); None for any other
    text."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or not lines[0].startswith("|") or not set(lines[1].replace("|", "")) <= set("-: "):
        return None
    columns = _cells(lines[0])
    rows, notes = [], []
    for line in lines[2:]:
        if line.startswith("|"):
            rows.append(_cells(line))
        elif line.strip():
            notes.append(line.strip().strip("_"))
    return columns, rows, notes


def _cells(line: str) -> list[str]:
    """The cells of one markdown table row; `\\|` inside a cell is a literal pipe."""
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [p.strip().replace("\\|", "|") for p in parts[1:-1]]


def record_text(columns: list[str], cells: list[str]) -> str:
    """One record as `column: value · column: value`, every field and the whole value (empty ones
    are shown as such, so a missing player or value is visible)."""
    return " · ".join(f"{col}: {val if val else '(empty)'}" for col, val in zip(columns, cells, strict=False))


class CheckHistory:
    """The latest evaluation of every partitioned check for a day, from the instance's records (through
    an `instance_view`: the local SQLite files without Dagster, or Dagster's storage API)."""

    def __init__(self, view):
        self.view = view
        self.check_kinds: dict[tuple[str, str], str] = {}  # (asset, check) -> tables.DAILY | tables.WEEKLY
        for asset, check in view.check_keys():
            try:
                table = tables.get(asset)
            except KeyError:  # not a table of the registry
                continue
            if table.partitioned in (tables.DAILY, tables.WEEKLY):
                self.check_kinds[(asset, check)] = table.partitioned
        self._runs: dict[str, Any] = {}

    def _run(self, run_id: str):
        if run_id not in self._runs:
            self._runs[run_id] = self.view.run(run_id)
        return self._runs[run_id]

    def for_day(self, day: dt.date) -> list[CheckRow]:
        by_partition: dict[str, list] = defaultdict(list)
        for key, kind in self.check_kinds.items():
            by_partition[week_key(day) if kind == tables.WEEKLY else day.isoformat()].append(key)
        rows: list[CheckRow] = []
        for pk, keys in by_partition.items():
            latest = self.view.latest_checks(keys, pk)
            rows.extend(self._row(latest[key]) for key in keys if key in latest)
        return sorted(rows, key=lambda r: (r.asset, r.check))

    def _scope(self, run_id: str) -> str:
        run = self._run(run_id)
        tags = run.tags if run is not None else {}
        a, b = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        return f"range {a}..{b}" if a and b and a != b else "day"

    def _row(self, rec: CheckRecord) -> CheckRow:
        base = dict(asset=rec.asset, check=rec.check, scope=self._scope(rec.run_id), run_id=rec.run_id,
                    timestamp=rec.timestamp)  # fmt: skip
        if rec.status in EVALUATED and rec.passed is not None:
            return CheckRow(
                status="passed" if rec.passed else "failed",
                severity=rec.severity,
                description=rec.description or meta_text(rec.metadata.get("summary", "")),
                metadata=dict(rec.metadata),
                **base,
            )
        run = self._run(rec.run_id)
        if run is not None and not run.is_finished:
            return CheckRow(status="planned", severity="", description="run in progress", **base)
        return CheckRow(status="skipped", severity="",
                        description="planned but not evaluated (an upstream step failed or was skipped)",
                        **base)  # fmt: skip
