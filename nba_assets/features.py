"""Feature layer: the point-in-time player feature store.

Features for day D read summaries of the previous HISTORY_DAYS days through a
TimeWindowPartitionMapping(start_offset=-HISTORY_DAYS, end_offset=-1). Offsets are inclusive
(Dagster's TimeWindowPartitionMapping includes both ends), so D itself is never loaded: leakage is impossible by construction, and the
builder drops rows >= D again as a second guard. 190 days covers a whole regular season (~175 days),
so season-to-date means are exact. A change to summary day D re-runs feature days D+1..D+190
(automation bounds that by its lookback).
"""


import datetime as dt

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.automation import RERUN
from nba_assets.common import partition_dates, run_metadata, table_asset, table_in
from nba_assets.logic import features as logic
from resources.lake import LakeReader, LakeResource

# Competitive games get features (books price them, the NBA Cup final too); exhibitions do not.
SLATE_SEASON_TYPES = ["regular", "play-in", "playoffs", "cup-final"]
HISTORY = dg.TimeWindowPartitionMapping(start_offset=-logic.HISTORY_DAYS, end_offset=-1)


ROSTER_COLUMNS = ["player_lookup", "game_id", "game_date", "season_year", "team", "player_name", "dnp"]


def last_rows_before(reader: LakeReader, before: dt.date) -> pl.DataFrame:
    """Each player's last summary row before `before` (older than the form window): his last known team
    for the roster fallbacks. Lineage-less like the model's reads; a point-in-time read (< before)."""
    if not reader.has(t.PLAYER_GAME_SUMMARY):
        return t.PLAYER_GAME_SUMMARY.empty().select(ROSTER_COLUMNS)
    cols = ", ".join(ROSTER_COLUMNS)
    return reader.query(
        f"select {cols} from {t.PLAYER_GAME_SUMMARY.view} where game_date < DATE '{before}' "
        "qualify row_number() over (partition by player_lookup order by game_date desc, game_id desc) = 1"
    )


@table_asset(
    t.PLAYER_FEATURES,
    (
        "One row per (game_date, player_lookup) for every player on D's slate: form, minutes, rest, "
        "opponent, pace, injuries, the pre-tip consensus line and the game lines (implied team total, "
        "spread and their movement before the prediction time), from data strictly before D. "
        "Carries feature_quality_score and data_as_of."
    ),
    code_version=logic.FEATURE_VERSION,
    automation_condition=RERUN,
    ins={
        "player_games": table_in(t.PLAYER_GAME_SUMMARY, partition_mapping=HISTORY),
        "team_games": table_in(t.TEAM_GAME_SUMMARY, partition_mapping=HISTORY),
        # The slate is what was SCHEDULED for D (known before D), not the reconciled games table, which
        # a late boxscore rewrites: that would re-run D's features for nothing (they read < D only).
        "schedule": table_in(t.SCHEDULE),
        "injuries": table_in(t.INJURIES),
        "prop_lines": table_in(t.PROP_LINES),
        "game_lines": table_in(t.GAME_LINES),
    },
)
def player_features(
    context: dg.AssetExecutionContext,
    player_games: pl.DataFrame,
    team_games: pl.DataFrame,
    schedule: pl.DataFrame,
    injuries: pl.DataFrame,
    prop_lines: pl.DataFrame,
    game_lines: pl.DataFrame,
    lake: LakeResource,
):
    dates = partition_dates(context)
    roster = player_games.select(ROSTER_COLUMNS)
    older = last_rows_before(lake.reader(), min(dates) - dt.timedelta(days=logic.HISTORY_DAYS))
    out = logic.build_player_features(
        player_games=player_games,
        team_games=team_games,
        slate=schedule.filter(pl.col("season_type").is_in(SLATE_SEASON_TYPES)),
        injuries=injuries,
        prop_lines=prop_lines,
        target_dates=dates,
        roster_history=pl.concat([older.cast(dict(roster.schema)), roster], how="vertical"),
        game_lines=game_lines,
    )
    low = out.filter(pl.col("feature_quality_score") < 50).height if out.height else 0
    yield dg.Output(
        out,
        metadata=run_metadata(context, {
            "history_rows": player_games.height,
            "slate_players": out.height,
            "low_quality_rows": low,
            "roster_fallback_rows": out.filter(pl.col("roster_source") != logic.ROSTER_RECENT).height,
            "mean_quality": float(out["feature_quality_score"].mean()) if out.height else 0.0,
        }),  # fmt: skip
    )


FEATURE_ASSETS = [player_features]
