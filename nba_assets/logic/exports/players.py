"""`players/<player_lookup>`: a player's last games, line history and our predictions against what
happened, written by the partition of the player's latest game."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from nba_assets.logic.exports import fields as f
from nba_assets.logic.exports.encode import SCHEMA_VERSION

LAST_GAMES = 20  # games per document: a page's worth, and the document stays a few kB


def latest_day(games_of_players: pl.DataFrame) -> dict[str, dt.date]:
    """{player_lookup: the latest game_date} over rows with player_lookup and game_date."""
    if games_of_players.height == 0:
        return {}
    latest = games_of_players.group_by("player_lookup").agg(pl.col("game_date").max())
    return dict(zip(latest["player_lookup"].to_list(), latest["game_date"].to_list(), strict=True))


def players_of_day(day: dt.date, predictions: pl.DataFrame, summaries: pl.DataFrame,
                   latest: dict[str, dt.date]) -> list[str]:
    """The players whose document day `day` writes: on its slate or in its box scores, with no later
    game in the lake (a later day's partition owns their document)."""
    on_day = set(predictions.filter(pl.col("game_date") == day)["player_lookup"].to_list())
    on_day |= set(summaries.filter(pl.col("game_date") == day)["player_lookup"].to_list())
    return sorted(p for p in on_day if latest.get(p, day) <= day)


def player(lookup: str, day: dt.date, summaries: pl.DataFrame, predictions: pl.DataFrame,
           grades: pl.DataFrame) -> dict[str, Any]:
    """One player's document as of `day` (rows after `day` are ignored): the last LAST_GAMES box
    scores, the line of each game (consensus, best, closing), and each system's prediction with its
    result."""
    mine = summaries.filter((pl.col("player_lookup") == lookup) & (pl.col("game_date") <= day))
    games = mine.sort("game_date", descending=True).head(LAST_GAMES)
    since = games["game_date"].min() if games.height else day
    preds = f.priced(predictions).filter(
        (pl.col("player_lookup") == lookup) & (pl.col("game_date") <= day) & (pl.col("game_date") >= since)
    )
    graded = f.graded(grades).filter(pl.col("player_lookup") == lookup).select(
        "game_id", "system_id", "actual_points", "outcome", f.CLOSING_LINE
    )
    joined = preds.join(graded, on=["game_id", "system_id"], how="left").sort(["game_date", "game_id", "system_id"])
    lines = (
        joined.group_by("game_date", "game_id", maintain_order=True)
        .agg(pl.col(f.CONSENSUS_LINE).first(), pl.col(f.BOOK_COUNT).first(), pl.col(f.PICK_BOOK).first(),
             pl.col(f.PICK_LINE).first(), pl.col(f.CLOSING_LINE).first())
        .filter(pl.col(f.CONSENSUS_LINE).is_not_null())
    )  # fmt: skip
    return {
        "schema_version": SCHEMA_VERSION, "document": "player", "player_lookup": lookup,
        "as_of_game_date": max([day, *games["game_date"].to_list()]) if games.height else day,
        "games": [
            {"game_date": r["game_date"], "game_id": r["game_id"], "team": r["team"], "dnp": r["dnp"],
             "minutes": r["minutes"], "points": r["points"]}
            for r in games.iter_rows(named=True)
        ],
        "lines": [
            {"game_date": r["game_date"], "game_id": r["game_id"], "consensus": r[f.CONSENSUS_LINE],
             "book_count": r[f.BOOK_COUNT], "best_book": r[f.PICK_BOOK], "best_line": r[f.PICK_LINE],
             "closing_line": r[f.CLOSING_LINE]}
            for r in lines.iter_rows(named=True)
        ],
        "predictions": [
            {"game_date": r["game_date"], "game_id": r["game_id"], "system_id": r["system_id"],
             "predicted_points": r["predicted_points"], "line": r[f.PICK_LINE], "recommendation": r["recommendation"],
             "actual_points": r["actual_points"], "result": r["outcome"]}
            for r in joined.iter_rows(named=True)
        ],
    }  # fmt: skip
