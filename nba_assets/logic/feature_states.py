"""Per-game states behind the point-in-time player features (nba_assets/logic/features.py).

Each state row is "the player's (or team's) figures after game g", keyed by the game's date `h_date`;
a feature row for day D joins the latest state before D. States depend only on the games up to their
own, so one computation over a range's history serves every target date of the range. The windows
and season rules are the feature module's docstring's.
"""

from __future__ import annotations

import polars as pl

from nba_assets.history import SEASON_STAT_TYPES, SEASON_TYPES

WINDOWS = (3, 5, 10)
TEAM_WINDOW = 10
_PLAYER = "player_lookup"
_PLAYED_INPUTS = ["dnp", "minutes", "points", "fga", "fta", "tov", "ftm"]


# ------------------------------------------------------------------------------------ player states
def listed_state(player_games: pl.DataFrame) -> pl.DataFrame:
    """Per listed row (DNPs included): the player's team, name and DNP share of his last 10 listed rows."""
    season = [_PLAYER, "season_year"]
    return (
        player_games.select(_PLAYER, "game_date", "game_id", "season_year", "team", "player_name", "dnp")
        .sort([_PLAYER, "game_date", "game_id"])
        .with_columns(
            pl.col("dnp").cast(pl.Float64).rolling_mean(10, min_samples=1).over(season).alias("dnp_rate_l10")
        )
        .unique(subset=[_PLAYER, "game_date"], keep="last", maintain_order=True)
        .select(
            _PLAYER,
            pl.col("game_date").alias("h_date"),
            pl.col("season_year").alias("l_season"),
            pl.col("team").alias("l_team"),
            "player_name",
            "dnp_rate_l10",
        )
    )


def counts_in_season_stats(game_id: str = "game_id") -> pl.Expr:
    """True for a game the league counts in season statistics (SEASON_STAT_TYPES: the regular season,
    NBA Cup group and knockout games included), read from the NBA.com id's season-type digit. The Cup
    final (6), playoffs (4) and play-in (5) are not; a game known only by its game_code is regular."""
    digits = [d for d, kind in SEASON_TYPES.items() if kind in SEASON_STAT_TYPES]
    nba_id = pl.col(game_id).str.contains(r"^\d{10}$")
    return ~nba_id | pl.col(game_id).str.slice(2, 1).is_in(digits)


def played_state(player_games: pl.DataFrame) -> pl.DataFrame:
    """Per played game: the player's season form after that game (windows over played games only)."""
    season = [_PLAYER, "season_year"]
    played = (
        player_games.select(_PLAYER, "game_date", "game_id", "season_year", *_PLAYED_INPUTS)
        .filter(~pl.col("dnp") & (pl.col("minutes") > 0))
        .sort([_PLAYER, "game_date", "game_id"])
    )  # sort only the columns read, not the summary's 31

    def roll_sum(col: str | pl.Expr, n: int) -> pl.Expr:
        expr = pl.col(col) if isinstance(col, str) else col
        return expr.cast(pl.Float64).rolling_sum(n, min_samples=1).over(season)

    x = pl.int_range(pl.len()).over(season).cast(pl.Float64)  # game index within the season
    y = pl.col("points").cast(pl.Float64)
    n10 = (x + 1).clip(upper_bound=10.0)
    sx, sy, sxy, sxx = roll_sum(x, 10), roll_sum(y, 10), roll_sum(x * y, 10), roll_sum(x * x, 10)
    denom = n10 * sxx - sx * sx
    minutes10 = roll_sum("minutes", 10)
    points10 = roll_sum("points", 10)
    counted = counts_in_season_stats()
    return (
        played.with_columns(
            *[y.rolling_mean(n, min_samples=1).over(season).alias(f"pts_l{n}") for n in WINDOWS],
            y.rolling_std(10, min_samples=2).over(season).alias("pts_std_l10"),
            pl.when(denom > 0).then((n10 * sxy - sx * sy) / denom).alias("pts_trend_l10"),
            pl.col("minutes").rolling_mean(5, min_samples=1).over(season).alias("min_l5"),
            pl.col("minutes").rolling_mean(10, min_samples=1).over(season).alias("min_l10"),
            pl.when(minutes10 > 0)
            .then((roll_sum("fga", 10) + 0.44 * roll_sum("fta", 10) + roll_sum("tov", 10)) / minutes10)
            .alias("usage_proxy_l10"),
            pl.when(points10 > 0).then(roll_sum("ftm", 10) / points10).alias("ft_share_l10"),
            # Season-to-date counts what the league's season statistics count (counts_in_season_stats).
            (y * counted).cum_sum().over(season).alias("cum_pts"),
            counted.cast(pl.Int64).cum_sum().over(season).alias("cum_games"),
            # Across seasons: the 7-day load counts are differences of these totals.
            pl.int_range(1, pl.len() + 1).over(_PLAYER).alias("cum_games_all"),
            pl.col("minutes").cum_sum().over(_PLAYER).alias("cum_min_all"),
        )
        .unique(subset=[_PLAYER, "game_date"], keep="last", maintain_order=True)
        .rename({"game_date": "h_date", "season_year": "p_season"})
    )


# -------------------------------------------------------------------------------------- team states
def team_state(team_games: pl.DataFrame) -> pl.DataFrame:
    """Per team-game: the team's last-10 points allowed, defensive rating and pace this season."""
    season = ["team", "season_year"]
    return (
        team_games.sort(["team", "game_date", "game_id"])
        .with_columns(
            pl.col("points_against").cast(pl.Float64).rolling_mean(TEAM_WINDOW, min_samples=1).over(season)
            .alias("pts_allowed_l10"),
            pl.col("def_rating").rolling_mean(TEAM_WINDOW, min_samples=1).over(season).alias("def_rating_l10"),
            pl.col("pace").rolling_mean(TEAM_WINDOW, min_samples=1).over(season).alias("pace_l10"),
            pl.int_range(1, pl.len() + 1).over(season).clip(upper_bound=TEAM_WINDOW).alias("n_l10"),
        )  # fmt: skip
        .unique(subset=["team", "game_date"], keep="last", maintain_order=True)
        .select(
            "team", pl.col("game_date").alias("h_date"), pl.col("season_year").alias("t_season"),
            "pts_allowed_l10", "def_rating_l10", "pace_l10", "n_l10",
        )  # fmt: skip
    )


__all__ = ["TEAM_WINDOW", "WINDOWS", "counts_in_season_stats", "listed_state", "played_state", "team_state"]
