"""Analytics layer: reconciled games and per-player / per-team game summaries.

Thin wrappers: the reconciliation and summary logic lives in `nba_assets.logic.analytics`.
Each day's summary reads only that day's raw partitions (identity mapping), so a late or corrected
boxscore re-runs exactly its own day here.
"""


import dagster as dg
import polars as pl

from checks.contracts import (
    GamesContract,
    PlayerGameSummaryContract,
    TeamGameSummaryContract,
    empty_frame,
)
from nba_assets.automation import RERUN
from nba_assets.common import table_asset
from nba_assets.logic import analytics as logic

CODE_VERSION = "analytics_v1"


class SummaryConfig(dg.Config):
    """Which boxscore source wins when both have a game (the other is the fallback)."""

    primary_source: str = "nbacom"


def typed(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """An input with no partitions yet arrives column-less; give it the table's schema."""
    return df if df.width else empty_frame(table)


def _analytics_asset(name: str, contract, description: str, **kwargs):
    return table_asset(
        "analytics", name, contract, description,
        code_version=CODE_VERSION, automation_condition=RERUN, **kwargs,
    )


RAW_INS = {
    "schedule": dg.AssetIn(key=["raw", "schedule"]),
    "bdl": dg.AssetIn(key=["raw", "bdl_boxscores"]),
    "nbacom": dg.AssetIn(key=["raw", "nbacom_boxscores"]),
}


@_analytics_asset(
    "games",
    GamesContract,
    "One row per game (canonical NBA.com game_id): schedule, Ball Don't Lie and NBA.com reconciled "
    "on (game_date, home, away), carrying every source's id; unmatched games kept and flagged.",
    ins=RAW_INS,
)
def games(
    config: SummaryConfig, schedule: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> pl.DataFrame:
    return logic.reconcile_games(
        typed(schedule, "raw/schedule"),
        typed(bdl, "raw/bdl_boxscores"),
        typed(nbacom, "raw/nbacom_boxscores"),
        primary=config.primary_source,
    )


@_analytics_asset(
    "player_game_summary",
    PlayerGameSummaryContract,
    "One row per (game_id, player_lookup) for every listed player incl. DNPs: the full box line "
    "from the primary source (fallback to the other), source_used and source_disagreement.",
    ins={
        "games": dg.AssetIn(key=["analytics", "games"]),
        "bdl": dg.AssetIn(key=["raw", "bdl_boxscores"]),
        "nbacom": dg.AssetIn(key=["raw", "nbacom_boxscores"]),
    },
)
def player_game_summary(
    config: SummaryConfig, games: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> pl.DataFrame:
    return logic.build_player_game_summary(
        typed(games, "analytics/games"),
        typed(bdl, "raw/bdl_boxscores"),
        typed(nbacom, "raw/nbacom_boxscores"),
        primary=config.primary_source,
    )


@_analytics_asset(
    "team_game_summary",
    TeamGameSummaryContract,
    "One row per (game_id, team): points for/against, possessions estimate, pace, offensive and "
    "defensive rating, home and win flags. Built from player_game_summary.",
    ins={"player_games": dg.AssetIn(key=["analytics", "player_game_summary"])},
)
def team_game_summary(player_games: pl.DataFrame) -> pl.DataFrame:
    return logic.build_team_game_summary(typed(player_games, "analytics/player_game_summary"))


ANALYTICS_ASSETS = [games, player_game_summary, team_game_summary]
