"""Pandera contracts of the grading layer (the rest are in nba_assets/contracts.py; the registry,
nba_assets/tables.py, finds a table's contract in either by its class name)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from nba_assets.contracts import OUTCOMES, RECOMMENDATIONS, REFRESHES, SYSTEM_ID_PATTERN, UtcTs, _Strict


class PredictionGradeContract(pa.DataFrameModel):
    """grading/prediction_grades: one row per (game_id, player_lookup, system_id)."""

    game_id: pl.Utf8
    game_date: pl.Date
    player_lookup: pl.Utf8
    system_id: pl.Utf8
    predicted_points: pl.Float64 = pa.Field(ge=0, le=80)
    line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)  # consensus at created_at
    recommendation: pl.Utf8 = pa.Field(isin=RECOMMENDATIONS)
    p_over: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    pick_book: pl.Utf8 = pa.Field(nullable=True)
    pick_line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)  # the line the outcome is graded at
    pick_price: pl.Int64 = pa.Field(nullable=True)
    profit_units: pl.Float64 = pa.Field(nullable=True, ge=-1)  # 1 unit at pick_price; push 0
    closing_line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)  # last pre-tip consensus
    clv: pl.Float64 = pa.Field(nullable=True)  # points, positive = good for the side taken
    actual_points: pl.Int64 = pa.Field(nullable=True, ge=0, le=100)
    actual_minutes: pl.Float64 = pa.Field(nullable=True, ge=0, le=70)
    outcome: pl.Utf8 = pa.Field(isin=OUTCOMES)
    absolute_error: pl.Float64 = pa.Field(nullable=True, ge=0)
    signed_error: pl.Float64 = pa.Field(nullable=True)  # predicted - actual
    refresh: pl.Utf8 = pa.Field(isin=REFRESHES)  # which recommendation was graded: the last pre-tip one
    created_at: UtcTs

    Config = _Strict


class SystemDailyPerformanceContract(pa.DataFrameModel):
    """grading/system_daily_performance: one row per (game_date, system_id)."""

    game_date: pl.Date
    system_id: pl.Utf8
    n_predictions: pl.Int64 = pa.Field(ge=0)
    n_graded: pl.Int64 = pa.Field(ge=0)  # WIN + LOSS + PUSH
    coverage: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)  # share of predictions with a line
    mae: pl.Float64 = pa.Field(nullable=True, ge=0)
    bias: pl.Float64 = pa.Field(nullable=True)
    wins: pl.Int64 = pa.Field(ge=0)
    losses: pl.Int64 = pa.Field(ge=0)
    pushes: pl.Int64 = pa.Field(ge=0)
    hit_rate: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    over_hit_rate: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    under_hit_rate: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    roi_at_110: pl.Float64 = pa.Field(nullable=True, ge=-1, le=1)  # the same bets at -110
    priced_bets: pl.Int64 = pa.Field(ge=0)  # WIN + LOSS with a pick_price
    profit_units: pl.Float64  # over WIN, LOSS and PUSH with a price, 1 unit each
    roi: pl.Float64 = pa.Field(nullable=True, ge=-1)  # profit_units / priced_bets: at the price taken
    clv_bets: pl.Int64 = pa.Field(ge=0)  # graded bets with a closing line
    clv: pl.Float64 = pa.Field(nullable=True)  # their mean CLV in points
    brier: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    Config = _Strict


class ChampionContract(pa.DataFrameModel):
    """grading/champion: one row per game_date: the system backing that day's picks (logic/champion.py),
    decided from the graded days before it only."""

    game_date: pl.Date
    champion: pl.Utf8 = pa.Field(str_matches=SYSTEM_ID_PATTERN)
    promoted: pl.Boolean  # the title changed hands on this day
    previous_champion: pl.Utf8 = pa.Field(str_matches=SYSTEM_ID_PATTERN)  # the day before's
    previous_champion_bets: pl.Int64 = pa.Field(ge=0)  # its window figures: what a promotion beat
    previous_champion_roi: pl.Float64 = pa.Field(nullable=True, ge=-1)
    window_start: pl.Date  # the trailing window is [window_start, game_date)
    champion_bets: pl.Int64 = pa.Field(ge=0)  # priced bets in the window
    champion_roi: pl.Float64 = pa.Field(nullable=True, ge=-1)  # at the price taken
    champion_hit_rate: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    champion_clv: pl.Float64 = pa.Field(nullable=True)
    challenger: pl.Utf8 = pa.Field(nullable=True)  # the best other system with the minimum sample
    challenger_bets: pl.Int64 = pa.Field(nullable=True, ge=0)
    challenger_roi: pl.Float64 = pa.Field(nullable=True, ge=-1)
    challenger_hit_rate: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    Config = _Strict

    @pa.dataframe_check
    def window_before_the_day(cls, data) -> pl.LazyFrame:  # noqa: N805
        """The champion of a day is decided from graded days before it (no leakage)."""
        return data.lazyframe.select(pl.col("window_start") < pl.col("game_date"))
