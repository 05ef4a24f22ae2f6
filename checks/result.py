"""The result every check rule returns, and its translation into a Dagster AssetCheckResult.

Rules are pure functions on polars frames (no Dagster); `to_check_result` is the only place that knows
how a rule's outcome is shown in the UI. Metadata is what an operator needs to act: counts, the
offending keys as a markdown table, and the failing game dates (a range run's verdict names them;
each day's own evaluation is logged beside it, see checks/per_day.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import dagster as dg

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class RuleResult:
    """Outcome of one rule over one or many game dates."""

    passed: bool
    summary: str
    n_offending: int = 0
    offending: pl.DataFrame = field(default_factory=pl.DataFrame)  # a sample, <= SAMPLE_ROWS rows
    failing_dates: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def dates_of(df: pl.DataFrame, column: str = "game_date") -> list[str]:
    """Sorted distinct ISO dates of `column` (empty when the frame has no such column)."""
    if column not in df.columns or df.height == 0:
        return []
    return sorted({str(v) for v in df.get_column(column).drop_nulls().unique().to_list()})


def from_offending(
    offending: pl.DataFrame,
    *,
    ok: str,
    problem: str,
    extra: dict[str, Any] | None = None,
    n_offending: int | None = None,
    sort_by: list[str] | None = None,
) -> RuleResult:
    """Build a RuleResult from the FULL offending frame: passed iff it is empty.

    `problem` may use `{n}` (offending rows) and `{dates}` (number of failing dates).
    """
    n = offending.height if n_offending is None else n_offending
    failing = dates_of(offending)
    if sort_by:
        offending = offending.sort(sort_by, nulls_last=True)
    if n == 0:
        return RuleResult(True, ok, 0, offending.head(0), [], dict(extra or {}))
    return RuleResult(
        passed=False,
        summary=problem.format(n=n, dates=len(failing)),
        n_offending=n,
        offending=offending.head(SAMPLE_ROWS),
        failing_dates=failing,
        extra=dict(extra or {}),
    )


def combine(*results: RuleResult, summary: str | None = None) -> RuleResult:
    """One result for several rules of one check: fails if any fails; samples and extras are merged."""
    failed = [r for r in results if not r.passed]
    samples = [r.offending for r in failed if r.offending.height]
    extra: dict[str, Any] = {}
    for r in results:
        extra.update(r.extra)
    return RuleResult(
        passed=not failed,
        summary=summary or "; ".join(r.summary for r in (failed or results)),
        n_offending=sum(r.n_offending for r in failed),
        offending=pl.concat(samples, how="diagonal_relaxed").head(SAMPLE_ROWS) if samples else pl.DataFrame(),
        failing_dates=sorted({d for r in failed for d in r.failing_dates}),
        extra=extra,
    )


def markdown_table(df: pl.DataFrame, max_rows: int = SAMPLE_ROWS) -> str:
    """A GitHub-style markdown table (what MetadataValue.md renders in the UI)."""
    if df.width == 0:
        return "_(no rows)_"
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.head(max_rows).iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if df.height > max_rows:
        lines.append(f"\n_{df.height - max_rows} more row(s) not shown_")
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e-3 and v != 0 else f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v).replace("|", "\\|")


def _metadata_value(v: Any) -> Any:
    import dagster as dg  # here: the rules and `nba-lake status` (checks.coverage) never need it

    if isinstance(v, pl.DataFrame):
        return dg.MetadataValue.md(markdown_table(v))
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    if isinstance(v, dt.date | dt.datetime):
        return str(v)
    if isinstance(v, dict | list | tuple):
        return dg.MetadataValue.json(json.loads(json.dumps(v, default=str)))
    return str(v)


def to_check_result(
    result: RuleResult,
    *,
    severity: dg.AssetCheckSeverity,
    check_name: str | None = None,
    asset_key: dg.AssetKey | None = None,
    dates: Iterable[str] | None = None,
) -> dg.AssetCheckResult:
    """Translate a RuleResult; `dates` (the evaluated partition keys) is recorded for range runs."""
    import dagster as dg  # here: the rules and `nba-lake status` (checks.coverage) never need it

    evaluated = list(dates or [])
    metadata: dict[str, Any] = {
        "n_offending": result.n_offending,
        "summary": dg.MetadataValue.text(result.summary),
        "failing_dates": dg.MetadataValue.text(", ".join(result.failing_dates) or "none"),
        "n_failing_dates": len(result.failing_dates),
    }
    if evaluated:
        label = evaluated[0]
        if len(evaluated) > 1:
            label = f"{evaluated[0]}..{evaluated[-1]} ({len(evaluated)} days)"
        metadata["evaluated_dates"] = dg.MetadataValue.text(label)
    if result.offending.height:
        metadata["offending_sample"] = dg.MetadataValue.md(markdown_table(result.offending))
    for k, v in result.extra.items():
        metadata[k] = _metadata_value(v)
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=severity,
        check_name=check_name,
        asset_key=asset_key,
        metadata=metadata,
        description=result.summary,
    )
