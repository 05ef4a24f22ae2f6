"""Grading rules (every outcome) and the daily performance math on hand-made examples."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import PredictionGradeContract, SystemDailyPerformanceContract
from nba_assets.logic.grading import (
    ACTUAL_COLUMNS,
    FINAL_GAME_COLUMNS,
    GRADED_PREDICTION_COLUMNS,
    daily_performance,
    final_games,
    grade_predictions,
)

D = dt.date(2025, 1, 10)


def predictions(rows: list[dict]) -> pl.DataFrame:
    """Prediction rows with the columns grading reads; defaults for anything not given."""
    base = {
        "game_id": "0022400500",
        "game_date": D,
        "system_id": "lgbm_points_v1",
        "predicted_points": 20.0,
        "line": 19.5,
        "recommendation": "OVER",
        "p_over": 0.6,
        "pick_book": None,
        "pick_line": None,
        "pick_price": None,
        "refresh": "T-10m",
        "created_at": dt.datetime(2025, 1, 11, 0, 0, tzinfo=dt.UTC),
    }
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema={
            "game_id": pl.Utf8,
            "game_date": pl.Date,
            "player_lookup": pl.Utf8,
            "system_id": pl.Utf8,
            "predicted_points": pl.Float64,
            "line": pl.Float64,
            "recommendation": pl.Utf8,
            "p_over": pl.Float64,
            "pick_book": pl.Utf8,
            "pick_line": pl.Float64,
            "pick_price": pl.Int64,
            "refresh": pl.Utf8,
            "created_at": pl.Datetime("us", "UTC"),
        },
    )


def actuals(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"game_id": "0022400500", "game_date": D, "dnp": False, "minutes": 30.0, **r} for r in rows],
        schema={
            "game_id": pl.Utf8,
            "game_date": pl.Date,
            "player_lookup": pl.Utf8,
            "dnp": pl.Boolean,
            "points": pl.Int64,
            "minutes": pl.Float64,
        },
    )


NO_LINE = {"recommendation": "NO_LINE", "line": None, "p_over": None}
# (name, prediction overrides, actual row or None, outcome, signed error)
RULES = [
    ("win_over", {"recommendation": "OVER", "line": 19.5}, {"points": 25}, "WIN", -5.0),
    ("loss_over", {"recommendation": "OVER", "line": 19.5}, {"points": 12}, "LOSS", 8.0),
    ("win_under", {"recommendation": "UNDER", "line": 19.5}, {"points": 12}, "WIN", 8.0),
    ("loss_under", {"recommendation": "UNDER", "line": 19.5}, {"points": 25}, "LOSS", -5.0),
    ("push_over", {"recommendation": "OVER", "line": 20.0}, {"points": 20}, "PUSH", 0.0),
    ("push_under", {"recommendation": "UNDER", "line": 20.0}, {"points": 20}, "PUSH", 0.0),
    ("void_missing", {"recommendation": "OVER"}, None, "VOID", None),
    ("void_dnp", {"recommendation": "UNDER"}, {"points": 0, "dnp": True, "minutes": 0.0}, "VOID", None),
    ("no_line", NO_LINE, {"points": 30}, "NO_LINE", -10.0),
    ("no_line_dnp", NO_LINE, {"points": 0, "dnp": True}, "NO_LINE", None),
    ("pass", {"recommendation": "PASS"}, {"points": 30}, "PASS", -10.0),
    ("pass_at_line", {"recommendation": "PASS", "line": 20.0}, {"points": 20}, "PASS", 0.0),
    ("pass_dnp", {"recommendation": "PASS"}, {"points": 0, "dnp": True}, "VOID", None),
]


@pytest.mark.parametrize(("name", "pred", "actual", "outcome", "signed"), RULES, ids=[r[0] for r in RULES])
def test_grading_rule_table(name, pred, actual, outcome, signed):
    preds = predictions([{"player_lookup": name, **pred}])
    acts = actuals([{"player_lookup": name, **actual}] if actual else [])
    graded = grade_predictions(preds, acts)
    PredictionGradeContract.validate(graded)
    row = graded.row(0, named=True)
    assert row["outcome"] == outcome
    if signed is None:
        assert row["signed_error"] is None and row["absolute_error"] is None
        assert row["actual_points"] is None  # a DNP's 0 must never look like a scored 0
    else:
        assert row["signed_error"] == pytest.approx(signed)
        assert row["absolute_error"] == pytest.approx(abs(signed))
        assert row["actual_points"] == actual["points"]
        assert row["actual_minutes"] == pytest.approx(30.0)


def test_all_rules_together_keep_one_row_per_prediction():
    preds = predictions([{"player_lookup": name, **pred} for name, pred, *_ in RULES])
    acts = actuals([{"player_lookup": name, **a} for name, _, a, *_ in RULES if a])
    graded = grade_predictions(preds, acts)
    PredictionGradeContract.validate(graded)
    assert graded.height == len(RULES)
    expected = {name: outcome for name, _, _, outcome, _ in RULES}
    assert dict(graded.select("player_lookup", "outcome").iter_rows()) == expected


def test_each_system_is_graded_against_the_same_actual():
    preds = predictions(
        [
            {"player_lookup": "a", "system_id": "lgbm_points_v1", "recommendation": "OVER"},
            {"player_lookup": "a", "system_id": "moving_avg_l10", "recommendation": "UNDER"},
        ]
    )
    graded = grade_predictions(preds, actuals([{"player_lookup": "a", "points": 25}]))
    assert dict(graded.select("system_id", "outcome").iter_rows()) == {
        "lgbm_points_v1": "WIN",
        "moving_avg_l10": "LOSS",
    }


def test_duplicate_actuals_fail_loudly_instead_of_doubling_grades():
    preds = predictions([{"player_lookup": "a"}])
    acts = actuals([{"player_lookup": "a", "points": 25}, {"player_lookup": "a", "points": 25}])
    with pytest.raises(pl.exceptions.ComputeError):
        grade_predictions(preds, acts)


def test_no_predictions_gives_a_typed_empty_frame():
    graded = grade_predictions(predictions([]), actuals([]))
    assert graded.height == 0
    PredictionGradeContract.validate(graded)


# ------------------------------------------------------------------------------- daily performance
def grades(rows: list[dict]) -> pl.DataFrame:
    """Grade rows built through grade_predictions, so the example exercises the real pipeline."""
    preds = predictions([{k: v for k, v in r.items() if k != "points"} for r in rows])
    acts = actuals(
        [
            {k: r[k] for k in ("game_id", "game_date", "player_lookup", "points") if k in r}
            for r in rows
            if "points" in r
        ]
    ).unique(["game_id", "player_lookup"], keep="first", maintain_order=True)  # one per player-game
    return grade_predictions(preds, acts)


def bet(player: str, rec: str, predicted: float, p_over: float | None, **extra) -> dict:
    """One prediction (and, with points=, its actual) for the hand-made day; line 19.5 unless given."""
    return {"player_lookup": player, "recommendation": rec, "predicted_points": predicted, "p_over": p_over,
            **extra}


def test_daily_performance_math_on_a_hand_made_day():
    g = grades(
        [
            # 2 OVER wins, 1 UNDER win, 1 UNDER loss, 1 push, 1 pass, 1 no-line, 1 void (line 19.5)
            bet("a", "OVER", 24.0, 0.8, points=22),
            bet("b", "OVER", 24.0, 0.6, points=30),
            bet("c", "UNDER", 16.0, 0.3, points=10),
            bet("d", "UNDER", 16.0, 0.4, points=21),
            bet("e", "OVER", 23.0, 0.7, points=20, line=20.0),
            bet("f", "PASS", 20.0, 0.5, points=19),
            bet("g", "NO_LINE", 10.0, None, points=12, line=None),
            bet("h", "OVER", 25.0, 0.9),
        ]
    )
    perf = daily_performance(g)
    SystemDailyPerformanceContract.validate(perf)
    assert perf.height == 1
    row = perf.row(0, named=True)
    assert row["n_predictions"] == 8
    assert (row["wins"], row["losses"], row["pushes"]) == (3, 1, 1)
    assert row["n_graded"] == 5
    assert row["coverage"] == pytest.approx(7 / 8)
    # errors over the 7 players who played (h is VOID): predicted - actual
    errors = [24 - 22, 24 - 30, 16 - 10, 16 - 21, 23 - 20, 20 - 19, 10 - 12]
    assert row["mae"] == pytest.approx(sum(abs(e) for e in errors) / 7)
    assert row["bias"] == pytest.approx(sum(errors) / 7)
    assert row["hit_rate"] == pytest.approx(3 / 4)  # the push is excluded
    assert row["over_hit_rate"] == pytest.approx(2 / 2)
    assert row["under_hit_rate"] == pytest.approx(1 / 2)
    assert row["roi_at_110"] == pytest.approx((3 * 100 / 110 - 1) / 4)
    # Brier over rows with line, actual and p_over, push (e) excluded; PASS (f) included; VOID (h) not
    brier = [(0.8 - 1) ** 2, (0.6 - 1) ** 2, (0.3 - 0) ** 2, (0.4 - 1) ** 2, (0.5 - 0) ** 2]
    assert row["brier"] == pytest.approx(sum(brier) / 5)


def test_daily_performance_is_per_day_and_system_and_nulls_rates_without_bets():
    g = grades(
        [
            {"player_lookup": "a", "system_id": "lgbm_points_v1", "recommendation": "OVER", "points": 25},
            {"player_lookup": "a", "system_id": "moving_avg_l10", "recommendation": "PASS", "points": 25},
            {"player_lookup": "b", "game_date": D + dt.timedelta(days=1), "game_id": "0022400501",
             "recommendation": "UNDER", "points": 25},
        ]
    )
    perf = daily_performance(g)
    SystemDailyPerformanceContract.validate(perf)
    assert perf.select("game_date", "system_id").rows() == [
        (D, "lgbm_points_v1"),
        (D, "moving_avg_l10"),
        (D + dt.timedelta(days=1), "lgbm_points_v1"),
    ]
    baseline = perf.row(1, named=True)
    assert baseline["hit_rate"] is None and baseline["roi_at_110"] is None and baseline["n_graded"] == 0
    loser = perf.row(2, named=True)
    assert loser["hit_rate"] == 0.0 and loser["roi_at_110"] == pytest.approx(-1.0)
    assert loser["over_hit_rate"] is None and loser["under_hit_rate"] == 0.0


def test_daily_performance_of_nothing_is_a_typed_empty_frame():
    perf = daily_performance(grade_predictions(predictions([]), actuals([])))
    assert perf.height == 0
    SystemDailyPerformanceContract.validate(perf)


def test_the_columns_whole_season_readers_select_are_exactly_what_grading_reads():
    """The season report reads only GRADED_PREDICTION_COLUMNS / ACTUAL_COLUMNS / FINAL_GAME_COLUMNS of
    whole seasons: each is a column of the tables it is read from, grading works on them alone, and
    without any one of them it fails (none is read for nothing)."""
    for table in (tables.RECOMMENDATION_HISTORY, tables.PLAYER_PROP_PREDICTIONS):
        assert set(GRADED_PREDICTION_COLUMNS) <= set(table.empty().columns), table.view
    assert set(ACTUAL_COLUMNS) <= set(tables.PLAYER_GAME_SUMMARY.empty().columns)
    assert set(FINAL_GAME_COLUMNS) <= set(tables.GAMES.empty().columns)

    preds = predictions([{"player_lookup": name, **pred} for name, pred, *_ in RULES]).select(GRADED_PREDICTION_COLUMNS)
    acts = actuals([{"player_lookup": name, **a} for name, _, a, *_ in RULES if a]).select(ACTUAL_COLUMNS)
    PredictionGradeContract.validate(grade_predictions(preds, acts))
    for column in GRADED_PREDICTION_COLUMNS:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            grade_predictions(preds.drop(column), acts)
    for column in ACTUAL_COLUMNS:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            grade_predictions(preds, acts.drop(column))
    games = tables.GAMES.empty().select(FINAL_GAME_COLUMNS)
    assert final_games(games).columns == ["game_id"]
    for column in FINAL_GAME_COLUMNS:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            final_games(games.drop(column))
