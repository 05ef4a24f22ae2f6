"""Row-count anomaly: each game's and each day's row count vs the trailing game days.

WARN: a swing in volume (a truncated boxscore, a book that stopped quoting, a parser that drops rows
silently; lesson 6, docs/architecture.md) needs a look, but a real 2-game Tuesday is not an incident. Per game is
the sharp test (a game's volume is stable); per day only flags totals outside the trailing range,
because the number of games per day legitimately varies from 2 to 15.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

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
    days = counts.group_by("game_date").agg(pl.col("n_rows").sum().alias("n_rows")).sort("game_date")
    offending: list[pl.DataFrame] = []
    baselines: list[dict] = []
    not_judged: list[str] = []
    for d in _as_dates(today):
        hist_days = days.filter((pl.col("game_date") < d) & (pl.col("n_rows") > 0)).tail(window)
        todays = counts.filter(pl.col("game_date") == d)
        if todays.height == 0:
            if (emptied or {}).get(d, 0) > 0:
                offending.append(pl.DataFrame(
                    {"game_date": [d], "level": ["day emptied"], "game": ["(all)"], "n_rows": [0],
                     "expected": [float(emptied[d])]},
                    schema=_OFFENDING,
                ))  # fmt: skip
            continue
        if hist_days.height < min_history:
            not_judged.append(str(d))
            continue
        hist_games = counts.filter(pl.col("game_date").is_in(hist_days["game_date"].implode()))
        median = float(hist_games["n_rows"].median())
        lo, hi = float(hist_days["n_rows"].min()), float(hist_days["n_rows"].max())
        total = int(todays["n_rows"].sum())
        baselines.append({"game_date": str(d), "rows": total, "trailing_min": lo, "trailing_max": hi,
                          "median_rows_per_game": median})  # fmt: skip
        games_bad = todays.filter((pl.col("n_rows") - median).abs() > tolerance * median).select(
            "game_date", pl.lit("game").alias("level"), "game", "n_rows",
            pl.lit(median).alias("expected"),
        )  # fmt: skip
        offending.append(games_bad)
        if not ((1 - tolerance) * lo <= total <= (1 + tolerance) * hi):
            offending.append(pl.DataFrame(
                {"game_date": [d], "level": ["day"], "game": ["(all)"], "n_rows": [total],
                 "expected": [float(hist_days["n_rows"].median())]},
                schema=_OFFENDING,
            ))  # fmt: skip
    bad = (
        pl.concat(offending, how="vertical_relaxed")
        if offending
        else pl.DataFrame(schema=_OFFENDING)
    )
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
