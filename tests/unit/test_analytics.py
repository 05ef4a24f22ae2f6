"""Unit tests for the analytics transforms: hand-made frames with known answers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import (
    BoxscoreContract,
    GamesContract,
    PlayerGameSummaryContract,
    ScheduleContract,
    TeamGameSummaryContract,
)
from nba_assets.logic.analytics import (
    build_player_game_summary,
    build_team_game_summary,
    reconcile_games,
)
from resources.teams import UnknownTeamError, canonical_tricode

D1, D2, D3 = dt.date(2025, 1, 10), dt.date(2025, 1, 11), dt.date(2025, 1, 12)


# ----------------------------------------------------------------------------------------- builders
def sched(date, game_id, home, away, status=3, home_score=None, away_score=None, landing="s.json") -> dict:
    return {
        "game_date": date, "game_id": game_id, "season_year": 2024, "season_type": "regular",
        "nbacom_game_code": None, "home_team": home, "away_team": away, "home_team_id": 1,
        "away_team_id": 2, "tipoff_utc": dt.datetime(date.year, date.month, date.day, 23, 30, tzinfo=dt.UTC),
        "status": status, "postponed": False, "home_score": home_score, "away_score": away_score, "landing_file": landing,
    }  # fmt: skip


def box(date, game_id, home, away, team, name, pid, *, fgm=0, fg3m=0, ftm=0, minutes=20.0, dnp=False,
        fga=None, fta=None, oreb=0, tov=0) -> dict:  # fmt: skip
    fga = fgm if fga is None else fga
    fta = ftm if fta is None else fta
    return {
        "game_date": date, "season_year": 2024, "source_game_id": game_id, "home_team": home,
        "away_team": away, "team": team, "player_id": pid, "player_name": name,
        "player_lookup": "".join(ch for ch in name.lower() if ch.isalnum()), "minutes": minutes, "dnp": dnp,
        "points": 2 * fgm + fg3m + ftm, "fgm": fgm, "fga": fga, "fg3m": fg3m, "fg3a": fg3m, "ftm": ftm,
        "fta": fta, "oreb": oreb, "dreb": 0, "reb": oreb, "ast": 0, "stl": 0, "blk": 0, "tov": tov, "pf": 0,
        "landing_file": "b.json",
    }  # fmt: skip


def frame(rows: list[dict], table: str) -> pl.DataFrame:
    """A raw frame in contract dtypes; fixtures are validated so they look like what raw really holds."""
    df = pl.DataFrame(rows, schema=tables.get(table).empty().schema) if rows else tables.get(table).empty()
    contract = ScheduleContract if table == tables.SCHEDULE.label else BoxscoreContract
    return contract.validate(df)


def two_team_box(date, game_id, home, away, *, home_pts=(10, 5), away_pts=(8, 4), pid0=1) -> list[dict]:
    """Two players a side; points made of free throws only so any total is easy to hit (missed shots
    keep possessions, hence ratings, in a realistic range)."""
    rows = []
    for i, pts in enumerate(home_pts):
        name = f"Home{canonical_tricode(home)}{i}"  # one name in both sources, whatever code they use
        rows.append(box(date, game_id, home, away, home, name, pid0 + i, ftm=pts, fga=20, minutes=48.0))
    for i, pts in enumerate(away_pts):
        name = f"Away{canonical_tricode(away)}{i}"
        rows.append(box(date, game_id, home, away, away, name, pid0 + 10 + i, ftm=pts, fga=20, minutes=48.0))
    return rows


def no_schedule() -> pl.DataFrame:
    return frame([], tables.SCHEDULE.label)


def no_bdl() -> pl.DataFrame:
    return frame([], tables.BDL_BOXSCORES.label)


def no_nba() -> pl.DataFrame:
    return frame([], tables.NBACOM_BOXSCORES.label)


def games_valid(df: pl.DataFrame) -> pl.DataFrame:
    GamesContract.validate(df)
    assert df.select(list(tables.GAMES.business_key)).is_duplicated().sum() == 0
    return df


def players_valid(df: pl.DataFrame) -> pl.DataFrame:
    PlayerGameSummaryContract.validate(df)
    assert df.select(list(tables.PLAYER_GAME_SUMMARY.business_key)).is_duplicated().sum() == 0
    return df


def teams_valid(df: pl.DataFrame) -> pl.DataFrame:
    TeamGameSummaryContract.validate(df)
    assert df.select(list(tables.TEAM_GAME_SUMMARY.business_key)).is_duplicated().sum() == 0
    return df


def one(df: pl.DataFrame, **eq) -> dict:
    rows = df.filter(*[pl.col(k) == v for k, v in eq.items()])
    assert rows.height == 1, rows
    return rows.row(0, named=True)


# ------------------------------------------------------------------------------------------- games
def test_pho_code_is_mapped_to_phx_and_matched_to_schedule():
    schedule = frame([sched(D1, "0022400500", "PHX", "LAL", home_score=15, away_score=12)], tables.SCHEDULE.label)
    bdl = frame(two_team_box(D1, "15001", "PHO", "LAL", pid0=100), tables.BDL_BOXSCORES.label)
    nba = frame(two_team_box(D1, "0022400500", "PHX", "LAL"), tables.NBACOM_BOXSCORES.label)

    games = games_valid(reconcile_games(schedule, bdl, nba))

    assert games.height == 1
    g = games.row(0, named=True)
    assert (g["game_id"], g["home_team"], g["bdl_game_id"]) == ("0022400500", "PHX", "15001")
    assert g["game_code"] == "20250110_LAL_PHX"
    assert g["in_schedule"] and g["has_bdl_boxscore"] and g["has_nbacom_boxscore"]
    assert g["reconciliation_flag"] == "ok"

    players = players_valid(build_player_game_summary(games, bdl, nba, primary="bdl"))
    assert set(players["team"]) == {"PHX", "LAL"}
    assert one(players, player_lookup="awaylal0")["opponent"] == "PHX"


def test_unmappable_team_code_is_an_error_naming_the_game():
    schedule = no_schedule()
    bdl = frame([box(D1, "15001", "XYZ", "LAL", "XYZ", "Some One", 1)], tables.BDL_BOXSCORES.label)
    with pytest.raises(UnknownTeamError, match=r"bdl: game 15001 on 2025-01-10 .*'XYZ'"):
        reconcile_games(schedule, bdl, no_nba())


def test_player_on_a_team_not_in_the_game_is_an_error():
    rows = two_team_box(D1, "0022400500", "BOS", "NYK")
    rows.append(box(D1, "0022400500", "BOS", "NYK", "MIA", "Stray Guy", 99))
    with pytest.raises(ValueError, match="0022400500 .*MIA"):
        reconcile_games(no_schedule(), no_bdl(), frame(rows, tables.NBACOM_BOXSCORES.label))


def test_boxscore_game_missing_from_schedule_is_kept_flagged_and_uses_fallback_source():
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", home_score=15, away_score=12)], tables.SCHEDULE.label)
    bdl = frame(
        two_team_box(D1, "15001", "BOS", "NYK") + two_team_box(D1, "15002", "MIA", "ORL", home_pts=(7, 7)),
        tables.BDL_BOXSCORES.label,
    )
    nba = frame(
        two_team_box(D1, "0022400500", "BOS", "NYK") + two_team_box(D1, "0022400777", "DEN", "UTA"),
        tables.NBACOM_BOXSCORES.label,
    )

    games = games_valid(reconcile_games(schedule, bdl, nba))

    bdl_only = one(games, home_team="MIA")
    assert bdl_only["game_id"] == "20250110_ORL_MIA"  # no NBA.com id anywhere: the readable code
    assert bdl_only["bdl_game_id"] == "15002"
    assert bdl_only["reconciliation_flag"] == "missing_from_schedule"
    assert not bdl_only["in_schedule"] and bdl_only["status"] is None
    assert (bdl_only["home_score"], bdl_only["away_score"]) == (14, 12)  # summed from BDL, the only source
    nba_only = one(games, home_team="DEN")
    assert nba_only["game_id"] == "0022400777" and nba_only["bdl_game_id"] is None
    assert nba_only["reconciliation_flag"] == "missing_from_schedule"
    assert one(games, home_team="BOS")["reconciliation_flag"] == "ok"

    players = players_valid(build_player_game_summary(games, bdl, nba))
    assert set(players.filter(pl.col("game_id") == "20250110_ORL_MIA")["source_used"]) == {"bdl"}
    assert set(players.filter(pl.col("game_id") == "0022400500")["source_used"]) == {"nbacom"}
    assert players.filter(pl.col("game_id") == "0022400777").height == 4


def test_final_game_without_any_boxscore_is_flagged_and_unplayed_game_is_ok():
    schedule = frame(
        [
            sched(D1, "0022400500", "BOS", "NYK", home_score=110, away_score=100),
            sched(D1, "0022400501", "MIA", "ORL", status=1),
        ],
        tables.SCHEDULE.label,
    )
    games = games_valid(reconcile_games(schedule, no_bdl(), no_nba()))

    final = one(games, game_id="0022400500")
    assert final["reconciliation_flag"] == "missing_boxscore"
    assert (final["home_score"], final["away_score"]) == (110, 100)
    upcoming = one(games, game_id="0022400501")
    assert upcoming["reconciliation_flag"] == "ok" and upcoming["home_score"] is None


def test_score_mismatch_between_schedule_and_boxscore_is_flagged():
    schedule = frame(
        [
            sched(D1, "0022400500", "BOS", "NYK", home_score=15, away_score=12),  # box: 15-12
            sched(D1, "0022400501", "MIA", "ORL", home_score=99, away_score=12),  # box: 15-12
        ],
        tables.SCHEDULE.label,
    )
    nba = frame(
        two_team_box(D1, "0022400500", "BOS", "NYK") + two_team_box(D1, "0022400501", "MIA", "ORL"),
        tables.NBACOM_BOXSCORES.label,
    )
    games = games_valid(reconcile_games(schedule, no_bdl(), nba))

    assert one(games, game_id="0022400500")["reconciliation_flag"] == "ok"
    bad = one(games, game_id="0022400501")
    assert bad["reconciliation_flag"] == "score_mismatch"
    assert bad["home_score"] == 99  # the schedule's final score is the official one


def test_live_game_score_comes_from_primary_boxscore_source():
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", status=2)], tables.SCHEDULE.label)
    bdl_rows = two_team_box(D1, "15001", "BOS", "NYK", home_pts=(1, 1), away_pts=(1, 0))
    bdl = frame(bdl_rows, tables.BDL_BOXSCORES.label)
    nba = frame(two_team_box(D1, "0022400500", "BOS", "NYK", home_pts=(3, 3), away_pts=(2, 2)),
                tables.NBACOM_BOXSCORES.label)  # fmt: skip

    g = reconcile_games(schedule, bdl, nba).row(0, named=True)
    assert (g["home_score"], g["away_score"], g["reconciliation_flag"]) == (6, 4, "ok")
    g = reconcile_games(schedule, bdl, nba, primary="bdl").row(0, named=True)
    assert (g["home_score"], g["away_score"]) == (2, 1)
    g = reconcile_games(schedule, bdl, no_nba()).row(0, named=True)
    assert (g["home_score"], g["away_score"]) == (2, 1)  # primary lacks the game: fall back


def test_rescheduled_game_id_on_two_dates_gives_one_game_matched_on_its_real_date():
    # The game was postponed from D1 to D3; both schedule snapshots are in the frame of a range run.
    schedule = frame(
        [
            sched(D1, "0022400500", "BOS", "NYK", status=1),
            sched(D3, "0022400500", "BOS", "NYK", home_score=15, away_score=12),
            sched(D1, "0022400501", "MIA", "ORL", home_score=15, away_score=12),
        ],
        tables.SCHEDULE.label,
    )
    bdl = frame(two_team_box(D3, "15009", "BOS", "NYK") + two_team_box(D1, "15001", "MIA", "ORL", pid0=50),
                tables.BDL_BOXSCORES.label)  # fmt: skip
    nba = frame(
        two_team_box(D3, "0022400500", "BOS", "NYK") + two_team_box(D1, "0022400501", "MIA", "ORL", pid0=50),
        tables.NBACOM_BOXSCORES.label,
    )

    games = games_valid(reconcile_games(schedule, bdl, nba))

    assert games.height == 2
    moved = one(games, game_id="0022400500")
    assert moved["game_date"] == D3 and moved["bdl_game_id"] == "15009"
    assert moved["reconciliation_flag"] == "ok" and moved["status"] == 3
    players = players_valid(build_player_game_summary(games, bdl, nba))
    assert set(players.filter(pl.col("game_id") == "0022400500")["game_date"]) == {D3}
    assert players.height == 8


def test_rescheduled_game_without_boxscores_keeps_latest_date():
    schedule = frame(
        [sched(D1, "0022400500", "BOS", "NYK", status=1), sched(D2, "0022400500", "BOS", "NYK", status=1)],
        tables.SCHEDULE.label,
    )
    games = games_valid(reconcile_games(schedule, no_bdl(), no_nba()))
    assert games.select("game_id", "game_date").rows() == [("0022400500", D2)]


def test_reused_id_with_boxscores_on_both_dates_keeps_both_games():
    # Schedule knows the id on D1 only; NBA.com's box for D2 carries the same id. A boxscore game is
    # never dropped: the one that loses the id is kept under its game_code.
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", home_score=15, away_score=12)], tables.SCHEDULE.label)
    nba = frame(
        two_team_box(D1, "0022400500", "BOS", "NYK") + two_team_box(D2, "0022400500", "BOS", "NYK"),
        tables.NBACOM_BOXSCORES.label,
    )
    games = games_valid(reconcile_games(schedule, no_bdl(), nba))
    assert games.select("game_date", "game_id", "reconciliation_flag").rows() == [
        (D1, "0022400500", "ok"),
        (D2, "20250111_NYK_BOS", "missing_from_schedule"),
    ]


def test_duplicate_schedule_rows_collapse_to_the_most_advanced_status():
    schedule = frame(
        [
            sched(D1, "0022400500", "BOS", "NYK", status=1, landing="a.json"),
            sched(D1, "0022400500", "BOS", "NYK", home_score=15, away_score=12, landing="b.json"),
        ],
        tables.SCHEDULE.label,
    )
    nba = frame(two_team_box(D1, "0022400500", "BOS", "NYK"), tables.NBACOM_BOXSCORES.label)
    games = games_valid(reconcile_games(schedule, no_bdl(), nba))
    assert games.select("status", "home_score", "reconciliation_flag").rows() == [(3, 15, "ok")]


def test_two_source_ids_for_one_matchup_is_an_error():
    bdl = frame(two_team_box(D1, "15001", "BOS", "NYK") + two_team_box(D1, "15002", "BOS", "NYK", pid0=50),
                tables.BDL_BOXSCORES.label)  # fmt: skip
    with pytest.raises(ValueError, match=r"bdl: NYK @ BOS on 2025-01-10 has several game ids"):
        reconcile_games(no_schedule(), bdl, no_nba())


def test_unknown_primary_source_is_rejected():
    e = no_bdl()
    with pytest.raises(ValueError, match="primary"):
        build_player_game_summary(tables.GAMES.empty(), e, e, primary="espn")


# -------------------------------------------------------------------------------- player summary
def _disagreement_game(primary: str):
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", status=2)], tables.SCHEDULE.label)
    nba = frame(
        [
            box(D1, "0022400500", "BOS", "NYK", "BOS", "Same Guy", 1, fgm=5, minutes=30.0),
            box(D1, "0022400500", "BOS", "NYK", "BOS", "Points Differ", 2, fgm=4, minutes=25.0),
            box(D1, "0022400500", "BOS", "NYK", "NYK", "Half Minute", 3, fgm=3, minutes=20.0),
            box(D1, "0022400500", "BOS", "NYK", "NYK", "Two Minutes", 4, fgm=2, minutes=18.0),
        ],
        tables.NBACOM_BOXSCORES.label,
    )
    bdl = frame(
        [
            box(D1, "15001", "BOS", "NYK", "BOS", "Same Guy", 101, fgm=5, minutes=30.0),
            box(D1, "15001", "BOS", "NYK", "BOS", "Points Differ", 102, fgm=4, ftm=1, minutes=25.0),
            box(D1, "15001", "BOS", "NYK", "NYK", "Half Minute", 103, fgm=3, minutes=20.5),
            box(D1, "15001", "BOS", "NYK", "NYK", "Two Minutes", 104, fgm=2, minutes=20.0),
            box(D1, "15001", "BOS", "NYK", "NYK", "Bench Guy", 105, minutes=0.0, dnp=True),
        ],
        tables.BDL_BOXSCORES.label,
    )
    games = games_valid(reconcile_games(schedule, bdl, nba))
    return players_valid(build_player_game_summary(games, bdl, nba, primary=primary))


def test_disagreement_flag_on_points_and_on_minutes_beyond_one():
    players = _disagreement_game("nbacom")

    flags = dict(players.select("player_lookup", "source_disagreement").rows())
    assert flags == {
        "sameguy": False,
        "pointsdiffer": True,
        "halfminute": False,  # 0.5 minutes apart: rounding noise
        "twominutes": True,  # 2 minutes apart
        "benchguy": False,  # only BDL lists him: nothing to disagree with
    }
    pd = one(players, player_lookup="pointsdiffer")
    assert (pd["source_used"], pd["points"], pd["alt_points"], pd["alt_minutes"]) == ("nbacom", 8, 9, 25.0)
    assert (pd["bdl_player_id"], pd["nbacom_player_id"]) == (102, 2)
    two = one(players, player_lookup="twominutes")
    assert (two["minutes"], two["alt_minutes"]) == (18.0, 20.0)


def test_primary_bdl_swaps_used_and_alternate_values():
    players = _disagreement_game("bdl")
    assert set(players["source_used"]) == {"bdl"}
    pd = one(players, player_lookup="pointsdiffer")
    assert (pd["points"], pd["alt_points"], pd["source_disagreement"]) == (9, 8, True)


def test_bdl_dnp_rows_are_added_when_primary_nbacom_lacks_them():
    players = _disagreement_game("nbacom")

    assert players.height == 5
    bench = one(players, player_lookup="benchguy")
    assert bench["dnp"] and bench["minutes"] == 0.0 and bench["points"] == 0
    assert bench["source_used"] == "bdl"
    assert (bench["bdl_player_id"], bench["nbacom_player_id"]) == (105, None)
    assert bench["alt_points"] is None and bench["alt_minutes"] is None
    assert (bench["team"], bench["opponent"], bench["home"]) == ("NYK", "BOS", False)
    assert set(players.filter(pl.col("player_lookup") != "benchguy")["source_used"]) == {"nbacom"}


def test_duplicated_raw_rows_do_not_double_a_player():
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", home_score=15, away_score=12)], tables.SCHEDULE.label)
    rows = two_team_box(D1, "0022400500", "BOS", "NYK")
    nba = pl.concat([frame(rows, tables.NBACOM_BOXSCORES.label), frame(rows[:1], tables.NBACOM_BOXSCORES.label)])
    games = games_valid(reconcile_games(schedule, no_bdl(), nba))
    players = players_valid(build_player_game_summary(games, no_bdl(), nba))
    assert players.height == 4


def test_boxscore_rows_of_games_not_in_games_produce_no_summary():
    nba = frame(two_team_box(D1, "0022400500", "BOS", "NYK"), tables.NBACOM_BOXSCORES.label)
    players = build_player_game_summary(tables.GAMES.empty(), no_bdl(), nba)
    assert players.height == 0


# ---------------------------------------------------------------------------------- team summary
def _team_box():
    # BOS: FGA 10, OREB 2, TOV 3, FTA 5 -> 10 - 2 + 3 + 2.2 = 13.2 possessions; 7+4 = 11 points; 50 min
    # NYK: FGA 8, OREB 1, TOV 2, FTA 0 -> 9.0 possessions; 6 points; 40 min
    return [
        box(D1, "0022400500", "BOS", "NYK", "BOS", "Bos A", 1, fgm=3, fg3m=1, fga=6, minutes=30.0, oreb=2,
            tov=1),
        box(D1, "0022400500", "BOS", "NYK", "BOS", "Bos B", 2, fgm=1, ftm=2, fga=4, fta=5, minutes=20.0,
            tov=2),
        box(D1, "0022400500", "BOS", "NYK", "NYK", "Nyk A", 3, fgm=3, fga=8, minutes=40.0, oreb=1, tov=2),
        box(D1, "0022400500", "BOS", "NYK", "NYK", "Nyk B", 4, minutes=0.0, dnp=True),
    ]


def _summaries(rows):
    schedule = frame([sched(D1, "0022400500", "BOS", "NYK", status=2)], tables.SCHEDULE.label)
    nba = frame(rows, tables.NBACOM_BOXSCORES.label)
    games = games_valid(reconcile_games(schedule, no_bdl(), nba))
    return players_valid(build_player_game_summary(games, no_bdl(), nba))


def test_team_summary_possessions_pace_and_ratings_by_hand():
    teams = teams_valid(build_team_game_summary(_summaries(_team_box())))

    assert teams["team"].to_list() == ["BOS", "NYK"]
    bos, nyk = one(teams, team="BOS"), one(teams, team="NYK")
    possessions = (13.2 + 9.0) / 2  # 11.1, the same for both sides
    assert [bos["possessions"], nyk["possessions"]] == pytest.approx([possessions, possessions])
    assert bos["pace"] == pytest.approx(possessions * 48 / (50 / 5))  # 53.28
    assert nyk["pace"] == pytest.approx(possessions * 48 / (40 / 5))  # 66.6
    assert (bos["points_for"], bos["points_against"], bos["win"], bos["home"]) == (11, 6, True, True)
    assert (nyk["points_for"], nyk["points_against"], nyk["win"], nyk["home"]) == (6, 11, False, False)
    assert bos["off_rating"] == pytest.approx(100 * 11 / 11.1)
    assert bos["def_rating"] == pytest.approx(100 * 6 / 11.1)
    assert nyk["off_rating"] == pytest.approx(bos["def_rating"])
    assert (bos["opponent"], nyk["opponent"]) == ("NYK", "BOS")


def test_team_summary_guards_zero_minutes_and_zero_possessions():
    rows = [
        box(D1, "0022400500", "BOS", "NYK", "BOS", "Bos A", 1, minutes=0.0),
        box(D1, "0022400500", "BOS", "NYK", "NYK", "Nyk A", 3, minutes=0.0),
    ]
    teams = teams_valid(build_team_game_summary(_summaries(rows)))
    zeros = [(0.0, 0.0, 0.0, 0.0)] * 2
    assert teams.select("possessions", "pace", "off_rating", "def_rating").rows() == zeros

    rows = [
        box(D1, "0022400500", "BOS", "NYK", "BOS", "Bos A", 1, fgm=2, fga=5, minutes=0.0),
        box(D1, "0022400500", "BOS", "NYK", "NYK", "Nyk A", 3, fgm=1, fga=3, minutes=0.0),
    ]
    teams = teams_valid(build_team_game_summary(_summaries(rows)))
    assert teams["pace"].to_list() == pytest.approx([4.0, 4.0])  # no minutes: assume 48, pace = possessions


def test_team_summary_without_opponent_rows_is_an_error():
    players = _summaries(_team_box()).filter(pl.col("team") == "BOS")
    with pytest.raises(ValueError, match="0022400500 .*NYK has none"):
        build_team_game_summary(players)


# ------------------------------------------------------------------------------ ranges, determinism
def _season_slice():
    """Three dates, six games; BOS plays on two dates; one BDL-only game; one unplayed game."""
    schedule_rows, bdl_rows, nba_rows = [], [], []
    slate = [
        (D1, "0022400001", "BOS", "NYK"), (D1, "0022400002", "PHX", "DEN"), (D2, "0022400003", "MIA", "BOS"),
        (D2, "0022400004", "LAL", "GSW"), (D3, "0022400005", "NYK", "PHX"),
    ]  # fmt: skip
    for n, (date, gid, home, away) in enumerate(slate):
        schedule_rows.append(sched(date, gid, home, away, home_score=15, away_score=12))
        bdl_home = "PHO" if home == "PHX" else home
        bdl_away = "PHO" if away == "PHX" else away
        bdl_rows += two_team_box(date, str(16000 + n), bdl_home, bdl_away, pid0=1000 + 100 * n)
        if gid != "0022400004":  # NBA.com late for this one: BDL fills in
            nba_rows += two_team_box(date, gid, home, away, pid0=100 * n)
    schedule_rows.append(sched(D3, "0022400006", "SAS", "DAL", status=1))
    bdl_rows += two_team_box(D3, "16099", "CHI", "CLE", pid0=9000)  # not in the schedule
    return (
        frame(schedule_rows, tables.SCHEDULE.label),
        frame(bdl_rows, tables.BDL_BOXSCORES.label),
        frame(nba_rows, tables.NBACOM_BOXSCORES.label),
    )


def test_multi_date_range_reconciles_every_day_at_once():
    schedule, bdl, nba = _season_slice()

    games = games_valid(reconcile_games(schedule, bdl, nba))
    players = players_valid(build_player_game_summary(games, bdl, nba))
    teams = teams_valid(build_team_game_summary(players))

    assert games.group_by("game_date").len().sort("game_date").rows() == [(D1, 2), (D2, 2), (D3, 3)]
    assert dict(games.group_by("reconciliation_flag").len().rows()) == {"ok": 6, "missing_from_schedule": 1}
    assert one(games, game_id="0022400003")["bdl_game_id"] == "16002"  # BOS on D2, not BOS on D1
    assert set(players.filter(pl.col("game_id") == "0022400004")["source_used"]) == {"bdl"}
    assert players.height == 6 * 4  # the unplayed game has no rows
    assert teams.height == 6 * 2
    assert teams.filter(pl.col("team") == "BOS")["game_date"].to_list() == [D1, D2]
    assert set(players.filter(pl.col("game_id") == "0022400002")["team"]) == {"PHX", "DEN"}
    assert games["game_date"].is_sorted() and teams["game_date"].is_sorted()


def test_same_input_in_any_row_order_gives_identical_frames():
    schedule, bdl, nba = _season_slice()
    first = reconcile_games(schedule, bdl, nba)
    shuffled = [df.sample(fraction=1.0, shuffle=True, seed=7) for df in (schedule, bdl, nba)]
    second = reconcile_games(*shuffled)
    assert first.equals(second)

    p1 = build_player_game_summary(first, bdl, nba)
    p2 = build_player_game_summary(second, *shuffled[1:])
    assert p1.equals(p2)
    assert build_team_game_summary(p1).equals(build_team_game_summary(p2.reverse()))


def test_empty_inputs_give_typed_empty_outputs():
    games = reconcile_games(no_schedule(), no_bdl(), no_nba())
    players = build_player_game_summary(games, no_bdl(), no_nba())
    teams = build_team_game_summary(players)
    assert games.schema == tables.GAMES.empty().schema and games.height == 0
    assert players.schema == tables.PLAYER_GAME_SUMMARY.empty().schema
    assert teams.schema == tables.TEAM_GAME_SUMMARY.empty().schema
