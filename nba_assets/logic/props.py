"""Two props feeds into one prop_lines table: The Odds API and SportsDataIO, reconciled per (game,
player, book).

Each feed observes a book's line at its own times: The Odds API at its snapshot times (historical) or
the book's last_update (current odds), SportsDataIO at the outcome's `Updated`. Two observations of one
(game, player, book) with the same line whose times are at most SNAPSHOT_TOLERANCE apart are one
observation: it is kept once, at The Odds API's time, with source "oddsapi+sportsdataio". Anything
else is a distinct observation and kept with its own feed as source (a line only one feed saw, or two
different lines: the book moved), so when one feed is down the other still lines the slate.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

ODDS, SDIO = "oddsapi", "sportsdataio"
BOTH = f"{ODDS}+{SDIO}"
# A book's line change reaches both feeds within minutes; 10 minutes is under the closest gap between
# two of The Odds API's snapshots of a game on the simulated market (15 min) and under the 10-minute
# spacing of the slate refreshes, so two real observations are never merged into one.
SNAPSHOT_TOLERANCE = dt.timedelta(minutes=10)
MATCH = ["game_date", "home_team", "away_team", "player_lookup", "bookmaker", "line"]


def reconcile_feeds(odds: pl.DataFrame, sdio: pl.DataFrame,
                    tolerance: dt.timedelta = SNAPSHOT_TOLERANCE) -> tuple[pl.DataFrame, int]:
    """(prop_lines rows of both feeds, SportsDataIO rows merged into an Odds API row).

    Every Odds API row is kept; one it matches (same game, player, book and line, snapshot within
    `tolerance`) gets source BOTH; the matched SportsDataIO rows are dropped, the others kept."""
    columns = odds.columns
    if sdio.height == 0 or odds.height == 0:
        return pl.concat([odds, sdio.select(columns)]), 0
    # Sorted by time overall, hence within every (game, player, book, line) group join_asof matches in.
    o = odds.with_row_index("_o").sort("snapshot_ts")
    s = sdio.with_row_index("_s").sort("snapshot_ts")
    nearest = s.join_asof(
        o.select(*MATCH, "snapshot_ts", "_o", pl.col("snapshot_ts").alias("_ots")),
        on="snapshot_ts", by=MATCH, strategy="nearest", tolerance=tolerance, check_sortedness=False,
    )
    matched = nearest.filter(pl.col("_o").is_not_null())
    hit = set(matched["_o"].to_list())
    kept_odds = o.with_columns(
        pl.when(pl.col("_o").is_in(list(hit))).then(pl.lit(BOTH)).otherwise(pl.col("source")).alias("source")
    ).sort("_o").drop("_o")
    kept_sdio = nearest.filter(pl.col("_o").is_null()).sort("_s").select(columns)
    return pl.concat([kept_odds.select(columns), kept_sdio]), matched.height


def lines_by_feed(prop_lines: pl.DataFrame) -> dict[str, int]:
    """Rows each feed saw ({oddsapi, sportsdataio}); a row both saw counts for both."""
    src = prop_lines["source"] if "source" in prop_lines.columns else pl.Series([], dtype=pl.Utf8)
    return {feed: int(src.str.contains(feed, literal=True).sum()) for feed in (ODDS, SDIO)}
