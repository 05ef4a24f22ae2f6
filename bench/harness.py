"""The benchmark's pure parts: repeat statistics, the targets of `make bench` and its table.

No project imports (bench/run.py imports this before it has set up any environment, and the unit
tests import it as `bench.harness`).

A measurement is a list of repeated values (seconds, or MB for RSS); its summary is the median, min
and max. A target compares one summary (or a ratio of two medians) with a limit: `pass` when the
median is at or under the limit, `miss` when above, `n/a` when it cannot be judged: the value is
missing, or the target is a full-season absolute figure and the run used a shorter window.

Results (a run's JSON and calibration plot, prod_week.py's JSON, profiles) go outside the repo unless
a run is kept as the reference (`--keep-results`): see `results_dir`.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PASS, MISS, NA = "pass", "miss", "n/a"
BENCH_DIR_VARIABLE = "NBA_LAKE_BENCH_DIR"


def results_dir(repo: Path, *, keep: bool, environ: Mapping[str, str] = os.environ) -> Path:
    """Where a run writes its results: `<repo>/bench/results` when kept (`--keep-results`: the
    reference run bench/README.md quotes), else $NBA_LAKE_BENCH_DIR, else `$XDG_CACHE_HOME/nba-lake/bench`,
    else `~/.cache/nba-lake/bench` (beside the sim's season cache), so a run never dirties the checkout."""
    if keep:
        return repo / "bench" / "results"
    if environ.get(BENCH_DIR_VARIABLE):
        return Path(environ[BENCH_DIR_VARIABLE]).expanduser()
    home = environ.get("HOME") or os.path.expanduser("~")
    return Path(environ.get("XDG_CACHE_HOME") or Path(home) / ".cache") / "nba-lake" / "bench"


def summarize(values: Sequence[float | None]) -> dict | None:
    """median / min / max / n of the values that were measured (None: a failed repeat, left out)."""
    got = [float(v) for v in values if v is not None]
    if not got:
        return None
    return {"median": statistics.median(got), "min": min(got), "max": max(got), "n": len(got)}


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or not den:
        return None
    return num / den


@dataclass(frozen=True)
class Target:
    key: str  # the row's id in results["targets"]
    part: str  # a..h, demo: what `--only` selects
    label: str
    limit: float | None  # None: shown for information, not judged
    unit: str  # "s", "MB", "KB" (1,000 bytes) or "x" (a ratio)
    # An absolute full-window figure (seconds of a season): meaningless on a shorter --days window.
    full_window_only: bool = True


# The targets (2 cores, median of 3). (b)'s own limit is 3.2 x (a)'s median: resolved
# at run time from the measured (a) (see `targets`), so the static limit here is None.
TARGETS: tuple[Target, ...] = (
    Target("a.season", "a", "(a) season raw -> grades through Dagster", 60.0, "s"),
    Target("b.three_seasons", "b", "(b) three seasons, total", None, "s"),
    Target("b.vs_a", "b", "(b) three seasons / (a)", 3.2, "x", full_window_only=False),
    Target("b.worst_season", "b", "(b) slowest season / first season", 1.2, "x", full_window_only=False),
    Target("b.peak_rss", "b", "(b) peak RSS, whole process tree", 1200.0, "MB"),
    Target("c.landing_replay", "c", "(c) raw ingest replayed from landing", 10.0, "s"),
    Target("d.one_day_cli", "d", "(d) one game day: nba-lake backfill D..D, process incl.", 10.0, "s",
           full_window_only=False),
    Target("e.status", "e", "(e) nba-lake status", 2.0, "s", full_window_only=False),
    Target("e.checks", "e", "(e) nba-lake checks --date D", 2.0, "s", full_window_only=False),
    Target("e.sql", "e", '(e) nba-lake sql "select 1"', 2.0, "s", full_window_only=False),
    Target("e.trace", "e", "(e) nba-lake trace GAME:PLAYER:SYSTEM", 2.0, "s", full_window_only=False),
    Target("f.floor", "f", "(f) floor: same functions + writes, no Dagster", None, "s"),
    Target("f.ratio", "f", "(a) / (f)", 1.5, "x", full_window_only=False),
    Target("demo", "demo", "make demo (fresh data dir, venv excluded)", 75.0, "s"),
    # (g) is reported, not judged: the emulators are not Google Cloud.
    Target("g.local_week", "g", "(g) a week of ingest, local lake + SQLite instance", None, "s", full_window_only=False),
    Target("g.prod_week", "g", "(g) the same week in prod mode on the emulators", None, "s", full_window_only=False),
    Target("g.prod_over_local", "g", "(g) prod / local", None, "x", full_window_only=False),
    Target("g.pg_state", "g", "(g) PostgreSQL event tables per table-day", None, "KB", full_window_only=False),
    # Per table-day, so any window is judged (a short one carries more of the fixed part).
    Target("h.state_per_table_day", "h", "(h) Dagster state on disk per table-day after (a)", 20.0, "KB",
           full_window_only=False),
)


def verdict(value: float | None, limit: float | None, *, judged: bool = True) -> str:
    if value is None or limit is None or not judged:
        return NA
    return PASS if value <= limit else MISS


def targets(summaries: Mapping[str, dict | None], *, full_window: bool) -> list[dict]:
    """One row per target whose measurement exists: value (median), min, max, limit, verdict.

    `summaries` maps a target key to `summarize(...)` output; a ratio row is a summary with only a
    median. (b)'s limit is 3.2 x the median of (a), when (a) was measured in the same run.
    """
    rows = []
    a = summaries.get("a.season")
    for t in TARGETS:
        if t.key not in summaries:
            continue
        s = summaries[t.key] or {}
        limit = t.limit
        judged = full_window or not t.full_window_only
        if t.key == "b.three_seasons" and a:
            limit = 3.2 * a["median"]
            judged = True  # relative to (a) over the same window
        value = s.get("median")
        rows.append({
            "key": t.key, "label": t.label, "unit": t.unit, "median": value, "min": s.get("min"),
            "max": s.get("max"), "n": s.get("n"), "limit": limit,
            "verdict": verdict(value, limit, judged=judged),
        })
    return rows


def _num(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "x":
        return f"x{v:.2f}"
    if unit == "MB":
        return f"{v:,.0f}"
    if unit == "KB":
        return f"{v:,.1f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def format_table(rows: Sequence[dict]) -> str:
    """The table `make bench` prints: target, median, min/max over the repeats, limit, verdict."""
    head = f"  {'measurement':<58}{'unit':>5}{'median':>9}{'min..max':>19}{'target':>11}  verdict"
    lines = [head, "  " + "-" * (len(head) - 2)]
    for r in rows:
        u = r["unit"]
        spread = "-" if r["min"] is None else f"{_num(r['min'], u)}..{_num(r['max'], u)}"
        limit = "-" if r["limit"] is None else f"<= {_num(r['limit'], u)}"
        lines.append(f"  {r['label']:<58}{u:>5}{_num(r['median'], u):>9}{spread:>19}{limit:>11}  {r['verdict']}")
    return "\n".join(lines)


def parse_only(text: str | None) -> list[str]:
    """`--only a,c,e` -> the parts to run, in the harness's order; unknown names are refused."""
    order = [p for p in ("a", "b", "c", "d", "e", "f", "g", "h", "demo")]
    if not text:
        return order
    asked = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = sorted(set(asked) - set(order))
    if unknown:
        raise ValueError(f"--only: unknown part(s) {', '.join(unknown)}; choose from {','.join(order)}")
    return [p for p in order if p in asked]
