"""Row-count anomaly: each game's and each day's row count vs the trailing game days.

WARN: a swing in volume (a truncated boxscore, a book that stopped quoting, a parser that drops rows
silently; lesson 6, docs/architecture.md) needs a look, but a real 2-game Tuesday is not an incident. Per game is
the sharp test (a game's volume is stable); per day only flags totals outside the trailing range,
because the number of games per day legitimately varies from 2 to 15.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from checks.result import RuleResult, from_offending

WINDOW_DAYS = 14
TOLERANCE = 0.5  # relative deviation from the trailing median rows per game
MIN_HISTORY_DAYS = 5  # fewer trailing game days than this (season start): not judged
_OFFENDING = {"game_date": pl.Date, "level": pl.Utf8, "game": pl.Utf8, "n_rows": pl.Int64, "expected": pl.Float64}


def counts_by_game(df: pl.DataFrame, game_col: str) -> pl.DataFrame:
    """Rows per (game_date, game): the input of `row_count_anomaly`."""
    return (
        df.group_by("game_date", pl.col(game_col).cast(pl.Utf8).alias("game"))
        .agg(pl.len().cast(pl.Int64).alias("n_rows"))
        .sort("game_date", "game")
    )


def _as_dates(today: dt.date | Iterable[dt.date]) -> list[dt.date]:
    return [today] if isinstance(today, dt.date) else sorted(today)


def row_count_anomaly(
    counts: pl.DataFrame,
    today: dt.date | Iterable[dt.date],
    *,
    window: int = WINDOW_DAYS,
    tolerance: float = TOLERANCE,
    min_history: int = MIN_HISTORY_DAYS,
    emptied: Mapping[dt.date, int] | None = None,
) -> RuleResult:
    """Judge each date in `today` against the `window` game days before it in `counts`.

    `counts` has game_date, game, n_rows (see `counts_by_game`); days absent from it have no rows.
    A game is anomalous when |rows - median rows per game| > tolerance * median; a day when its total
    is outside [(1 - tolerance) * min, (1 + tolerance) * max] of the trailing daily totals. An
    evaluated day with no rows is an off-day here (completeness vs schedule is another check), unless
    `emptied` says the day held rows before this write ({day: its previous row count}): a day that
    lost every row is flagged, whatever its history.
    """
    judged = _Judge(counts, window, tolerance, min_history, emptied or {})
    return judged.result([judged.day(d) for d in _as_dates(today)])


def row_count_anomaly_by_day(
    counts: pl.DataFrame,
    days: Iterable[str],
    *,
    window: int = WINDOW_DAYS,
    tolerance: float = TOLERANCE,
    min_history: int = MIN_HISTORY_DAYS,
    emptied: Mapping[dt.date, int] | None = None,
) -> dict[str, RuleResult]:
    """{day: `row_count_anomaly(counts, day)`} for ISO `days`, the trailing days found once for all."""
    judged = _Judge(counts, window, tolerance, min_history, emptied or {})
    return {d: judged.result([judged.day(dt.date.fromisoformat(d))]) for d in days}


@dataclass(frozen=True)
class _Verdict:
    """One judged day: its offending rows, its baseline (None: not judged) and whether it lacked history."""

    day: str
    offending: list[pl.DataFrame]
    baseline: dict | None = None
    without_history: bool = False


class _Judge:
    """The counts split once by day (a range judges every day against the same trailing totals)."""

    def __init__(self, counts: pl.DataFrame, window: int, tolerance: float, min_history: int,
                 emptied: Mapping[dt.date, int]) -> None:
        self.window, self.tolerance, self.min_history, self.emptied = window, tolerance, min_history, emptied
        self.games = {k[0]: g for k, g in counts.partition_by("game_date", as_dict=True).items() if k[0] is not None}
        self.n_rows = {d: g["n_rows"].to_list() for d, g in self.games.items()}
        totals = {d: sum(n for n in ns if n is not None) for d, ns in self.n_rows.items()}
        self.busy = sorted(d for d, n in totals.items() if n > 0)  # the days a trailing window counts
        self.totals = totals

    def day(self, d: dt.date) -> _Verdict:
        todays = self.games.get(d)
        if todays is None:
            if self.emptied.get(d, 0) > 0:
                return _Verdict(str(d), [pl.DataFrame(
                    {"game_date": [d], "level": ["day emptied"], "game": ["(all)"], "n_rows": [0],
                     "expected": [float(self.emptied[d])]},
                    schema=_OFFENDING,
                )])  # fmt: skip
            return _Verdict(str(d), [])
        before = bisect_left(self.busy, d)
        hist_days = self.busy[max(0, before - self.window):before]
        if len(hist_days) < self.min_history:
            return _Verdict(str(d), [], without_history=True)
        hist_totals = [self.totals[h] for h in hist_days]
        median = float(_median([n for h in hist_days for n in self.n_rows[h] if n is not None]))
        lo, hi = float(min(hist_totals)), float(max(hist_totals))
        total = int(todays["n_rows"].sum())
        baseline = {"game_date": str(d), "rows": total, "trailing_min": lo, "trailing_max": hi,
                    "median_rows_per_game": median}  # fmt: skip
        tolerance = self.tolerance
        offending = [todays.filter((pl.col("n_rows") - median).abs() > tolerance * median).select(
            "game_date", pl.lit("game").alias("level"), "game", "n_rows",
            pl.lit(median).alias("expected"),
        )]  # fmt: skip
        if not ((1 - tolerance) * lo <= total <= (1 + tolerance) * hi):
            offending.append(pl.DataFrame(
                {"game_date": [d], "level": ["day"], "game": ["(all)"], "n_rows": [total],
                 "expected": [float(_median(hist_totals))]},
                schema=_OFFENDING,
            ))  # fmt: skip
        return _Verdict(str(d), offending, baseline)

    def result(self, verdicts: list[_Verdict]) -> RuleResult:
        offending = [f for v in verdicts for f in v.offending]
        baselines = [v.baseline for v in verdicts if v.baseline is not None]
        not_judged = [v.day for v in verdicts if v.without_history]
        bad = (
            pl.concat(offending, how="vertical_relaxed")
            if offending
            else pl.DataFrame(schema=_OFFENDING)
        )
        window, tolerance = self.window, self.tolerance
        extra = {
            "window_game_days": window,
            "tolerance": tolerance,
            "dates_without_history": ", ".join(not_judged) or "none",
            "baseline": pl.DataFrame(baselines) if baselines else "none",
        }
        return from_offending(
            bad,
            ok=f"row counts within {tolerance:.0%} of the trailing {window} game days",
            problem="{n} row-count anomal(ies) vs the trailing " + f"{window} game days on " + "{dates} date(s)",
            extra=extra,
            sort_by=["game_date", "level", "game"],
        )


def _median(values: list[int]) -> float:
    """The median as polars gives it (the mean of the two middle values of an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
