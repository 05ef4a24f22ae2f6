"""Tamper evidence: the lake's files against what the pipeline recorded writing them.

The lake IO manager puts each file's row count and sha256 in its materialization metadata (computed from
the bytes it writes). The latest materialization of a (table, day) is the truth; `verify` lists the
lake's files, hashes them and names every file that is

- changed: its bytes are not the ones the pipeline wrote (a hand-edited file, a `COPY ... TO` from a
  shell, a restore of an old copy);
- missing: materialized, but no file is there;
- added: a file no materialization wrote (a file dropped into a table folder, a folder of a table
  the registry does not know, a day no run ever materialized);

and counts as `unhashed` the files whose materialization predates the hashes (their row count is
compared instead: a different count is `changed`). `nba-lake verify` and the scheduled `verify_lake`
job call `verify`; each writes its result to `<data_dir>/verify/last.json`, which `nba-lake status`
shows without verifying again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from nba_assets import tables
from resources.files import LAKE_DIR, data_path, file_sha256, is_local, parquet_rows

CHANGED, MISSING, ADDED = "changed", "missing", "added"
LAST_RECORD = ("verify", "last.json")  # under the data dir, outside the lake's folder
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Recorded:
    """What the latest materialization of a table-day says about its file."""

    rows: int | None
    sha256: str | None


@dataclass(frozen=True)
class Finding:
    kind: str  # CHANGED | MISSING | ADDED
    file: str  # relative to the lake folder: layer/table/<day>.parquet
    detail: str


@dataclass
class Report:
    window: str  # "2025-12-01..2025-12-14" or "whole lake"
    files: int = 0  # files looked at
    unhashed: int = 0  # recorded before hashes: compared by row count only
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    finished_at: str = ""
    by: str = ""

    @property
    def clean(self) -> bool:
        return not self.findings

    def count(self, kind: str) -> int:
        return sum(f.kind == kind for f in self.findings)

    def summary(self) -> str:
        if self.clean:
            text = f"{self.files:,} file(s) match their materializations"
        else:
            kinds = ", ".join(f"{self.count(k)} {k}" for k in (CHANGED, MISSING, ADDED) if self.count(k))
            text = f"{len(self.findings)} of {self.files:,} file(s) differ from the pipeline's record: {kinds}"
        return text + (f" ({self.unhashed:,} recorded before hashes: row counts compared)" if self.unhashed else "")


def _rel(table: tables.Table, day: str) -> str:
    return f"{table.layer}/{table.name}/{day}.parquet"


def compare(
    recorded: Mapping[tuple[str, str], Recorded],
    found: Mapping[str, str],
    rows_of: Callable[[str], int | None],
    days: set[str] | None = None,
) -> tuple[list[Finding], int]:
    """Findings and the number of unhashed files. `recorded`: {(table label, day): Recorded};
    `found`: {relative path: sha256} of the files in scope; `rows_of(path)`: a file's row count
    (asked only where a detail needs it); `days`: the window (None: every day)."""
    findings: list[Finding] = []
    unhashed = 0
    expected: dict[str, Recorded] = {}
    for (label, day), rec in recorded.items():
        table = tables.lake_table(label)
        if table is not None and (days is None or day in days):
            expected[_rel(table, day)] = rec
    for path in sorted(set(expected) | set(found)):
        rec, digest = expected.get(path), found.get(path)
        if rec is None:
            findings.append(Finding(ADDED, path, "no materialization wrote this file"))
        elif digest is None:
            findings.append(Finding(MISSING, path, f"materialized with {_rows(rec.rows)}, no file"))
        elif rec.sha256 is None:
            unhashed += 1
            now = rows_of(path)
            if rec.rows is not None and now != rec.rows:
                findings.append(Finding(CHANGED, path, f"{_rows(now)} now, {_rows(rec.rows)} when written"))
        elif rec.sha256 != digest:
            findings.append(Finding(
                CHANGED, path, f"sha256 {digest[:12]} != {rec.sha256[:12]} written; {_rows(rows_of(path))} now, "
                f"{_rows(rec.rows)} when written"))
    return findings, unhashed


def _rows(n: int | None) -> str:
    return "unreadable" if n is None else f"{n:,} rows"


def scan(lake, days: set[str] | None) -> dict[str, str]:
    """{relative path: sha256} of every `*.parquet` under the lake folder (`days`: a day file only when
    its day is in the window; a file whose name is not a day is always in scope: DuckDB reads it)."""
    found: dict[str, str] = {}
    if not is_local(lake):
        lake.fs.invalidate_cache()  # gcsfs keeps listings: a long-lived process would see stale ones
    if not lake.exists():
        return found
    for layer in sorted(p for p in lake.iterdir() if p.is_dir()):
        for folder in sorted(p for p in layer.iterdir() if p.is_dir()):
            for f in sorted(folder.iterdir()):
                if not f.name.endswith(".parquet"):
                    continue  # temp files of a write in flight are hidden and end in .tmp
                stem = f.name[: -len(".parquet")]
                if days is not None and _DAY.match(stem) and stem not in days:
                    continue
                try:
                    found[f"{layer.name}/{folder.name}/{f.name}"] = file_sha256(f)
                except FileNotFoundError:
                    continue  # removed while the scan ran: missing, if it was materialized
    return found


def window_days(start: dt.date | None, end: dt.date | None) -> set[str] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise ValueError("a window needs both its first and its last day")
    return {str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)}


def verify(
    data_dir: str,
    records: Callable[[list[str], set[str] | None], Mapping[tuple[str, str], Any]],
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    by: str,
) -> Report:
    """Compare the lake of `data_dir` with `records(table labels, days)` ({(table, day): an object with
    `rows` and `sha256`}) over [start, end] (both None: the whole lake), and store the result."""
    t0 = time.monotonic()
    days = window_days(start, end)
    lake = data_path(data_dir) / LAKE_DIR
    labels = [t.label for t in tables.LAKE]
    recorded = {k: Recorded(r.rows, r.sha256) for k, r in records(labels, days).items()}
    found = scan(lake, days)
    findings, unhashed = compare(recorded, found, lambda rel: _safe_rows(lake / rel), days)
    report = Report(window="whole lake" if days is None else f"{start}..{end}", files=len(found),
                    unhashed=unhashed, findings=findings, by=by)
    report.seconds = round(time.monotonic() - t0, 2)
    report.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    save(data_dir, report)
    return report


def _safe_rows(path) -> int | None:
    try:
        return parquet_rows(path)
    except Exception:  # noqa: BLE001 - a file a user broke is a finding, not a crash
        return None


def save(data_dir: str, report: Report) -> None:
    path = data_path(data_dir).joinpath(*LAST_RECORD)
    if is_local(path):  # an object store has no folders to make
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=1))


def load(data_dir: str) -> Report | None:
    """The last verify's result, or None when no verify has run (or its record is unreadable)."""
    path = data_path(data_dir).joinpath(*LAST_RECORD)
    try:
        raw = json.loads(path.read_text())
        raw["findings"] = [Finding(**f) for f in raw.get("findings", [])]
        return Report(**raw)
    except (OSError, ValueError, TypeError):
        return None


def by_table(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings per table label ("layer/table" from the file's path)."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault("/".join(f.file.split("/")[:2]), []).append(f)
    return out
