"""Leakage tests for the feature store (lesson 14, docs/architecture.md): D's features depend only on the past.

Build features for D; then add and change games on D and after D (and the in-game / post-tip market
and injury data of D): D's features must be byte-identical. Change one game on D-1: they must change.
A multi-date (range backfill) call must equal the daily calls, each given the asset's daily window.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.logic.analytics import build_team_game_summary
from nba_assets.logic.features import HISTORY_DAYS, build_player_features
from tests.unit.test_features import frame, pg, prop, synthetic_league, valid

START = dt.date(2024, 11, 1)
N_DAYS = 45
D = START + dt.timedelta(days=30)


@pytest.fixture(scope="module")
def league() -> dict[str, pl.DataFrame]:
    return synthetic_league(START, N_DAYS, seed=11)


def features_for(league: dict[str, pl.DataFrame], dates: list[dt.date]) -> pl.DataFrame:
    return valid(build_player_features(**league, target_dates=dates))


def parquet_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


def assert_identical(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.schema == b.schema
    assert a.equals(b)
    assert parquet_bytes(a) == parquet_bytes(b)


def with_player_games(league: dict[str, pl.DataFrame], player_games: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The league with new player summaries and the team summaries rebuilt from them."""
    return league | {"player_games": player_games, "team_games": build_team_game_summary(player_games)}


def scramble_on_and_after(df: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Every player-game on/after `day` changed: scoring tripled (capped), DNPs flipped, minutes moved."""
    late = pl.col("game_date") >= day
    pts = pl.min_horizontal(pl.col("points") * 3, pl.lit(99))
    return df.with_columns(
        pl.when(late).then(pts - pl.col("ftm")).otherwise(pl.col("points") - pl.col("ftm")).alias("_rest"),
    ).with_columns(
        pl.when(late).then(pts).otherwise(pl.col("points")).alias("points"),
        # keep points = 2*FGM + 3PM + FTM: threes absorb an odd remainder
        pl.when(late).then(pl.col("_rest") // 2).otherwise(pl.col("fgm")).alias("fgm"),
        pl.when(late).then(pl.col("_rest") % 2).otherwise(pl.col("fg3m")).alias("fg3m"),
        pl.when(late).then(~pl.col("dnp")).otherwise(pl.col("dnp")).alias("dnp"),
        pl.when(late).then(pl.col("minutes") * 0.5 + 5).otherwise(pl.col("minutes")).alias("minutes"),
    ).with_columns(
        pl.max_horizontal("fga", "fgm").alias("fga"), pl.max_horizontal("fg3a", "fg3m").alias("fg3a")
    ).drop("_rest")


def test_games_on_and_after_d_never_change_ds_features(league):
    base = features_for(league, [D])
    assert base.height > 50 and base["consensus_line"].is_not_null().any()

    changed = scramble_on_and_after(league["player_games"], D)
    slate_players = base["player_lookup"].to_list()
    extra = frame(
        [pg(D, p, "BOS", "NYK", points=77, game_id="GXTRA") for p in slate_players[:5]]
        + [pg(D, "newcomer", "NYK", "BOS", points=50, game_id="GXTRA")]
        + [pg(D + dt.timedelta(days=k), p, "MIA", "ORL", points=1, game_id=f"GLATE{k}")
           for k in (1, 2) for p in slate_players[5:12]]
        + [pg(D + dt.timedelta(days=k), "latecomer", "ORL", "MIA", game_id=f"GLATE{k}") for k in (1, 2)],
        tables.PLAYER_GAME_SUMMARY.label,
    )  # fmt: skip
    history = pl.concat([changed, extra])
    final_slate = league["slate"].with_columns(  # D's games are now final with scores: not a feature input
        pl.when(pl.col("game_date") >= D).then(3).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("game_date") >= D).then(120).otherwise(pl.col("home_score")).alias("home_score"),
    )
    d_games = league["slate"].filter(pl.col("game_date") == D).row(0, named=True)
    late_market = frame(
        [prop(D, d_games["home_team"], d_games["away_team"], p, "fanduel", 79.5, -20) for p in slate_players],
        tables.PROP_LINES.label,
    )
    after_tip = league["injuries"].head(0).vstack(
        frame([{**league["injuries"].row(0, named=True), "game_date": D, "team": d_games["home_team"],
                "player_lookup": slate_players[0],
                "report_ts": d_games["tipoff_utc"] + dt.timedelta(minutes=1)}], tables.INJURIES.label)
    )  # fmt: skip
    mutated = with_player_games(league, history) | {
        "slate": final_slate,
        "prop_lines": pl.concat([league["prop_lines"], late_market]),
        "injuries": pl.concat([league["injuries"], after_tip]),
    }

    assert_identical(base, features_for(mutated, [D]))


def test_changing_one_game_on_d_minus_1_changes_ds_features(league):
    base = features_for(league, [D])
    prev = D - dt.timedelta(days=1)
    pgs = league["player_games"]
    # A slate player whose last played game was D-1 (the synthetic league plays almost every day).
    target = (
        pgs.filter((pl.col("game_date") == prev) & ~pl.col("dnp"))
        .join(base.select("player_lookup"), on="player_lookup", how="semi")
        .sort("player_lookup")
        .row(0, named=True)
    )
    bumped = pgs.with_columns(
        pl.when((pl.col("game_date") == prev) & (pl.col("player_lookup") == target["player_lookup"]))
        .then(pl.col("ftm") + 10)
        .otherwise(pl.col("ftm"))
        .alias("ftm"),
    ).with_columns(
        pl.when((pl.col("game_date") == prev) & (pl.col("player_lookup") == target["player_lookup"]))
        .then(pl.col("points") + 10)
        .otherwise(pl.col("points"))
        .alias("points"),
        pl.max_horizontal("fta", "ftm").alias("fta"),
    )
    after = features_for(with_player_games(league, bumped), [D])

    assert not after.equals(base)
    before_row = base.filter(pl.col("player_lookup") == target["player_lookup"]).row(0, named=True)
    after_row = after.filter(pl.col("player_lookup") == target["player_lookup"]).row(0, named=True)
    assert after_row["pts_l3"] == pytest.approx(before_row["pts_l3"] + 10 / 3)
    assert after_row["data_as_of"] == prev


def test_range_call_equals_daily_calls_with_the_daily_window(league):
    dates = [START + dt.timedelta(days=k) for k in range(N_DAYS)]
    ranged = features_for(league, dates)

    def daily(d: dt.date) -> pl.DataFrame:
        window = (pl.col("game_date") >= d - dt.timedelta(days=HISTORY_DAYS)) & (pl.col("game_date") < d)
        today = pl.col("game_date") == d
        return build_player_features(
            player_games=league["player_games"].filter(window),
            team_games=league["team_games"].filter(window),
            slate=league["slate"].filter(today),
            injuries=league["injuries"].filter(today),
            prop_lines=league["prop_lines"].filter(today),
            target_dates=[d],
        )

    assert ranged.height > 1000
    assert_identical(ranged, pl.concat([daily(d) for d in dates]))
