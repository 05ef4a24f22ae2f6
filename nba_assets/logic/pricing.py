"""What a pick was made at: the market as of a moment, the best offer for each side, and the bet's result.

Point in time: every figure for a recommendation made at `created_at` comes from prop snapshots taken at
or before `created_at`, before the event's commence time and before the game's tip-off. Per bookmaker
the book's latest such snapshot is its current offer (line, over price, under price).

- Consensus line: the median of the books' current lines; `n_books` counts them.
- Best offer for a side (BEST_OFFER_RULE): books quoting a price for the side come first; among them
  OVER takes the lowest line and UNDER the highest, then the best price (the largest payout), then the
  bookmaker's name (a stable tie-break). A book quoting no price for the side is taken only when no book
  prices it; the pick then has a book and a line but no price, and no profit.
- Closing line: the consensus of the books' last pre-tip snapshots (`lines_asof` at tip-off).
- CLV (closing line value), in points: closing - pick line for OVER, pick line - closing for UNDER, so
  positive means the market moved toward the side taken after the pick.
- Profit in units, 1 unit staked at the pick's American price: a WIN pays price/100 (price > 0) or
  100/|price| (price < 0), a LOSS costs 1, a PUSH is 0; no price or no bet: null.
"""

from __future__ import annotations

import polars as pl

_UTC = pl.Datetime("us", "UTC")
SIDES = ("over", "under")
BEST_OFFER_RULE = (
    "books pricing the side first; OVER: lowest line, UNDER: highest line; then best price; then bookmaker name"
)
OFFER_SCHEMA = {
    "over_book": pl.Utf8, "over_line": pl.Float64, "over_price": pl.Float64,
    "under_book": pl.Utf8, "under_line": pl.Float64, "under_price": pl.Float64,
}  # fmt: skip
LINES_SCHEMA = {
    "game_id": pl.Utf8, "created_at": _UTC, "player_lookup": pl.Utf8, "consensus_line": pl.Float64,
    "opening_line": pl.Float64, "n_books": pl.Int64, "line_snapshot_ts": _UTC, **OFFER_SCHEMA,
}  # fmt: skip
PICK_SCHEMA = {"pick_book": pl.Utf8, "pick_line": pl.Float64, "pick_price": pl.Int64}
GAME = ["game_date", "home_team", "away_team"]
MOMENT = ["game_id", "created_at", "player_lookup"]
CLOSING_WINDOW_DAYS = 30  # game days priced per pass by closing_lines (memory)


def payout(price: pl.Expr) -> pl.Expr:
    """Profit of a winning 1-unit bet at an American price (null price: null)."""
    return pl.when(price > 0).then(price / 100.0).when(price < 0).then(100.0 / -price)


def book_offers(prop_lines: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Per (game_id, created_at, player_lookup, bookmaker): the book's current offer at created_at
    (latest, opening line, snapshot time, prices). `points`: game_id, GAME, tipoff_utc, created_at."""
    pre = prop_lines.join(points.select(*GAME, "game_id", "tipoff_utc", "created_at"), on=GAME, how="inner").filter(
        (pl.col("minutes_before_tip") > 0)
        & (pl.col("snapshot_ts") < pl.col("commence_time"))
        & (pl.col("snapshot_ts") < pl.col("tipoff_utc"))
        & (pl.col("snapshot_ts") <= pl.col("created_at"))
    )
    return (
        pre.sort([*MOMENT, "bookmaker", "snapshot_ts", "line"])
        .group_by([*MOMENT, "bookmaker"], maintain_order=True)
        .agg(
            pl.col("line").last().alias("latest"),
            pl.col("line").first().alias("opening"),
            pl.col("snapshot_ts").max().alias("ts"),
            pl.col("over_price").last().cast(pl.Float64),
            pl.col("under_price").last().cast(pl.Float64),
        )
    )


def best_offers(offers: pl.DataFrame) -> pl.DataFrame:
    """Per (game_id, created_at, player_lookup): the best OVER and UNDER offer (BEST_OFFER_RULE)."""
    out = offers.select(MOMENT).unique()
    for side in SIDES:
        price = pl.col(f"{side}_price")
        line_order = pl.col("latest") if side == "over" else -pl.col("latest")
        best = (
            offers.sort([*MOMENT, price.is_null(), line_order, -payout(price).fill_null(0.0), "bookmaker"])
            .group_by(MOMENT, maintain_order=True)
            .first()
            .select(*MOMENT, pl.col("bookmaker").alias(f"{side}_book"), pl.col("latest").alias(f"{side}_line"), price)
        )
        out = out.join(best, on=MOMENT, how="left")
    return out


def lines_asof(prop_lines: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Per (game_id, created_at, player_lookup): the consensus line, the opening line (median of the books'
    earliest), the number of books, the newest snapshot used and the best offer per side, all from
    snapshots taken at or before created_at (module docstring). `points`: game_id, created_at,
    tipoff_utc, game_date, home_team, away_team."""
    if prop_lines.height == 0 or points.height == 0:
        return pl.DataFrame(schema=LINES_SCHEMA)
    offers = book_offers(prop_lines, points)
    consensus = offers.group_by(MOMENT).agg(
        pl.col("latest").median().alias("consensus_line"),
        pl.col("opening").median().alias("opening_line"),
        pl.len().cast(pl.Int64).alias("n_books"),
        pl.col("ts").max().alias("line_snapshot_ts"),
    )
    return consensus.join(best_offers(offers), on=MOMENT, how="left").select(list(LINES_SCHEMA))


def pick_exprs() -> list[pl.Expr]:
    """pick_book, pick_line, pick_price from a row's `recommendation` and its OFFER_SCHEMA columns:
    the best offer for the recommended side; null for PASS and NO_LINE."""
    rec = pl.col("recommendation")

    def side(column: str) -> pl.Expr:
        return pl.when(rec == "OVER").then(pl.col(f"over_{column}")).when(rec == "UNDER").then(pl.col(f"under_{column}"))

    return [
        side("book").alias("pick_book"),
        side("line").alias("pick_line"),
        side("price").round(0).cast(pl.Int64).alias("pick_price"),
    ]


def closing_lines(prop_lines: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """(game_id, player_lookup, closing_line): the consensus of each book's last pre-tip snapshot.
    `games`: game_id, game_date, home_team, away_team, tipoff_utc (games without a tip-off: none).

    A game's closing lines need only its own day's snapshots, so a range is priced CLOSING_WINDOW_DAYS
    game days at a time: the snapshot joins of a month in memory, not a season's."""
    points = games.filter(pl.col("tipoff_utc").is_not_null()).select(
        "game_id", *GAME, pl.col("tipoff_utc").cast(_UTC), pl.col("tipoff_utc").cast(_UTC).alias("created_at")
    )
    parts = [pl.DataFrame(schema={"game_id": pl.Utf8, "player_lookup": pl.Utf8, "closing_line": pl.Float64})]
    days = points["game_date"].unique().sort() if prop_lines.height else points["game_date"].clear()
    for i in range(0, len(days), CLOSING_WINDOW_DAYS):
        window = pl.col("game_date").is_in(days.slice(i, CLOSING_WINDOW_DAYS).implode())
        offers = book_offers(prop_lines.filter(window), points.filter(window))
        parts.append(offers.group_by(MOMENT).agg(pl.col("latest").median().alias("closing_line")).drop("created_at"))
    return pl.concat(parts)


def clv_expr() -> pl.Expr:
    """Closing line value in points, positive = good for the side taken (module docstring)."""
    rec, close, pick = pl.col("recommendation"), pl.col("closing_line"), pl.col("pick_line")
    # Each side as its own difference: negating a zero would write -0.0.
    return pl.when(rec == "OVER").then(close - pick).when(rec == "UNDER").then(pick - close).round(2)


def profit_expr() -> pl.Expr:
    """Units won or lost by 1 unit staked at pick_price on the graded `outcome` (null: no priced bet)."""
    out, price = pl.col("outcome"), pl.col("pick_price").cast(pl.Float64)
    return (
        pl.when(price.is_null())
        .then(None)
        .when(out == "WIN")
        .then(payout(price).round(4))
        .when(out == "LOSS")
        .then(pl.lit(-1.0))
        .when(out == "PUSH")
        .then(pl.lit(0.0))
    )
