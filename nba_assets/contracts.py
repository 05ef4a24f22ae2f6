"""Pandera (polars) contracts: the explicit schema of every table in the lake.

Each model is the contract of one table: column names, dtypes, nullability and ranges. Schemas are
never inferred from data (lesson 17, docs/architecture.md). `strict=True` rejects unexpected columns, so a drift in
a parser or transform fails the step before the write (the type check runs before the IO manager).

Which table uses which contract, and each table's business key, is declared in `nba_assets/tables.py`.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

from nba_assets.history import SEASON_TYPES

UtcTs = Annotated[pl.Datetime, "us", "UTC"]

RECOMMENDATIONS = ["OVER", "UNDER", "PASS", "NO_LINE"]
OUTCOMES = ["WIN", "LOSS", "PUSH", "VOID", "NO_LINE", "PASS"]
LINE_SOURCES = ["CONSENSUS", "NO_LINE"]
ROSTER_SOURCES = ["recent_games", "injury_report", "prop_lines"]
SYSTEM_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# A player's own injury report, normalised (nba_assets/logic/injuries.py maps the feeds' spellings).
INJURY_STATUSES = ["OUT", "DOUBTFUL", "QUESTIONABLE", "PROBABLE", "AVAILABLE"]
# The slate refreshes that (re)predict a game: the morning run and fixed offsets before its tip-off.
REFRESHES = ["morning", "T-3h", "T-1h", "T-10m"]
SOURCES = ["bdl", "nbacom"]
# Integer box minutes are rounded per player, so a 1-minute gap between sources is noise, not a
# disagreement (the summary's source_disagreement flag and the agreement check share this rule).
MINUTES_TOLERANCE = 1.0
# Game types: the 3rd digit of an NBA.com game id. The NBA Cup's group and knockout games are regular
# season games (digit 2); only its final has a digit of its own (6), and it is the one game the league
# leaves out of regular-season statistics.


class _Strict:
    strict = True
    coerce = False


# --------------------------------------------------------------------------------------------- raw
class ScheduleContract(pa.DataFrameModel):
    """raw/schedule: one row per game_id (NBA.com schedule)."""

    game_date: pl.Date
    game_id: pl.Utf8 = pa.Field(str_matches=r"^\d{10}$")
    season_year: pl.Int64 = pa.Field(ge=1946, le=2100)
    season_type: pl.Utf8 = pa.Field(isin=list(SEASON_TYPES.values()))
    nbacom_game_code: pl.Utf8 = pa.Field(nullable=True)
    home_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    away_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    home_team_id: pl.Int64
    away_team_id: pl.Int64
    tipoff_utc: UtcTs = pa.Field(nullable=True)
    status: pl.Int64 = pa.Field(isin=[1, 2, 3])
    # Postponed or cancelled (the status text says so; gameStatus stays 1): the game is not played on
    # this date. The shrink guard lets a day with such games lose rows (io_managers/shrink.py).
    postponed: pl.Boolean
    home_score: pl.Int64 = pa.Field(nullable=True, ge=0, le=250)
    away_score: pl.Int64 = pa.Field(nullable=True, ge=0, le=250)
    landing_file: pl.Utf8

    Config = _Strict


class _StatLine(pa.DataFrameModel):
    """The box-score stat columns shared by the raw boxscores and the player summary. pandera collects
    fields base-first along the MRO, so a contract `C(_StatLine, _Keys)` keeps the stored column order
    keys -> stats -> its own columns."""

    points: pl.Int64 = pa.Field(ge=0, le=100)
    fgm: pl.Int64 = pa.Field(ge=0)
    fga: pl.Int64 = pa.Field(ge=0)
    fg3m: pl.Int64 = pa.Field(ge=0)
    fg3a: pl.Int64 = pa.Field(ge=0)
    ftm: pl.Int64 = pa.Field(ge=0)
    fta: pl.Int64 = pa.Field(ge=0)
    oreb: pl.Int64 = pa.Field(ge=0)
    dreb: pl.Int64 = pa.Field(ge=0)
    reb: pl.Int64 = pa.Field(ge=0)
    ast: pl.Int64 = pa.Field(ge=0)
    stl: pl.Int64 = pa.Field(ge=0)
    blk: pl.Int64 = pa.Field(ge=0)
    tov: pl.Int64 = pa.Field(ge=0)
    pf: pl.Int64 = pa.Field(ge=0)

    @pa.dataframe_check
    def scoring_identity(cls, data) -> pl.LazyFrame:  # noqa: N805 (pandera passes the class)
        """points = 2*FGM + 3PM + FTM (FGM includes threes)."""
        return data.lazyframe.select(
            pl.col("points") == 2 * pl.col("fgm") + pl.col("fg3m") + pl.col("ftm")
        )


class _BoxscoreKeys(pa.DataFrameModel):
    game_date: pl.Date
    season_year: pl.Int64 = pa.Field(ge=1946, le=2100)
    source_game_id: pl.Utf8
    home_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    away_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    player_id: pl.Int64
    player_name: pl.Utf8
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    minutes: pl.Float64 = pa.Field(ge=0, le=70)
    dnp: pl.Boolean


class BoxscoreContract(_StatLine, _BoxscoreKeys):
    """raw/bdl_boxscores and raw/nbacom_boxscores: one row per (source_game_id, player_id)."""

    landing_file: pl.Utf8

    Config = _Strict

    @pa.dataframe_check
    def makes_within_attempts(cls, data) -> pl.LazyFrame:  # noqa: N805
        return data.lazyframe.select(
            (pl.col("fgm") <= pl.col("fga"))
            & (pl.col("fg3m") <= pl.col("fg3a"))
            & (pl.col("ftm") <= pl.col("fta"))
            & (pl.col("fg3m") <= pl.col("fgm"))
        )


class PropLineContract(pa.DataFrameModel):
    """raw/prop_lines: one row per (event_id, player_lookup, bookmaker, snapshot_ts); snapshots append."""

    game_date: pl.Date
    event_id: pl.Utf8
    commence_time: UtcTs
    home_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    away_team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    player_name: pl.Utf8
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    bookmaker: pl.Utf8
    market: pl.Utf8 = pa.Field(isin=["player_points"])
    line: pl.Float64 = pa.Field(ge=0.5, le=80)
    over_price: pl.Float64 = pa.Field(nullable=True)  # American odds (decimal inputs are converted)
    under_price: pl.Float64 = pa.Field(nullable=True)
    snapshot_ts: UtcTs
    minutes_before_tip: pl.Float64  # negative = taken after tip-off (in-game: must never feed features)
    landing_file: pl.Utf8

    Config = _Strict


class InjuryContract(pa.DataFrameModel):
    """raw/injuries: one row per (report_ts, player_lookup)."""

    game_date: pl.Date
    report_ts: UtcTs
    player_id: pl.Int64
    player_name: pl.Utf8
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    team: pl.Utf8 = pa.Field(str_length={"min_value": 3, "max_value": 3})
    status: pl.Utf8
    return_date: pl.Utf8 = pa.Field(nullable=True)
    description: pl.Utf8 = pa.Field(nullable=True)
    landing_file: pl.Utf8

    Config = _Strict


# --------------------------------------------------------------------------------------- analytics
class GamesContract(pa.DataFrameModel):
    """analytics/games: one row per game (canonical NBA.com game_id; game_code when no source has one)."""

    game_date: pl.Date
    game_id: pl.Utf8
    game_code: pl.Utf8 = pa.Field(str_matches=r"^\d{8}_[A-Z]{3}_[A-Z]{3}$")
    bdl_game_id: pl.Utf8 = pa.Field(nullable=True)
    season_year: pl.Int64
    home_team: pl.Utf8
    away_team: pl.Utf8
    tipoff_utc: UtcTs = pa.Field(nullable=True)
    status: pl.Int64 = pa.Field(isin=[1, 2, 3], nullable=True)
    home_score: pl.Int64 = pa.Field(nullable=True, ge=0, le=250)
    away_score: pl.Int64 = pa.Field(nullable=True, ge=0, le=250)
    in_schedule: pl.Boolean
    has_bdl_boxscore: pl.Boolean
    has_nbacom_boxscore: pl.Boolean
    reconciliation_flag: pl.Utf8 = pa.Field(
        isin=["ok", "missing_from_schedule", "missing_boxscore", "score_mismatch"]
    )

    Config = _Strict


class _SummaryKeys(pa.DataFrameModel):
    game_date: pl.Date
    game_id: pl.Utf8
    season_year: pl.Int64
    team: pl.Utf8
    opponent: pl.Utf8
    home: pl.Boolean
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    player_name: pl.Utf8
    bdl_player_id: pl.Int64 = pa.Field(nullable=True)
    nbacom_player_id: pl.Int64 = pa.Field(nullable=True)
    dnp: pl.Boolean
    minutes: pl.Float64 = pa.Field(ge=0, le=70)


class PlayerGameSummaryContract(_StatLine, _SummaryKeys):
    """analytics/player_game_summary: one row per (game_id, player_lookup)."""

    source_used: pl.Utf8 = pa.Field(isin=SOURCES)
    source_disagreement: pl.Boolean
    alt_points: pl.Int64 = pa.Field(nullable=True)  # the other source's value, when it has the row
    alt_minutes: pl.Float64 = pa.Field(nullable=True)

    Config = _Strict


class TeamGameSummaryContract(pa.DataFrameModel):
    """analytics/team_game_summary: one row per (game_id, team)."""

    game_date: pl.Date
    game_id: pl.Utf8
    season_year: pl.Int64
    team: pl.Utf8
    opponent: pl.Utf8
    home: pl.Boolean
    points_for: pl.Int64 = pa.Field(ge=0, le=250)
    points_against: pl.Int64 = pa.Field(ge=0, le=250)
    possessions: pl.Float64 = pa.Field(ge=0, le=200)
    pace: pl.Float64 = pa.Field(ge=0, le=200)
    off_rating: pl.Float64 = pa.Field(ge=0, le=250)
    def_rating: pl.Float64 = pa.Field(ge=0, le=250)
    win: pl.Boolean

    Config = _Strict


# ---------------------------------------------------------------------------------------- features
class PlayerFeaturesContract(pa.DataFrameModel):
    """features/player_features: one row per (game_date, player_lookup) on D's slate; inputs < D only."""

    game_date: pl.Date
    game_id: pl.Utf8
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    player_name: pl.Utf8
    team: pl.Utf8
    opponent: pl.Utf8
    home: pl.Boolean
    season_year: pl.Int64
    # player form (non-DNP games strictly before D; null when no history)
    pts_l3: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)
    pts_l5: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)
    pts_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)
    pts_season: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)
    pts_std_l10: pl.Float64 = pa.Field(nullable=True, ge=0)
    pts_trend_l10: pl.Float64 = pa.Field(nullable=True)  # OLS slope of points over the last 10 games
    min_l5: pl.Float64 = pa.Field(nullable=True, ge=0, le=70)
    min_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=70)
    min_change: pl.Float64 = pa.Field(nullable=True)  # min_l5 - min_l10
    usage_proxy_l10: pl.Float64 = pa.Field(nullable=True, ge=0)  # (FGA + 0.44 FTA + TOV) per minute
    ft_share_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)  # FTM / points
    dnp_rate_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)  # over the last 10 team games listed
    games_last_7d: pl.Int64 = pa.Field(ge=0, le=7)
    minutes_last_7d: pl.Float64 = pa.Field(ge=0, le=7 * 70)
    days_rest: pl.Int64 = pa.Field(nullable=True, ge=0)
    back_to_back: pl.Boolean
    games_played_season: pl.Int64 = pa.Field(ge=0)
    # context
    opp_pts_allowed_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=250)
    opp_def_rating_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=250)
    team_pace_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    opp_pace_l10: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    teammates_out: pl.Int64 = pa.Field(ge=0)
    teammates_out_pts_l10: pl.Float64 = pa.Field(ge=0)  # scoring (pts_l10) of teammates listed out
    # market (pre-tip snapshots only)
    consensus_line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)
    n_books: pl.Int64 = pa.Field(ge=0)
    line_minus_l10: pl.Float64 = pa.Field(nullable=True)
    line_movement: pl.Float64 = pa.Field(nullable=True)  # latest consensus - opening consensus
    # provenance
    feature_quality_score: pl.Float64 = pa.Field(ge=0, le=100)
    data_as_of: pl.Date = pa.Field(nullable=True)  # last game date used (< game_date)
    # how the player got on D's slate: listed in the last 30 days, or a fallback (quality capped)
    roster_source: pl.Utf8 = pa.Field(isin=ROSTER_SOURCES)
    feature_version: pl.Utf8

    Config = _Strict

    @pa.dataframe_check
    def point_in_time(cls, data) -> pl.LazyFrame:  # noqa: N805
        """No feature row may use data from its own day or later (lesson 14, docs/architecture.md)."""
        return data.lazyframe.select(
            pl.col("data_as_of").is_null() | (pl.col("data_as_of") < pl.col("game_date"))
        )


# ------------------------------------------------------------------------------------- predictions
class PredictionContract(pa.DataFrameModel):
    """predictions/player_prop_predictions: one row per (game_id, player_lookup, system_id), the latest
    row of predictions/recommendation_history for that key (same columns)."""

    game_id: pl.Utf8
    game_date: pl.Date
    player_lookup: pl.Utf8 = pa.Field(str_matches=r"^[a-z0-9]+$")
    # Any registered prediction system (nba_assets/logic/systems.py): the contract names the shape,
    # not the list, so registering a system needs no change here.
    system_id: pl.Utf8 = pa.Field(str_matches=SYSTEM_ID_PATTERN)
    model_version: pl.Utf8
    predicted_points: pl.Float64 = pa.Field(ge=0, le=80)
    line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)  # the consensus line as of created_at
    line_source: pl.Utf8 = pa.Field(isin=LINE_SOURCES)
    n_books: pl.Int64 = pa.Field(ge=0)  # books in that consensus
    # The pick: the best offer for the recommended side as of created_at (logic/pricing.py); null for
    # PASS and NO_LINE, pick_price null when no book priced the side.
    pick_book: pl.Utf8 = pa.Field(nullable=True)
    pick_line: pl.Float64 = pa.Field(nullable=True, ge=0.5, le=80)
    pick_price: pl.Int64 = pa.Field(nullable=True)  # American odds
    edge: pl.Float64 = pa.Field(nullable=True)
    p_over: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    recommendation: pl.Utf8 = pa.Field(isin=RECOMMENDATIONS)
    pass_reason: pl.Utf8 = pa.Field(nullable=True)
    confidence: pl.Float64 = pa.Field(ge=0, le=100)
    feature_quality_score: pl.Float64 = pa.Field(ge=0, le=100)
    injury_status: pl.Utf8 = pa.Field(nullable=True, isin=INJURY_STATUSES)  # latest report <= created_at
    injury_report_ts: UtcTs = pa.Field(nullable=True)  # when that report was published
    line_snapshot_ts: UtcTs = pa.Field(nullable=True)  # newest prop snapshot in the consensus line
    refresh: pl.Utf8 = pa.Field(isin=REFRESHES)  # the slate refresh that made the row
    tipoff_utc: UtcTs
    created_at: UtcTs  # when the recommendation was made: always before tip-off

    Config = _Strict

    @pa.dataframe_check
    def made_before_tipoff(cls, data) -> pl.LazyFrame:  # noqa: N805
        """No prediction is made or changed at or after its game's tip-off (nor from later inputs)."""
        return data.lazyframe.select(
            (pl.col("created_at") < pl.col("tipoff_utc"))
            & (pl.col("injury_report_ts").is_null() | (pl.col("injury_report_ts") <= pl.col("created_at")))
            & (pl.col("line_snapshot_ts").is_null() | (pl.col("line_snapshot_ts") <= pl.col("created_at")))
        )

    @pa.dataframe_check
    def line_provenance(cls, data) -> pl.LazyFrame:  # noqa: N805
        """One source of truth for line provenance (lesson 10, docs/architecture.md)."""
        return data.lazyframe.select(
            ((pl.col("line_source") == "NO_LINE") == pl.col("line").is_null())
            & ((pl.col("recommendation") == "NO_LINE") == (pl.col("line_source") == "NO_LINE"))
        )

    @pa.dataframe_check
    def pick_on_a_side(cls, data) -> pl.LazyFrame:  # noqa: N805
        """A pick (book and line together) only on an OVER or UNDER recommendation."""
        return data.lazyframe.select(
            (pl.col("pick_book").is_null() == pl.col("pick_line").is_null())
            & (pl.col("pick_line").is_null() | pl.col("recommendation").is_in(["OVER", "UNDER"]))
            & (pl.col("pick_price").is_null() | pl.col("pick_line").is_not_null())
        )


class RecommendationHistoryContract(PredictionContract):
    """predictions/recommendation_history: one row per (game_id, player_lookup, system_id, created_at);
    append-only: a refresh adds a row when the line, the injury report or the model changed."""


# ----------------------------------------------------------------------------------------- grading
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


def empty_frame(contract: type[pa.DataFrameModel]) -> pl.DataFrame:
    """A typed, empty frame with `contract`'s columns (use `tables.<TABLE>.empty()`)."""
    schema = contract.to_schema()
    return pl.DataFrame(schema={name: col.dtype.type for name, col in schema.columns.items()})
