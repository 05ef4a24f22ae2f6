"""Aggregates that must add up (checks/totals.py): team games vs players and the final score,
daily performance vs grades. Each rule passes on consistent input and names the offending key."""

from __future__ import annotations

import datetime as dt

import polars as pl

from checks.totals import performance_matches_grades, team_points_match_final_score, team_rows_match_players

D = dt.date(2025, 12, 8)


def _team(rows: list[tuple[str, str, str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"game_date": D, "game_id": g, "team": tm, "opponent": op, "points_for": pf, "points_against": pa}
         for g, tm, op, pf, pa in rows]
    )  # fmt: skip


def _players(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame([{"game_date": D, "game_id": g, "team": tm, "points": p} for g, tm, p in rows])


GOOD_TEAM = _team([("g1", "OKC", "ORL", 108, 103), ("g1", "ORL", "OKC", 103, 108)])
GOOD_PLAYERS = _players([("g1", "OKC", 100), ("g1", "OKC", 8), ("g1", "ORL", 103)])


def test_consistent_team_rows_pass():
    res = team_rows_match_players(GOOD_TEAM, GOOD_PLAYERS)
    assert res.passed and res.extra["games"] == 1


def test_team_rows_name_each_inconsistency():
    team = _team([("g1", "OKC", "ORL", 110, 103), ("g1", "ORL", "OKC", 103, 108), ("g2", "BOS", "NYK", 99, 90)])
    res = team_rows_match_players(team, GOOD_PLAYERS)
    assert not res.passed and res.failing_dates == [str(D)]
    problems = {(r["game_id"], r["team"], r["problem"]) for r in res.offending.iter_rows(named=True)}
    assert ("g2", "BOS", "1 team rows (expected 2)") in problems
    assert ("g1", "OKC", "points_for 110 but players' points sum to 108") in problems
    assert ("g1", "ORL", "points_against 108 but OKC scored 110") in problems
    assert ("g2", "BOS", "points_for 99 but players' points sum to 0") in problems  # no player rows at all


def test_points_vs_final_score():
    games = pl.DataFrame({"game_id": ["g1"], "status": [3], "home_team": ["ORL"], "away_team": ["OKC"],
                          "home_score": [103], "away_score": [108]})  # fmt: skip
    assert team_points_match_final_score(GOOD_TEAM, games).passed
    corrected = games.with_columns(pl.lit(110).alias("away_score"))
    res = team_points_match_final_score(GOOD_TEAM, corrected)
    assert not res.passed and res.offending.select("team", "points_for", "final_score").rows() == [("OKC", 108, 110)]
    # a game not final yet is not judged
    assert team_points_match_final_score(GOOD_TEAM, corrected.with_columns(pl.lit(2).alias("status"))).passed


def _grades(outcomes: list[str], system: str = "s1") -> pl.DataFrame:
    return pl.DataFrame({"game_date": [D] * len(outcomes), "system_id": [system] * len(outcomes),
                         "outcome": outcomes})  # fmt: skip


def _perf(n: int, w: int, lo: int, p: int, graded: int, system: str = "s1") -> dict:
    return {"game_date": D, "system_id": system, "n_predictions": n, "n_graded": graded, "wins": w, "losses": lo,
            "pushes": p}  # fmt: skip


def test_performance_matching_its_grades_passes():
    grades = _grades(["WIN", "WIN", "LOSS", "PUSH", "PASS", "NO_LINE"])
    assert performance_matches_grades(pl.DataFrame([_perf(6, 2, 1, 1, 4)]), grades).passed


def test_performance_mismatches_are_named():
    grades = pl.concat([_grades(["WIN", "LOSS"]), _grades(["WIN"], "s2")])
    perf = pl.DataFrame([_perf(3, 1, 1, 0, 2), _perf(3, 1, 1, 0, 2), _perf(1, 1, 0, 0, 1, "s3")])
    res = performance_matches_grades(perf, grades)
    problems = {(r["system_id"], r["problem"]) for r in res.offending.iter_rows(named=True)}
    assert problems == {
        ("s1", "2 performance rows (expected 1)"),
        ("s1", "n_predictions 3 but 2 grades"),
        ("s2", "no performance row for a graded system-day"),
        ("s3", "performance row without any grade"),
    }
    wrong_counts = performance_matches_grades(pl.DataFrame([_perf(2, 2, 0, 0, 1)]), _grades(["WIN", "LOSS"]))
    texts = set(wrong_counts.offending["problem"].to_list())
    assert texts == {"W/L/P 2/0/0 but grades say 1/1/0", "n_graded 1 but 2 graded"}
