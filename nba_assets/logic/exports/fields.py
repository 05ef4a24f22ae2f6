"""Where the exports read what a pick was made at: the pricing columns, in one place.

Issue 29's pricing work (branch `pricing`) adds to the predictions the book, line and price a pick was
taken at and the consensus at the time, to the grades the profit at that price, the closing line and
CLV, and a `predictions/champion` table. The exports read those columns through this module only:
`priced` and `graded` give every frame the same columns whether or not the lake has them yet (a missing
column is null, or the value it falls back to, named below), so the documents' shape never changes.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# prediction column -> export field (tonight, best_bets, results)
PICK_BOOK, PICK_LINE, PICK_PRICE = "pick_book", "pick_line", "pick_price"
CONSENSUS_LINE, BOOK_COUNT = "consensus_line", "book_count"
# grade columns
PROFIT_UNITS, CLOSING_LINE, CLV = "profit_units", "closing_line", "clv"
CHAMPION_SYSTEM = "system_id"  # the champion table's column naming the day's champion

# What each pricing column falls back to when the lake predates it: the consensus line and book count
# the predictions always had; no book and no price (never an invented -110).
_PREDICTION_FALLBACKS: dict[str, pl.Expr] = {
    CONSENSUS_LINE: pl.col("line"),
    BOOK_COUNT: pl.col("n_books"),
    PICK_LINE: pl.col("line"),
    PICK_BOOK: pl.lit(None, pl.Utf8),
    PICK_PRICE: pl.lit(None, pl.Float64),
}
_GRADE_FALLBACKS: dict[str, pl.Expr] = {
    PICK_LINE: pl.col("line"),
    PICK_BOOK: pl.lit(None, pl.Utf8),
    PICK_PRICE: pl.lit(None, pl.Float64),
    PROFIT_UNITS: pl.lit(None, pl.Float64),
    CLOSING_LINE: pl.lit(None, pl.Float64),
    CLV: pl.lit(None, pl.Float64),
}
# Profit per unit staked on a win at -110; a push returns the stake.
WIN_AT_110 = 100.0 / 110.0


def _with(frame: pl.DataFrame, fallbacks: dict[str, pl.Expr]) -> pl.DataFrame:
    missing = {name: expr for name, expr in fallbacks.items() if name not in frame.columns}
    return frame.with_columns(**missing) if missing else frame


def priced(predictions: pl.DataFrame) -> pl.DataFrame:
    """Predictions (or recommendation history) with every pricing column of an export."""
    return _with(predictions, _PREDICTION_FALLBACKS)


def graded(grades: pl.DataFrame) -> pl.DataFrame:
    """Grades with the pricing columns and `profit_at_110` (WIN +0.909, LOSS -1, PUSH 0, else null)."""
    out = pl.col("outcome")
    return _with(grades, _GRADE_FALLBACKS).with_columns(
        profit_at_110=pl.when(out == "WIN").then(WIN_AT_110)
        .when(out == "LOSS").then(-1.0)
        .when(out == "PUSH").then(0.0)
        .otherwise(None)
    )


def champion_of(champions: pl.DataFrame | None, day: dt.date) -> str | None:
    """The champion backing day `day`'s picks: the champion table's row for the day, else its latest
    earlier row; None when there is no champion table or no row up to `day`."""
    if champions is None or champions.height == 0 or CHAMPION_SYSTEM not in champions.columns:
        return None
    rows = champions.filter(pl.col("game_date") <= day).sort("game_date")
    return rows[CHAMPION_SYSTEM][-1] if rows.height else None


def pick_id(game_id: str, player_lookup: str, system_id: str) -> str:
    """A pick's id in every document: the prediction's row id, which `nba-lake trace` takes."""
    return f"{game_id}:{player_lookup}:{system_id}"
