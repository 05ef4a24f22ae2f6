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
from nba_assets.logic import features as feature_logic
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


def game_lines_for(slate: pl.DataFrame) -> pl.DataFrame:
    """raw/game_lines rows for every game of `slate`: two books, an opening and a later snapshot."""
    rows = []
    for g in slate.iter_rows(named=True):
        for k, book in enumerate(("fanduel", "draftkings")):
            for hours, move in ((20, 0.0), (2, 1.0)):
                rows.append({
                    "game_date": g["game_date"], "event_id": g["game_id"], "commence_time": g["tipoff_utc"],
                    "home_team": g["home_team"], "away_team": g["away_team"], "bookmaker": book,
                    "snapshot_ts": g["tipoff_utc"] - dt.timedelta(hours=hours), "home_spread": -3.5 + k + move,
                    "home_spread_price": -110.0, "away_spread_price": -110.0, "total": 220.5 + move,
                    "over_price": -110.0, "under_price": -110.0, "minutes_before_tip": hours * 60.0,
                    "landing_file": "f",
                })  # fmt: skip
    return pl.DataFrame(rows, schema=tables.GAME_LINES.empty().schema)


def test_a_range_built_in_windows_equals_one_pass_over_every_date(league, monkeypatch):
    """The builder takes WINDOW_DAYS target dates at a time (memory): windows of any size give the
    rows of one pass over the range, byte for byte, roster fallbacks, injuries and game lines included."""
    dates = [START + dt.timedelta(days=k) for k in range(N_DAYS)]
    # A player listed once on the first day and priced 40 days later: a prop-lines roster fallback
    # row, which needs his last known team from before every later window.
    late = league["slate"].filter(pl.col("game_date") >= START + dt.timedelta(days=40)).row(0, named=True)
    home, away, when = late["home_team"], late["away_team"], late["game_date"]
    ghost_games = frame([pg(START, "ghostp", home, away, dnp=True, points=0)], tables.PLAYER_GAME_SUMMARY.label)
    ghost_lines = frame([prop(when, home, away, "ghostp", "fanduel", 12.5, 90)], tables.PROP_LINES.label)
    player_games = pl.concat([league["player_games"], ghost_games])
    inputs = league | {
        "player_games": player_games,
        "roster_history": player_games,
        "prop_lines": pl.concat([league["prop_lines"], ghost_lines]),
        "game_lines": game_lines_for(league["slate"]),
    }
    monkeypatch.setattr(feature_logic, "WINDOW_DAYS", N_DAYS)
    whole = valid(build_player_features(**inputs, target_dates=dates))
    assert whole.height > 1000 and whole["implied_team_total"].is_not_null().sum() > 1000
    assert whole["teammates_out"].sum() > 0 and whole["consensus_line"].is_not_null().sum() > 100
    assert set(whole["roster_source"]) == {"recent_games", "injury_report", "prop_lines"}
    for size in (3, 30):
        monkeypatch.setattr(feature_logic, "WINDOW_DAYS", size)
        assert_identical(build_player_features(**inputs, target_dates=dates), whole)
