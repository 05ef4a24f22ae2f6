"""The season report: tables per system and month, calibration bins, rolling hit rate, PNG plots."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.logic.report import (
    BY_REFRESH_COLUMNS,
    REPORT_COLUMNS,
    by_refresh,
    calibration_table,
    rolling_hit_rate,
    season_report,
    to_markdown,
)

PNG = b"\x89PNG\r\n\x1a\n"


def grade_rows(rows: list[dict]) -> pl.DataFrame:
    base = {
        "game_id": "0022400500",
        "player_lookup": "p",
        "system_id": "lgbm_points_v1",
        "predicted_points": 20.0,
        "line": 19.5,
        "recommendation": "OVER",
        "p_over": 0.6,
        "actual_points": 22,
        "actual_minutes": 30.0,
        "outcome": "WIN",
        "absolute_error": 2.0,
        "signed_error": -2.0,
        "refresh": "T-10m",
        "created_at": dt.datetime(2024, 11, 5, 23, tzinfo=dt.UTC),
    }
    schema = tables.PREDICTION_GRADES.empty().schema
    return pl.DataFrame([{**base, **r} for r in rows], schema=schema)


@pytest.fixture(scope="module")
def grades() -> pl.DataFrame:
    rows = []
    for i, (day, outcome, err) in enumerate(
        [
            (dt.date(2024, 11, 5), "WIN", 2.0),
            (dt.date(2024, 11, 6), "LOSS", 4.0),
            (dt.date(2024, 11, 7), "WIN", 3.0),
            (dt.date(2024, 12, 1), "PUSH", 0.5),
            (dt.date(2024, 12, 2), "LOSS", 6.0),
        ]
    ):
        push = outcome == "PUSH"
        rows.append(
            {"game_date": day, "player_lookup": f"p{i}", "outcome": outcome, "absolute_error": err,
             "signed_error": err, "actual_points": 20 if push else 22, "line": 20.0 if push else 19.5}
        )
    rows.append({"game_date": dt.date(2024, 11, 5), "player_lookup": "q", "system_id": "moving_avg_l10",
                 "outcome": "VOID", "absolute_error": None, "signed_error": None, "actual_points": None})
    return grade_rows(rows)


def test_monthly_and_overall_tables(grades):
    rep = season_report(grades)
    lgbm = rep.monthly.filter(pl.col("system_id") == "lgbm_points_v1")
    nov = lgbm.filter(pl.col("month") == "2024-11").row(0, named=True)
    dec = lgbm.filter(pl.col("month") == "2024-12").row(0, named=True)
    assert (nov["n"], nov["wins"], nov["losses"], nov["graded"]) == (3, 2, 1, 3)
    assert nov["hit_rate"] == pytest.approx(2 / 3)
    assert nov["roi"] == pytest.approx((2 * 100 / 110 - 1) / 3)
    assert nov["mae"] == pytest.approx(3.0)
    assert (dec["pushes"], dec["hit_rate"]) == (1, 0.0)  # the push is not a decided bet
    overall = rep.overall.filter(pl.col("system_id") == "lgbm_points_v1").row(0, named=True)
    assert (overall["n"], overall["wins"], overall["losses"]) == (5, 2, 2)
    assert overall["hit_rate"] == pytest.approx(0.5)
    void = rep.overall.filter(pl.col("system_id") == "moving_avg_l10").row(0, named=True)
    assert void["hit_rate"] is None and void["mae"] is None
    assert "| lgbm_points_v1 | 2024-11 | 3 |" in rep.monthly_md
    assert rep.overall_md.count("\n") == 1 + rep.overall.height


def test_the_report_reads_only_report_columns_and_needs_each(grades):
    """The season report asset reads REPORT_COLUMNS of every graded season (and by_refresh
    BY_REFRESH_COLUMNS of the graded history): the same report from them alone, none read for nothing."""
    full, narrow = season_report(grades), season_report(grades.select(REPORT_COLUMNS))
    for field in ("monthly", "overall", "calibration", "same_rows", "reliability", "skill"):
        assert getattr(narrow, field).equals(getattr(full, field)), field
    assert (narrow.monthly_md, narrow.overall_md, narrow.skill_md) == (full.monthly_md, full.overall_md, full.skill_md)
    for column in REPORT_COLUMNS:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            season_report(grades.select(REPORT_COLUMNS).drop(column))
    assert by_refresh(grades.select(BY_REFRESH_COLUMNS)).equals(by_refresh(grades))
    for column in BY_REFRESH_COLUMNS:
        with pytest.raises(pl.exceptions.ColumnNotFoundError):
            by_refresh(grades.select(BY_REFRESH_COLUMNS).drop(column))


def test_plots_are_png_bytes(grades):
    rep = season_report(grades)
    for png in (rep.calibration_png, rep.hit_rate_png, rep.mae_png):
        assert png.startswith(PNG) and len(png) > 1000


def test_empty_grades_still_give_a_report():
    rep = season_report(tables.PREDICTION_GRADES.empty())
    assert rep.monthly.height == 0 and rep.overall.height == 0
    for png in (rep.calibration_png, rep.hit_rate_png, rep.mae_png):
        assert png.startswith(PNG)


def test_calibration_bins_compare_p_over_with_what_happened():
    day = dt.date(2024, 11, 5)
    # d is a push and e has no line: neither says anything about calibration
    g = grade_rows(
        [
            {"game_date": day, "player_lookup": "a", "p_over": 0.82, "actual_points": 25},
            {"game_date": day, "player_lookup": "b", "p_over": 0.88, "actual_points": 10},
            {"game_date": day, "player_lookup": "c", "p_over": 0.15, "actual_points": 10},
            {"game_date": day, "player_lookup": "d", "p_over": 0.15, "actual_points": 20, "line": 20.0},
            {"game_date": day, "player_lookup": "e", "p_over": None, "line": None},
            {"game_date": day, "player_lookup": "f", "p_over": 1.0, "actual_points": 30},
        ]
    )
    cal = calibration_table(g)
    assert cal.select("bin", "n").rows() == [(1, 1), (8, 2), (9, 1)]
    high = cal.filter(pl.col("bin") == 8).row(0, named=True)
    assert high["mean_p_over"] == pytest.approx(0.85) and high["over_rate"] == pytest.approx(0.5)
    assert cal.filter(pl.col("bin") == 1)["over_rate"].item() == 0.0


def test_rolling_hit_rate_uses_a_trailing_window():
    days = [dt.date(2024, 11, 1) + dt.timedelta(days=i) for i in range(4)]
    g = grade_rows(
        [
            {"game_date": days[0], "player_lookup": "a", "outcome": "WIN"},
            {"game_date": days[1], "player_lookup": "a", "outcome": "LOSS"},
            {"game_date": days[2], "player_lookup": "a", "outcome": "LOSS"},
            {"game_date": days[3], "player_lookup": "a", "outcome": "PASS"},
        ]
    )
    rolled = rolling_hit_rate(g, days=2)
    assert rolled["hit_rate"].to_list() == [1.0, 0.5, 0.0, 0.0]


def test_markdown_table_formats_floats_and_nulls():
    frame = pl.DataFrame(
        {"s": ["a"], "x": [0.12345], "y": [None]}, schema={"s": pl.Utf8, "x": pl.Float64, "y": pl.Float64}
    )
    md = to_markdown(frame)
    assert md.splitlines() == ["| s | x | y |", "|---|---|---|", "| a | 0.123 |  |"]
