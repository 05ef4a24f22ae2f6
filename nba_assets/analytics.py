"""Analytics layer: reconciled games and per-player / per-team game summaries.

Thin wrappers: the reconciliation and summary logic lives in `nba_assets.logic.analytics`.
Each day's summary reads only that day's raw partitions (identity mapping), so a late or corrected
boxscore re-runs exactly its own day here.
"""


import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.automation import RERUN
from nba_assets.common import run_metadata, table_asset, table_in
from nba_assets.logic import analytics as logic

CODE_VERSION = "analytics_v1"


class SummaryConfig(dg.Config):
    """Which boxscore source wins when both have a game (the other is the fallback)."""

    primary_source: str = "nbacom"


def _analytics_asset(table: t.Table, description: str, **kwargs):
    return table_asset(table, description, code_version=CODE_VERSION, automation_condition=RERUN, **kwargs)


# Both sources' boxscores of the same day: every summary reads them (identity mapping).
BOX_INS = {"bdl": table_in(t.BDL_BOXSCORES), "nbacom": table_in(t.NBACOM_BOXSCORES)}


@_analytics_asset(
    t.GAMES,
    "One row per game (canonical NBA.com game_id): two schedules (NBA.com, Ball Don't Lie /v1/games) "
    "and both box scores reconciled on (game_date, home, away), carrying every source's id and which "
    "schedules list it (schedule_sources); unmatched games kept and flagged.",
    ins={"schedule": table_in(t.SCHEDULE), "bdl_games": table_in(t.BDL_GAMES, metadata={"allow_missing_partitions": True}), **BOX_INS},
)
def games(
    context: dg.AssetExecutionContext,
    config: SummaryConfig, schedule: pl.DataFrame, bdl_games: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    swaps = logic.box_ids_replaced_by_schedule(schedule, nbacom)
    out = logic.reconcile_games(schedule, bdl, nbacom, primary=config.primary_source, bdl_games=bdl_games)
    # The schedule's id is canonical; an NBA.com box score under another id is recorded, never silent.
    ids = [f"{r['game_date']} {r['away_team']}@{r['home_team']}: {r['box_game_id']} -> {r['sched_game_id']}"
           for r in swaps.head(20).iter_rows(named=True)]  # fmt: skip
    return dg.Output(out, metadata=run_metadata(context, {"box_ids_replaced_by_schedule": swaps.height,
                                                          "replaced_ids": dg.MetadataValue.json(ids)}))  # fmt: skip


@_analytics_asset(
    t.PLAYER_GAME_SUMMARY,
    "One row per (game_id, player_lookup) for every listed player incl. DNPs: the full box line "
    "from the primary source (fallback to the other), source_used and source_disagreement.",
    ins={"games": table_in(t.GAMES), **BOX_INS},
)
def player_game_summary(
    config: SummaryConfig, games: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> pl.DataFrame:
    return logic.build_player_game_summary(games, bdl, nbacom, primary=config.primary_source)


# analytics/team_game_summary is a derived table (nba_assets/derived.py, declared in the registry).
ANALYTICS_ASSETS = [games, player_game_summary]
