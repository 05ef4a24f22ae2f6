"""Coverage rules (lined players predicted or named, final-game predictions graded) and STALE_INPUTS."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from checks import coverage
from nba_assets.logic import inputs
from nba_assets.logic.modeling import build_predictions
from tests.unit.test_modeling import synthetic_league, tipped


def feature_rows() -> pl.DataFrame:
    """One synthetic slate day, half the players on BOS and half on NYK."""
    feats, _ = synthetic_league(days=1, players=20)
    return feats.with_columns(team=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("BOS")).otherwise(pl.lit("NYK")))

D = dt.date(2025, 12, 12)


def _lines(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """(player_lookup, player_name, home, away) -> pre-tip prop rows on D from two books."""
    out = []
    for lookup, name, home, away in rows:
        for book in ("draftkings", "fanduel"):
            out.append({"game_date": D, "player_lookup": lookup, "player_name": name, "home_team": home,
                        "away_team": away, "bookmaker": book, "minutes_before_tip": 120.0})
    out.append({"game_date": D, "player_lookup": "lateguy", "player_name": "Late Guy", "home_team": "NYK",
                "away_team": "BOS", "bookmaker": "fanduel", "minutes_before_tip": -15.0})  # in-game: ignored
    return pl.DataFrame(out)


def _listed(rows: list[tuple[dt.date, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"game_date": pl.Date, "player_lookup": pl.Utf8, "team": pl.Utf8}, orient="row")


def _preds(lookups: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"game_date": [D] * len(lookups), "player_lookup": lookups})


def test_an_injected_name_mismatch_is_named_and_fails_the_check():
    # The books spell "Jalen Brunson Jr." -> jalenbrunsonjr; every boxscore has jalenbrunson.
    lines = _lines([
        ("jalenbrunsonjr", "Jalen Brunson Jr.", "NYK", "BOS"),
        ("joshhart", "Josh Hart", "NYK", "BOS"),
        ("jaysontatum", "Jayson Tatum", "NYK", "BOS"),
    ])
    listed = _listed([
        (D - dt.timedelta(days=2), "jalenbrunson", "NYK"), (D - dt.timedelta(days=2), "joshhart", "NYK"),
        (D - dt.timedelta(days=1), "jaysontatum", "BOS"),
    ])
    res = coverage.lined_players_have_prediction(lines, _preds(["joshhart", "jaysontatum"]), listed)
    assert not res.passed
    assert res.summary == "1 lined player(s) without a prediction need a human: name not matched 1"
    row = res.offending.row(0, named=True)
    assert (row["player_lookup"], row["player_name"], row["reason"]) == (
        "jalenbrunsonjr", "Jalen Brunson Jr.", coverage.NAME_NOT_MATCHED
    )
    assert res.extra["lined_players"] == 3 and res.extra["predicted"] == 2 and res.extra["coverage"] == 0.6667


def test_benign_reasons_pass_with_counts():
    lines = _lines([
        ("rookie", "A Rookie", "NYK", "BOS"),  # debut: in D's boxscore only
        ("moved", "Moved Player", "NYK", "BOS"),  # last listed for MIA
        ("longout", "Long Out", "NYK", "BOS"),  # last listed 40 days ago for NYK
        ("newteam", "New Team", "SAS", "OKC"),  # SAS has nobody listed in 30 days: first game of season
        ("joshhart", "Josh Hart", "NYK", "BOS"),
    ])
    listed = _listed([
        (D, "rookie", "NYK"), (D - dt.timedelta(days=3), "moved", "MIA"),
        (D - dt.timedelta(days=40), "longout", "NYK"), (D - dt.timedelta(days=2), "joshhart", "NYK"),
        (D - dt.timedelta(days=1), "jaysontatum", "BOS"), (D - dt.timedelta(days=2), "shai", "OKC"),
    ])
    res = coverage.lined_players_have_prediction(lines, _preds(["joshhart"]), listed)
    assert res.passed, res.summary
    reasons = dict(res.extra["accounted"].select("player_lookup", "reason").iter_rows())
    assert reasons == {
        "rookie": coverage.FIRST_GAME, "moved": "traded (last listed for MIA)",
        "longout": coverage.NOT_LISTED, "newteam": coverage.NO_ROSTER,
    }
    assert res.extra["lined_players"] == 5 and res.extra["predicted"] == 1


def test_ungraded_predictions_of_final_games_are_named():
    preds = pl.DataFrame({
        "game_date": [D] * 4, "game_id": ["g1", "g1", "g2", "g3"], "player_lookup": ["a", "b", "c", "d"],
        "system_id": ["s"] * 4,
    })
    games = pl.DataFrame({
        "game_id": ["g1", "g2", "g3"], "status": [3, 3, 1],
        "has_bdl_boxscore": [True, False, False], "has_nbacom_boxscore": [False, False, False],
    })
    grades = pl.DataFrame({"game_id": ["g1"], "player_lookup": ["a"], "system_id": ["s"], "outcome": ["VOID"]})
    res = coverage.final_predictions_graded(preds, grades, games)
    assert not res.passed
    assert res.extra["final_game_predictions"] == 3 and res.extra["graded"] == 1
    assert res.extra["ungraded_by_reason"] == {coverage.NO_BOXSCORE: 1, coverage.UNEXPLAINED: 1}
    full = pl.DataFrame({"game_id": ["g1", "g1", "g2"], "player_lookup": ["a", "b", "c"], "system_id": ["s"] * 3,
                         "outcome": ["VOID", "NO_LINE", "WIN"]})
    ok = coverage.final_predictions_graded(preds, full, games)
    assert ok.passed and ok.extra["graded_share"] == 1.0 and "VOID 1, NO_LINE 1" in ok.summary


def test_missing_team_games_names_the_hole_inside_the_window_only():
    games = pl.DataFrame({
        "game_date": [D - dt.timedelta(days=1), D - dt.timedelta(days=2), D - dt.timedelta(days=30)],
        "home_team": ["NYK", "LAL", "MIA"], "away_team": ["BOS", "DEN", "ATL"], "status": [3, 3, 3],
    })
    have = _listed([(D - dt.timedelta(days=2), "x", "LAL"), (D - dt.timedelta(days=2), "y", "DEN")]).drop(
        "player_lookup"
    )
    holes = inputs.missing_team_games(games, have, [D])
    assert holes.rows() == [
        (D, "BOS", f"STALE_INPUTS: no boxscore for BOS game(s) of {D - dt.timedelta(days=1)}"),
        (D, "NYK", f"STALE_INPUTS: no boxscore for NYK game(s) of {D - dt.timedelta(days=1)}"),
    ]  # MIA/ATL's hole is 30 days old: outside the 21-day window


def test_stale_inputs_become_pass_with_the_reason_and_are_counted():
    feats = tipped(feature_rows())
    team = feats["team"][0]
    missing = pl.DataFrame(
        {"game_date": [feats["game_date"][0]], "team": [team], "stale_reason": ["STALE_INPUTS: no boxscore for X"]}
    )
    created = dt.datetime(2025, 12, 12, 15, tzinfo=dt.UTC)
    clean = build_predictions(feats, None, created)
    held = build_predictions(feats, None, created, missing)
    on_team = held.join(feats.select("game_id", "player_lookup", "team"), on=["game_id", "player_lookup"])
    lined = on_team.filter((pl.col("team") == team) & pl.col("line").is_not_null())
    assert lined.height > 0
    assert set(lined["recommendation"]) == {"PASS"}
    assert set(lined["pass_reason"]) == {"STALE_INPUTS: no boxscore for X"}
    others = on_team.filter(pl.col("team") != team).drop("team").sort("player_lookup")
    same = clean.join(others.select("game_id", "player_lookup"), on=["game_id", "player_lookup"], how="semi")
    assert others.equals(same.sort("player_lookup"))  # the other team's rows are untouched
    res = coverage.stale_inputs_counted(held)
    assert not res.passed and res.extra["stale_predictions"] == lined.height
    assert coverage.stale_inputs_counted(clean).passed


def test_daily_coverage_and_its_monthly_rollup():
    from nba_assets.logic.report import coverage_by_month

    lines = _lines([("a", "A", "NYK", "BOS"), ("b", "B", "NYK", "BOS"), ("c", "C", "NYK", "BOS")])
    preds = pl.DataFrame({"game_date": [D] * 4, "game_id": ["g1"] * 4, "player_lookup": ["a", "a", "b", "z"],
                          "system_id": ["s1", "s2", "s1", "s1"]})
    grades = preds.head(3).drop("game_date")
    games = pl.DataFrame({"game_date": [D], "game_id": ["g1"], "status": [3]})
    daily = coverage.daily_coverage(lines, preds, grades, games)
    row = daily.row(0, named=True)
    assert (row["lined_players"], row["lined_predicted"], row["final_game_predictions"], row["graded"]) == (3, 2, 4, 3)
    assert round(row["lined_coverage"], 4) == 0.6667 and row["graded_share"] == 0.75
    monthly = coverage_by_month(daily)
    assert monthly["month"].to_list() == ["2025-12", "total"]
    assert monthly.filter(pl.col("month") == "total")["graded_share"][0] == 0.75


def test_daily_coverage_reads_only_the_columns_the_lake_readers_select():
    """load_daily_coverage reads COVERAGE_COLUMNS of each table (whole seasons for the season report):
    each is a column of its table, the figures are the same from them alone, and none is read for nothing."""
    lines = _lines([("a", "A", "NYK", "BOS"), ("b", "B", "NYK", "BOS")])
    preds = pl.DataFrame({"game_date": [D] * 2, "game_id": ["g1"] * 2, "player_lookup": ["a", "b"],
                          "system_id": ["s1", "s1"], "extra": [1, 2]})
    grades = preds.head(1).drop("game_date")
    games = pl.DataFrame({"game_date": [D], "game_id": ["g1"], "status": [3], "home_team": ["NYK"]})
    frames = (lines, preds, grades, games)
    wanted = list(coverage.COVERAGE_COLUMNS.values())
    for table, columns in coverage.COVERAGE_COLUMNS.items():
        assert set(columns) <= set(table.empty().columns), table.view
    narrow = [f.select(c) for f, c in zip(frames, wanted, strict=True)]
    assert coverage.daily_coverage(*narrow).equals(coverage.daily_coverage(*frames))
    for i, columns in enumerate(wanted):
        for column in columns:
            short = [f.drop(column) if j == i else f for j, f in enumerate(narrow)]
            with pytest.raises(pl.exceptions.ColumnNotFoundError):
                coverage.daily_coverage(*short)
