"""Where the exports read what a pick was made at: the pricing columns, in one place.

The predictions carry the consensus line and its book count (`line`, `n_books`) and the pick: the best
offer for the recommended side as of the prediction (`pick_book`, `pick_line`, `pick_price`, American
odds; logic/pricing.py). The grades carry the profit at that price, the closing line and CLV, and
`grading/champion` names the system backing each day's picks (logic/champion.py, docs/grading.md).
The exports read those columns through this module only: `priced` and `graded` give every frame the
export's names, and a column a lake written before it lacks reads as null (never an invented -110).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# prediction column -> export field (tonight, best_bets, results)
PICK_BOOK, PICK_LINE, PICK_PRICE = "pick_book", "pick_line", "pick_price"
CONSENSUS_LINE, BOOK_COUNT = "consensus_line", "book_count"
# grade columns
PROFIT_UNITS, CLOSING_LINE, CLV = "profit_units", "closing_line", "clv"
CHAMPION_SYSTEM = "champion"  # grading/champion's column naming the day's champion

# export field -> where it comes from; the pick's columns read as null in a lake written before them.
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
    """The champion backing day `day`'s picks: grading/champion's row for the day (its latest earlier
    row while the day's is not written yet); None when the lake has no champion row up to `day`."""
    if champions is None or champions.height == 0:
        return None
    return champions_by_day(champions, [day]).get(day)


def champions_by_day(champions: pl.DataFrame | None, days: list[dt.date]) -> dict[dt.date, str]:
    """champion_of for many days at once (an as-of join): {day: champion} for the days that have one."""
    if champions is None or champions.height == 0 or not days:
        return {}
    wanted = pl.DataFrame({"game_date": sorted(set(days))}, schema={"game_date": pl.Date})
    table = champions.select("game_date", CHAMPION_SYSTEM).sort("game_date")
    got = wanted.join_asof(table, on="game_date", strategy="backward").drop_nulls(CHAMPION_SYSTEM)
    return dict(got.iter_rows())


def pick_id(game_id: str, player_lookup: str, system_id: str) -> str:
    """A pick's id in every document: the prediction's row id, which `nba-lake trace` takes."""
    return f"{game_id}:{player_lookup}:{system_id}"
