"""Unit tests for the point-in-time feature builder: hand-made histories with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import PlayerFeaturesContract
from nba_assets.logic.analytics import build_team_game_summary
from nba_assets.logic.features import (
    FALLBACK_MAX_QUALITY,
    FEATURE_VERSION,
    HISTORY_DAYS,
    build_player_features,
)

SEASON = 2024
D = dt.date(2025, 1, 20)
UTC = dt.UTC


# ----------------------------------------------------------------------------------------- builders
def day(n: int) -> dt.date:
    """D + n days (n < 0 is the past)."""
    return D + dt.timedelta(days=n)


def gid(date: dt.date, a: str, b: str) -> str:
    return f"G{date:%Y%m%d}{min(a, b)}{max(a, b)}"


def tip(date: dt.date, hour: int = 0, minute: int = 30) -> dt.datetime:
    """Tip-off at 19:30 ET = 00:30 UTC on the next day (winter time)."""
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=UTC) + dt.timedelta(days=1)


def pg(date, player, team, opp, *, points=10, minutes=30.0, dnp=False, home=True, season=SEASON,
       ftm=0, fta=None, fga=None, tov=0, game_id=None, name=None) -> dict:  # fmt: skip
    """A player_game_summary row; shots are derived so points = 2*FGM + 3PM + FTM holds."""
    rest = points - ftm
    fg3m = rest % 2
    fgm = (rest - fg3m) // 2
    if dnp:
        minutes = 0.0
    return {
        "game_date": date, "game_id": game_id or gid(date, team, opp), "season_year": season, "team": team,
        "opponent": opp, "home": home, "player_lookup": player, "player_name": name or player.title(),
        "bdl_player_id": None, "nbacom_player_id": None, "dnp": dnp, "minutes": minutes, "points": points,
        "fgm": fgm, "fga": fgm if fga is None else fga, "fg3m": fg3m, "fg3a": fg3m, "ftm": ftm,
        "fta": ftm if fta is None else fta, "oreb": 0, "dreb": 0, "reb": 0, "ast": 0, "stl": 0, "blk": 0,
        "tov": tov, "pf": 0, "source_used": "nbacom", "source_disagreement": False, "alt_points": None,
        "alt_minutes": None,
    }  # fmt: skip


def tg(date, team, opp, *, pts_for=100, pts_against=100, pace=100.0, def_rating=110.0, season=SEASON) -> dict:
    return {
        "game_date": date, "game_id": gid(date, team, opp), "season_year": season, "team": team,
        "opponent": opp, "home": True, "points_for": pts_for, "points_against": pts_against,
        "possessions": pace, "pace": pace, "off_rating": 100.0, "def_rating": def_rating,
        "win": pts_for > pts_against,
    }  # fmt: skip


def game(date, home, away, *, season=SEASON, tipoff="default", status=1) -> dict:
    return {
        "game_date": date, "game_id": gid(date, home, away), "game_code": f"{date:%Y%m%d}_{away}_{home}",
        "bdl_game_id": None, "season_year": season, "home_team": home, "away_team": away,
        "tipoff_utc": tip(date) if tipoff == "default" else tipoff, "status": status, "home_score": None,
        "away_score": None, "in_schedule": True, "has_bdl_boxscore": False, "has_nbacom_boxscore": False,
        "reconciliation_flag": "ok",
    }  # fmt: skip


def inj(date, player, team, status="Out", *, report_ts=None) -> dict:
    return {
        "game_date": date, "report_ts": report_ts or dt.datetime(date.year, date.month, date.day, 15, tzinfo=UTC),
        "player_id": abs(hash(player)) % 10_000, "player_name": player.title(), "player_lookup": player,
        "team": team, "status": status, "return_date": None, "description": None, "landing_file": "i.json",
    }  # fmt: skip


def prop(date, home, away, player, book, line, minutes_before_tip: float, *, commence=None) -> dict:
    commence = commence or tip(date)
    return {
        "game_date": date, "event_id": f"ev{date:%m%d}{home}", "commence_time": commence, "home_team": home,
        "away_team": away, "player_name": player.title(), "player_lookup": player, "bookmaker": book,
        "market": "player_points", "line": line, "over_price": -110.0, "under_price": -110.0,
        "snapshot_ts": commence - dt.timedelta(minutes=minutes_before_tip),
        "minutes_before_tip": float(minutes_before_tip), "landing_file": "p.json",
    }  # fmt: skip


def frame(rows: list[dict], table: str) -> pl.DataFrame:
    """A frame in the table's contract dtypes (what the IO manager hands the asset)."""
    return pl.DataFrame(rows, schema=tables.get(table).empty().schema) if rows else tables.get(table).empty()


def build(players=(), teams=(), games=(), injuries=(), props=(), dates=(D,)) -> pl.DataFrame:
    out = build_player_features(
        frame(list(players), tables.PLAYER_GAME_SUMMARY.label),
        frame(list(teams), tables.TEAM_GAME_SUMMARY.label),
        frame(list(games), tables.GAMES.label),
        frame(list(injuries), tables.INJURIES.label),
        frame(list(props), tables.PROP_LINES.label),
        list(dates),
    )
    return valid(out)


def valid(df: pl.DataFrame) -> pl.DataFrame:
    PlayerFeaturesContract.validate(df)
    assert df.schema == tables.PLAYER_FEATURES.empty().schema
    assert df.select(list(tables.PLAYER_FEATURES.business_key)).is_duplicated().sum() == 0
    assert df.equals(df.sort(["game_date", "player_lookup"]))
    return df


def row(df: pl.DataFrame, player: str, date: dt.date = D) -> dict:
    rows = df.filter((pl.col("player_lookup") == player) & (pl.col("game_date") == date))
    assert rows.height == 1, f"{player} on {date}: {rows.height} rows"
    return rows.row(0, named=True)


# A player's four played games and one DNP before D, his game on D (must be ignored) and one after.
ALPHA = [
    pg(day(-10), "alpha", "BOS", "NYK", points=10, minutes=20.0, ftm=2, fga=8, fta=4, tov=1),
    pg(day(-8), "alpha", "BOS", "MIA", dnp=True, points=0),
    pg(day(-6), "alpha", "BOS", "MIA", points=20, minutes=30.0, ftm=4, fga=12, fta=5, tov=2),
    pg(day(-4), "alpha", "BOS", "ORL", points=30, minutes=34.0, ftm=6, fga=20, fta=6, tov=3),
    pg(day(-1), "alpha", "BOS", "ORL", points=40, minutes=36.0, ftm=8, fga=24, fta=10, tov=4),
    pg(day(0), "alpha", "BOS", "NYK", points=99, minutes=48.0),
    pg(day(2), "alpha", "BOS", "NYK", points=0, minutes=10.0),
]
SLATE = [game(D, "BOS", "NYK")]


# --------------------------------------------------------------------------------------- form math
def test_windows_shorter_than_n_and_dnp_excluded_from_means_but_counted_in_dnp_rate():
    r = row(build(players=ALPHA, games=SLATE), "alpha")
    pts = [10, 20, 30, 40]
    assert r["pts_l3"] == pytest.approx(30.0)
    assert r["pts_l5"] == pytest.approx(25.0)  # 4 played games: the window is short, not padded
    assert r["pts_l10"] == pytest.approx(25.0)
    assert r["pts_season"] == pytest.approx(25.0)
    assert r["games_played_season"] == 4
    assert r["pts_std_l10"] == pytest.approx(float(np.std(pts, ddof=1)))
    assert r["pts_trend_l10"] == pytest.approx(10.0)  # +10 points per game
    assert r["dnp_rate_l10"] == pytest.approx(1 / 5)
    assert r["min_l5"] == pytest.approx(30.0) and r["min_l10"] == pytest.approx(30.0)
    assert r["min_change"] == pytest.approx(0.0)
    assert r["usage_proxy_l10"] == pytest.approx((64 + 0.44 * 25 + 10) / 120)
    assert r["ft_share_l10"] == pytest.approx(20 / 100)
    assert (r["team"], r["opponent"], r["home"], r["game_id"]) == ("BOS", "NYK", True, gid(D, "BOS", "NYK"))
    assert r["data_as_of"] == day(-1)
    assert r["feature_version"] == FEATURE_VERSION


def test_season_to_date_counts_regular_season_games_only_and_form_counts_every_competitive_game():
    # The NBA Cup final (season-type digit 6), like playoffs (4) and play-in (5), is left out of the
    # league's season statistics; recent form and load count it. Cup group games are digit 2 (regular).
    history = [
        pg(day(-6), "gamma", "MIL", "OKC", points=10, game_id="0022400301"),  # Cup group game: regular
        pg(day(-4), "gamma", "MIL", "OKC", points=20, game_id="0022400311"),
        pg(day(-2), "gamma", "MIL", "OKC", points=60, game_id="0062400001"),  # the Cup final
    ]
    r = row(build(players=history, games=[game(D, "MIL", "NYK")]), "gamma")
    assert r["pts_season"] == pytest.approx(15.0) and r["games_played_season"] == 2
    assert r["pts_l3"] == pytest.approx(30.0) and r["games_last_7d"] == 3
    playoffs = [pg(day(-2), "gamma", "MIL", "OKC", points=60, game_id=f"00{digit}2400101") for digit in "45"]
    for game_row in playoffs:
        r = row(build(players=[*history[:2], game_row], games=[game(D, "MIL", "NYK")]), "gamma")
        assert (r["pts_season"], r["games_played_season"]) == (pytest.approx(15.0), 2), game_row["game_id"]


def test_windows_keep_only_the_last_n_played_games():
    history = [pg(day(-30 + 2 * i), "beta", "BOS", "NYK", points=i) for i in range(12)]  # 0..11 points
    history.insert(0, pg(day(-31), "beta", "BOS", "NYK", dnp=True, points=0))
    r = row(build(players=history, games=SLATE), "beta")
    assert r["pts_l3"] == pytest.approx(10.0)  # 9, 10, 11
    assert r["pts_l5"] == pytest.approx(9.0)  # 7..11
    assert r["pts_l10"] == pytest.approx(6.5)  # 2..11
    assert r["pts_season"] == pytest.approx(5.5)  # 0..11
    assert r["pts_std_l10"] == pytest.approx(float(np.std(range(2, 12), ddof=1)))
    assert r["pts_trend_l10"] == pytest.approx(1.0)
    assert r["dnp_rate_l10"] == pytest.approx(0.0)  # the DNP is 13 listed rows ago: out of the window
    assert r["games_played_season"] == 12


def test_minutes_change_is_l5_minus_l10():
    minutes = [20.0] * 5 + [30.0] * 5  # oldest first: the last 5 are 30s
    history = [pg(day(-20 + 2 * i), "gamma", "BOS", "NYK", minutes=m) for i, m in enumerate(minutes)]
    r = row(build(players=history, games=SLATE), "gamma")
    assert (r["min_l5"], r["min_l10"], r["min_change"]) == pytest.approx((30.0, 25.0, 5.0))


def test_declining_scorer_has_negative_trend_and_single_game_has_no_std_or_trend():
    history = [pg(day(-9 + 2 * i), "delta", "BOS", "NYK", points=p) for i, p in enumerate([30, 24, 18])]
    history.append(pg(day(-3), "eps", "BOS", "NYK", points=12))
    out = build(players=history, games=SLATE)
    assert row(out, "delta")["pts_trend_l10"] == pytest.approx(-6.0)
    single = row(out, "eps")
    assert single["pts_l10"] == pytest.approx(12.0)
    assert single["pts_std_l10"] is None and single["pts_trend_l10"] is None


def test_rest_days_back_to_back_and_last_7_days_load():
    out = build(players=ALPHA + [pg(day(-3), "rested", "BOS", "MIA", minutes=25.0),
                                 pg(day(-9), "rested", "BOS", "MIA", minutes=40.0)], games=SLATE)  # fmt: skip
    a = row(out, "alpha")
    assert (a["days_rest"], a["back_to_back"]) == (0, True)
    # [D-7, D-1] holds the games of D-6, D-4, D-1 (the D-8 DNP and D-10 game are older).
    assert (a["games_last_7d"], a["minutes_last_7d"]) == (3, pytest.approx(100.0))
    r = row(out, "rested")
    assert (r["days_rest"], r["back_to_back"]) == (2, False)
    assert (r["games_last_7d"], r["minutes_last_7d"]) == (1, pytest.approx(25.0))


def test_game_exactly_7_days_before_counts_and_8_days_does_not():
    out = build(players=[pg(day(-7), "p7", "BOS", "MIA"), pg(day(-8), "p8", "BOS", "MIA")], games=SLATE)
    assert row(out, "p7")["games_last_7d"] == 1
    assert row(out, "p8")["games_last_7d"] == 0


def test_first_game_of_a_season_has_null_windows_and_low_quality():
    """Last season's games never enter this season's windows; the row still exists, flagged."""
    last_season = [pg(day(-10 + i), "newseason", "BOS", "NYK", points=30, season=SEASON - 1) for i in range(10)]
    out = build(players=last_season + ALPHA, games=SLATE,
                teams=[tg(day(-5), "NYK", "MIA", season=SEASON - 1)])  # fmt: skip
    r = row(out, "newseason")
    for col in ("pts_l3", "pts_l5", "pts_l10", "pts_season", "pts_std_l10", "pts_trend_l10", "min_l5",
                "min_l10", "usage_proxy_l10", "ft_share_l10", "dnp_rate_l10", "days_rest",
                "opp_pts_allowed_l10", "opp_def_rating_l10", "opp_pace_l10"):  # fmt: skip
        assert r[col] is None, col
    assert r["games_played_season"] == 0 and r["back_to_back"] is False
    assert r["feature_quality_score"] == 0.0
    assert r["data_as_of"] == day(-1)
    assert r["games_last_7d"] == 7  # fatigue is physical: it does not reset with the season
    assert r["feature_quality_score"] < row(out, "alpha")["feature_quality_score"]


def test_dnp_only_this_season_gives_null_averages_and_full_dnp_rate():
    history = [pg(day(-5), "bench", "BOS", "NYK", dnp=True), pg(day(-3), "bench", "BOS", "MIA", dnp=True)]
    r = row(build(players=history, games=SLATE), "bench")
    assert r["pts_l10"] is None and r["pts_season"] is None and r["days_rest"] is None
    assert r["dnp_rate_l10"] == pytest.approx(1.0)
    assert r["games_played_season"] == 0 and r["minutes_last_7d"] == 0.0


def test_season_to_date_is_bounded_to_the_history_window():
    """A range run passes more history than a daily run; season-to-date must not see past D-190."""
    old = pg(day(-HISTORY_DAYS - 1), "long", "BOS", "NYK", points=90)
    recent = [pg(day(-4), "long", "BOS", "NYK", points=10), pg(day(-2), "long", "BOS", "NYK", points=20)]
    r = row(build(players=[old, *recent], games=SLATE), "long")
    assert r["pts_season"] == pytest.approx(15.0) and r["games_played_season"] == 2
    edge = pg(day(-HISTORY_DAYS), "edge", "BOS", "NYK", points=90)  # inside the window: counted
    r = row(build(players=[edge, pg(day(-2), "edge", "BOS", "NYK", points=30)], games=SLATE), "edge")
    assert r["pts_season"] == pytest.approx(60.0) and r["games_played_season"] == 2


# ------------------------------------------------------------------------------------------- slate
def test_slate_is_the_roster_as_known_before_d():
    players = [
        pg(day(-3), "onbos", "BOS", "MIA"),
        pg(day(-3), "onnyk", "NYK", "ORL", home=False),
        pg(day(-3), "onmia", "MIA", "BOS", home=False),  # MIA does not play on D
        pg(day(-31), "stale", "BOS", "MIA"),  # last seen 31 days ago: dropped
        pg(day(-30), "edge30", "BOS", "MIA"),  # exactly 30 days: kept
        pg(day(0), "debut", "BOS", "NYK"),  # first listed ON D: not known before D
    ]
    out = build(players=players, games=SLATE)
    assert set(out["player_lookup"]) == {"onbos", "onnyk", "edge30"}
    nyk = row(out, "onnyk")
    assert (nyk["team"], nyk["opponent"], nyk["home"]) == ("NYK", "BOS", False)


def test_traded_player_appears_on_his_new_teams_slate_only():
    players = [
        pg(day(-10), "traded", "MIA", "ORL", points=30),
        pg(day(-8), "traded", "MIA", "ORL", points=30),
        pg(day(-2), "traded", "NYK", "ORL", points=10),  # first game for his new team
    ]
    games = [game(D, "BOS", "NYK"), game(D, "MIA", "ORL")]
    r = row(build(players=players, games=games), "traded")
    assert (r["team"], r["opponent"]) == ("NYK", "BOS")
    # His form is his own, whichever team he played for.
    assert r["pts_l3"] == pytest.approx(70 / 3) and r["games_played_season"] == 3


def test_multi_date_call_and_off_day():
    players = [pg(day(-3), "a", "BOS", "MIA", points=10), pg(day(1), "a", "BOS", "NYK", points=20)]
    games = [game(D, "BOS", "NYK"), game(day(2), "BOS", "ORL")]
    out = build(players=players, games=games, dates=[D, day(1), day(2)])
    assert out["game_date"].to_list() == [D, day(2)]  # day(1) has no slate: no rows
    assert row(out, "a", D)["pts_l10"] == pytest.approx(10.0)
    later = row(out, "a", day(2))
    assert later["pts_l10"] == pytest.approx(15.0) and later["data_as_of"] == day(1)
    assert later["opponent"] == "ORL" and later["back_to_back"] is True


def test_no_dates_or_no_history_gives_a_typed_empty_frame():
    assert build(players=ALPHA, games=SLATE, dates=[]).height == 0
    assert build(games=SLATE).height == 0


def test_team_listed_in_two_games_on_one_day_gives_one_row():
    games = [game(D, "BOS", "NYK"), game(D, "BOS", "MIA", tipoff=tip(D, 2))]
    r = row(build(players=[pg(day(-2), "solo", "BOS", "ORL")], games=games), "solo")
    assert r["opponent"] == "NYK"  # the earlier tip-off


# ------------------------------------------------------------------------------------ team context
def test_opponent_and_pace_use_last_10_games_before_d_of_this_season():
    teams = (
        [tg(day(-40 + 2 * i), "NYK", "MIA", pts_against=80, def_rating=90.0, pace=90.0) for i in range(5)]
        + [tg(day(-25 + 2 * i), "NYK", "ORL", pts_against=120, def_rating=120.0, pace=110.0) for i in range(10)]
        + [tg(day(0), "NYK", "BOS", pts_against=200, def_rating=200.0, pace=150.0)]  # on D: ignored
        + [tg(day(-2), "BOS", "ORL", pace=96.0), tg(day(-4), "BOS", "ORL", pace=100.0)]
    )
    r = row(build(players=ALPHA, teams=teams, games=SLATE), "alpha")
    assert r["opp_pts_allowed_l10"] == pytest.approx(120.0)
    assert r["opp_def_rating_l10"] == pytest.approx(120.0)
    assert r["opp_pace_l10"] == pytest.approx(110.0)
    assert r["team_pace_l10"] == pytest.approx(98.0)


def test_short_opponent_history_is_a_mean_of_what_exists_and_lowers_quality():
    full = [tg(day(-30 + 2 * i), "NYK", "ORL", pts_against=100 + i) for i in range(10)]
    short = [tg(day(-4), "NYK", "ORL", pts_against=100), tg(day(-2), "NYK", "ORL", pts_against=110)]
    with_full = row(build(players=ALPHA, teams=full, games=SLATE), "alpha")
    with_short = row(build(players=ALPHA, teams=short, games=SLATE), "alpha")
    assert with_short["opp_pts_allowed_l10"] == pytest.approx(105.0)
    assert with_short["feature_quality_score"] < with_full["feature_quality_score"]


# --------------------------------------------------------------------------------------- injuries
def test_out_teammates_count_with_their_scoring_and_the_player_himself_is_not_counted():
    players = ALPHA + [
        pg(day(-3), "star", "BOS", "MIA", points=30),
        pg(day(-5), "star", "BOS", "MIA", points=20),
        pg(day(-3), "nykguy", "NYK", "MIA", points=15),
    ]
    injuries = [
        inj(D, "star", "BOS", "Out"),
        inj(D, "alpha", "BOS", "Day-To-Day"),
        inj(D, "nykguy", "NYK", "OUT"),  # the other team's absence is not a teammate
        inj(D, "longterm", "BOS", "Out"),  # out all season: counts, no scoring to add
    ]
    out = build(players=players, games=SLATE, injuries=injuries)
    a = row(out, "alpha")
    assert (a["teammates_out"], a["teammates_out_pts_l10"]) == (2, pytest.approx(25.0))
    star = row(out, "star")  # reported Out: his row still exists, his own absence is not counted
    assert (star["teammates_out"], star["teammates_out_pts_l10"]) == (1, pytest.approx(0.0))
    assert row(out, "nykguy")["teammates_out"] == 0


def test_only_the_latest_report_before_tipoff_counts():
    players = ALPHA + [pg(day(-3), "star", "BOS", "MIA", points=30), pg(day(-3), "late", "BOS", "MIA")]
    injuries = [
        inj(D, "star", "BOS", "Out", report_ts=tip(D) - dt.timedelta(hours=6)),
        inj(D, "star", "BOS", "Available", report_ts=tip(D) - dt.timedelta(hours=1)),  # upgraded: plays
        inj(D, "late", "BOS", "Out", report_ts=tip(D) + dt.timedelta(minutes=5)),  # after tip-off: unknown
    ]
    a = row(build(players=players, games=SLATE, injuries=injuries), "alpha")
    assert (a["teammates_out"], a["teammates_out_pts_l10"]) == (0, 0.0)


def test_unknown_tipoff_uses_reports_before_noon_et():
    games = [game(D, "BOS", "NYK", tipoff=None)]
    players = ALPHA + [pg(day(-3), "early", "BOS", "MIA"), pg(day(-3), "noon", "BOS", "MIA")]
    injuries = [
        inj(D, "early", "BOS", report_ts=dt.datetime(D.year, D.month, D.day, 16, 59, tzinfo=UTC)),  # 11:59 ET
        inj(D, "noon", "BOS", report_ts=dt.datetime(D.year, D.month, D.day, 17, 0, tzinfo=UTC)),  # 12:00 ET
    ]
    assert row(build(players=players, games=games, injuries=injuries), "alpha")["teammates_out"] == 1


# ------------------------------------------------------------------------------------------ lines
def test_consensus_is_the_median_of_each_books_latest_pre_tip_line():
    props = [
        prop(D, "BOS", "NYK", "alpha", "fanduel", 22.5, 600),
        prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 60),  # fanduel's latest
        prop(D, "BOS", "NYK", "alpha", "draftkings", 23.5, 300),
        prop(D, "BOS", "NYK", "alpha", "draftkings", 25.5, 30),  # draftkings' latest
        prop(D, "BOS", "NYK", "alpha", "betmgm", 26.5, 120),
    ]
    r = row(build(players=ALPHA, games=SLATE, props=props), "alpha")
    assert r["consensus_line"] == pytest.approx(25.5)  # median(24.5, 25.5, 26.5)
    assert r["n_books"] == 3
    assert r["line_minus_l10"] == pytest.approx(0.5)  # 25.5 - 25
    assert r["line_movement"] == pytest.approx(25.5 - 23.5)  # openings: 22.5, 23.5, 26.5


def test_in_game_snapshots_never_reach_the_consensus():
    pre = [prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 60), prop(D, "BOS", "NYK", "alpha", "draftkings", 25.5, 30)]
    wild = [
        prop(D, "BOS", "NYK", "alpha", "fanduel", 60.5, -45),  # in-game: the book has seen him score
        prop(D, "BOS", "NYK", "alpha", "caesars", 70.5, -10),  # a book with only in-game snapshots
        prop(D, "BOS", "NYK", "alpha", "draftkings", 65.5, 0),  # at tip-off is not before tip-off
    ]
    base = row(build(players=ALPHA, games=SLATE, props=pre), "alpha")
    leaked = row(build(players=ALPHA, games=SLATE, props=pre + wild), "alpha")
    assert base["consensus_line"] == pytest.approx(25.0)
    for col in ("consensus_line", "n_books", "line_movement", "line_minus_l10", "feature_quality_score"):
        assert leaked[col] == base[col], col


def test_in_game_snapshots_are_excluded_when_the_slate_tipoff_is_unknown():
    games = [game(D, "BOS", "NYK", tipoff=None)]
    props = [prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 60), prop(D, "BOS", "NYK", "alpha", "fanduel", 60.5, -45),
             prop(D, "BOS", "NYK", "alpha", "caesars", 70.5, -10)]  # fmt: skip
    r = row(build(players=ALPHA, games=games, props=props), "alpha")
    assert (r["consensus_line"], r["n_books"]) == (24.5, 1)


def test_either_in_game_signal_excludes_a_snapshot():
    """minutes_before_tip and snapshot_ts vs commence_time are both guards: a record where the two
    disagree (a raw-layer bug, a re-timed event) is treated as in-game."""
    games = [game(D, "BOS", "NYK", tipoff=None)]
    ok = prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 60)
    says_in_game = {**prop(D, "BOS", "NYK", "alpha", "betmgm", 60.5, 30), "minutes_before_tip": -30.0}
    after_commence = {**prop(D, "BOS", "NYK", "alpha", "caesars", 70.5, -30), "minutes_before_tip": 30.0}
    r = row(build(players=ALPHA, games=games, props=[ok, says_in_game, after_commence]), "alpha")
    assert (r["consensus_line"], r["n_books"]) == (24.5, 1)


def test_snapshot_after_the_slate_tipoff_is_excluded_even_if_the_feed_says_pre_tip():
    """The Odds API commence_time can lag a moved-up tip-off: the slate's tip-off also bounds snapshots."""
    feed_commence = tip(D) + dt.timedelta(hours=1)
    props = [
        prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 120, commence=feed_commence),
        prop(D, "BOS", "NYK", "alpha", "fanduel", 55.5, 30, commence=feed_commence),  # after the real tip
    ]
    assert row(build(players=ALPHA, games=SLATE, props=props), "alpha")["consensus_line"] == pytest.approx(24.5)


def test_no_line_gives_null_market_features_zero_books_and_a_quality_penalty():
    props = [prop(D, "BOS", "NYK", "alpha", "fanduel", 24.5, 60),
             prop(D, "MIA", "ORL", "alpha", "fanduel", 30.5, 60)]  # fmt: skip
    with_line = row(build(players=ALPHA, games=SLATE, props=props[:1]), "alpha")
    other_game_only = row(build(players=ALPHA, games=SLATE, props=props[1:]), "alpha")
    assert other_game_only["consensus_line"] is None and other_game_only["n_books"] == 0
    assert other_game_only["line_minus_l10"] is None and other_game_only["line_movement"] is None
    assert with_line["feature_quality_score"] - other_game_only["feature_quality_score"] == pytest.approx(15.0)


# ----------------------------------------------------------------------------------------- quality
def test_quality_score_formula():
    full = [pg(day(-30 + 2 * i), "full", "BOS", "ORL") for i in range(10)]
    teams = [tg(day(-30 + 2 * i), "NYK", "ORL") for i in range(10)]
    props = [prop(D, "BOS", "NYK", "full", "fanduel", 10.5, 60)]
    out = build(players=full + ALPHA, teams=teams, games=SLATE, props=props)
    assert row(out, "full")["feature_quality_score"] == 100.0
    # alpha: 4 played games -> mean(3/3, 4/5, 4/10) = 0.7333; full opponent history; no line.
    expected = round(100 * (0.7 * (1 + 0.8 + 0.4) / 3 + 0.15 * 1 + 0.15 * 0), 1)
    assert row(out, "alpha")["feature_quality_score"] == pytest.approx(expected)


# ------------------------------------------------------------------------------- synthetic league
TEAMS6 = ["BOS", "NYK", "MIA", "ORL", "CHI", "DET"]


def synthetic_league(start: dt.date, n_days: int, *, seed: int = 7, teams: list[str] = TEAMS6,
                     roster: int = 10) -> dict[str, pl.DataFrame]:  # fmt: skip
    """A small deterministic league: schedule, boxscores with DNPs, one trade, injuries and props
    (with in-game snapshots). Every table is contract-typed; team summaries come from the real builder."""
    rng = np.random.default_rng(seed)
    players = {t: [f"{t.lower()}p{i}" for i in range(roster)] for t in teams}
    skill = {p: float(rng.uniform(4, 28)) for ps in players.values() for p in ps}
    player_rows, games, injuries, props = [], [], [], []
    for k in range(n_days):
        date = start + dt.timedelta(days=k)
        if k == n_days // 2:  # mid-way trade
            a, b = players[teams[0]].pop(0), players[teams[1]].pop(0)
            players[teams[0]].append(b)
            players[teams[1]].append(a)
        order = list(rng.permutation(teams)) if rng.random() > 0.15 else []  # some off-days
        for home, away in zip(order[0::2], order[1::2], strict=True):
            games.append(game(date, home, away, status=3))
            for team, opp in ((home, away), (away, home)):
                for p in players[team]:
                    if rng.random() < 0.12:
                        player_rows.append(pg(date, p, team, opp, home=team == home, dnp=True, points=0))
                        continue
                    pts = int(max(0, rng.normal(skill[p], 5)))
                    ftm = min(pts, int(rng.integers(0, 6)))
                    if (pts - ftm) % 2 and pts - ftm < 3:
                        ftm = pts
                    player_rows.append(pg(date, p, team, opp, home=team == home, points=pts, ftm=ftm,
                                          fta=ftm + 1, fga=pts // 2 + 5, tov=int(rng.integers(0, 4)),
                                          minutes=float(np.round(rng.uniform(8, 40), 2))))  # fmt: skip
                    if rng.random() < 0.05:
                        injuries.append(inj(date, p, team, "Out"))
                    for book in ("fanduel", "draftkings", "betmgm")[: int(rng.integers(0, 4))]:
                        base = round(skill[p]) + 0.5
                        for mbt in (600, 90, -30):  # -30: an in-game snapshot with a wild line
                            line = base + 30 if mbt < 0 else base + float(rng.integers(-1, 2))
                            props.append(prop(date, home, away, p, book, line, mbt))
    pgs = frame(player_rows, tables.PLAYER_GAME_SUMMARY.label)
    return {
        "player_games": pgs,
        "team_games": build_team_game_summary(pgs),
        "slate": frame(games, tables.GAMES.label),
        "injuries": frame(injuries, tables.INJURIES.label),
        "prop_lines": frame(props, tables.PROP_LINES.label),
    }


def test_synthetic_league_features_are_valid_and_in_game_lines_never_used():
    league = synthetic_league(dt.date(2024, 12, 1), 40)
    dates = [dt.date(2024, 12, 1) + dt.timedelta(days=k) for k in range(40)]
    out = valid(build_player_features(**league, target_dates=dates))
    assert out.height > 500
    assert (out["data_as_of"] < out["game_date"]).all()
    # The wild in-game line is base + 30: the consensus stays within a point of the pre-tip lines.
    pre_max = league["prop_lines"].filter(pl.col("minutes_before_tip") > 0)["line"].max()
    assert out["consensus_line"].max() <= pre_max
    assert out.filter(pl.col("n_books") > 0).height > 100
    assert out["teammates_out"].sum() > 0
    assert out.filter(pl.col("feature_quality_score") == 100).height > 0


def test_roster_fallbacks_cover_first_games_and_returning_players_with_capped_quality():
    players = [
        pg(day(-3), "onbos", "BOS", "MIA"),
        pg(day(-200), "lastseason", "BOS", "MIA", season=SEASON - 1),  # team's first game: priced on D
        pg(day(-45), "returning", "NYK", "ORL"),  # back from 45 days out: on D's injury report
        pg(day(-45), "moved", "MIA", "ORL"),  # priced on D, but his last team plays neither side
        pg(day(-45), "unpriced", "BOS", "MIA"),  # old, neither priced nor reported: still no row
    ]
    props = [prop(D, "BOS", "NYK", p, "dk", 12.5, 60) for p in ("lastseason", "moved")]
    injuries = [
        inj(D, "returning", "NYK", "Questionable"),
        inj(D, "afterTip".lower(), "BOS", "Probable", report_ts=tip(D) + dt.timedelta(minutes=5)),
    ]
    out = build(players=players, games=SLATE, props=props, injuries=injuries)
    assert set(out["player_lookup"]) == {"onbos", "lastseason", "returning"}
    assert row(out, "onbos")["roster_source"] == "recent_games"
    last = row(out, "lastseason")
    assert (last["roster_source"], last["team"], last["games_played_season"]) == ("prop_lines", "BOS", 0)
    back = row(out, "returning")
    assert (back["roster_source"], back["team"], back["data_as_of"]) == ("injury_report", "NYK", day(-45))
    for r in (last, back):
        assert r["feature_quality_score"] <= FALLBACK_MAX_QUALITY
    # a report published after tip-off puts no one on the slate (point in time)
    assert "aftertip" not in set(out["player_lookup"])


def test_fallback_rows_use_only_data_before_d():
    players = [pg(day(-45), "returning", "NYK", "ORL"), pg(day(0), "returning", "NYK", "BOS", points=50)]
    out = build(players=players, games=SLATE, injuries=[inj(D, "returning", "NYK", "Questionable")])
    r = row(out, "returning")
    assert r["data_as_of"] == day(-45) and r["pts_l10"] == 10.0
