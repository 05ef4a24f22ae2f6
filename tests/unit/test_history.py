"""Recommendation history, the injury gate, pluggable systems and the slate refresh (logic level)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandera.errors
import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import PredictionContract, RecommendationHistoryContract
from nba_assets.logic import history, injuries, systems
from nba_assets.logic import modeling as m
from nba_assets.logic.grading import daily_performance, grade_predictions
from nba_assets.logic.report import season_report
from sensors.schedules import slate_refresh_requests
from tests.unit.test_modeling import synthetic_league

D = dt.date(2024, 12, 16)
TIP = dt.datetime(2024, 12, 17, 0, 30, tzinfo=dt.UTC)  # 19:30 ET
GAME = None  # set from the synthetic features below
MORNING = dt.datetime(2024, 12, 16, 15, 0, tzinfo=dt.UTC)  # 10:00 ET


@pytest.fixture(scope="module")
def day():
    feats, actuals = synthetic_league(days=3, players=6, seed=3, start=D - dt.timedelta(days=2))
    feats = feats.filter(pl.col("game_date") == D)
    game_id = feats["game_id"][0]
    schedule = pl.DataFrame(
        [{"game_date": D, "game_id": game_id, "season_year": 2024, "home_team": "BOS", "away_team": "NYK",
          "tipoff_utc": TIP}],
        schema={k: v for k, v in tables.SCHEDULE.empty().schema.items()},
    )  # fmt: skip
    return feats, actuals.filter(pl.col("game_date") == D), schedule


def snapshot(player: str, line: float, ts: dt.datetime, book: str = "dk") -> dict:
    return {"game_date": D, "event_id": "e1", "commence_time": TIP, "home_team": "BOS", "away_team": "NYK",
            "player_name": player, "player_lookup": player, "bookmaker": book, "market": "player_points",
            "line": line, "over_price": -110.0, "under_price": -110.0, "snapshot_ts": ts,
            "minutes_before_tip": (TIP - ts).total_seconds() / 60, "landing_file": "f.json"}  # fmt: skip


def lines(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=tables.PROP_LINES.empty().schema)


def report(player: str, status: str, ts: dt.datetime) -> dict:
    return {"game_date": D, "report_ts": ts, "player_id": 1, "player_name": player, "player_lookup": player,
            "team": "BOS", "status": status, "return_date": None, "description": None, "landing_file": "i.json"}  # fmt: skip


def reports(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=tables.INJURIES.empty().schema)


# player0's line: 20.5 the day before, 21.5 at T-3h (unchanged at T-1h), 22.5 at T-15m: it moves twice.
MOVES = [
    snapshot("player0", 20.5, TIP - dt.timedelta(hours=36)),
    snapshot("player0", 21.5, TIP - dt.timedelta(hours=3)),
    snapshot("player0", 21.5, TIP - dt.timedelta(hours=1)),
    snapshot("player0", 22.5, TIP - dt.timedelta(minutes=15)),
    snapshot("player1", 15.5, TIP - dt.timedelta(hours=36)),
    snapshot("player2", 12.5, TIP - dt.timedelta(hours=36)),
]


def build(day, props, injury_rows, now, existing=None):
    feats, _, schedule = day
    return history.build_history(feats, schedule, lines(props), reports(injury_rows), None, now, existing)


def rows_of(hist: pl.DataFrame, player: str, system: str = m.BASELINE_SYSTEM) -> pl.DataFrame:
    return hist.filter((pl.col("player_lookup") == player) & (pl.col("system_id") == system)).sort("created_at")


def test_refresh_times_are_tied_to_each_tipoff_and_all_before_it():
    games = pl.DataFrame({"game_id": ["a", "b"], "game_date": [D, D], "tipoff_utc": [TIP, TIP + dt.timedelta(hours=3)]})
    points = history.refresh_times(games)
    b = points.filter(pl.col("game_id") == "b")
    assert b["refresh"].to_list() == ["morning", "T-3h", "T-1h", "T-10m"]
    assert b["created_at"].to_list()[1:] == [TIP, TIP + dt.timedelta(hours=2), TIP + dt.timedelta(hours=2, minutes=50)]
    assert (points["created_at"] < points["tipoff_utc"]).all()
    # an early tip-off before the 10:00 ET morning run: no morning refresh for it, never one after tip
    early = pl.DataFrame({"game_id": ["c"], "game_date": [D], "tipoff_utc": [MORNING - dt.timedelta(minutes=5)]})
    assert "morning" not in history.refresh_times(early)["refresh"].to_list()
    with pytest.raises(ValueError, match="tip-off time"):
        history.refresh_times(games.with_columns(tipoff_utc=pl.lit(None, dtype=pl.Datetime("us", "UTC"))))


def test_a_line_moving_twice_gives_three_history_rows_and_the_grade_uses_the_last(day):
    _, actuals, _ = day
    hist = build(day, MOVES, [], TIP + dt.timedelta(hours=3))
    RecommendationHistoryContract.validate(hist)
    p0 = rows_of(hist, "player0")
    assert p0["line"].to_list() == [20.5, 21.5, 22.5]
    assert p0["refresh"].to_list() == ["morning", "T-3h", "T-10m"]
    assert p0["line_snapshot_ts"].to_list() == [TIP - dt.timedelta(hours=36), TIP - dt.timedelta(hours=3),
                                                TIP - dt.timedelta(minutes=15)]  # fmt: skip
    # unchanged lines: one row each
    assert rows_of(hist, "player1").height == 1
    current = history.latest(hist)
    PredictionContract.validate(current)
    assert current.select(history.KEY).is_duplicated().sum() == 0
    graded = grade_predictions(current, actuals)
    g0 = graded.filter((pl.col("player_lookup") == "player0") & (pl.col("system_id") == m.BASELINE_SYSTEM))
    assert g0["line"].to_list() == [22.5] and g0["refresh"].to_list() == ["T-10m"]
    # earlier recommendations can be graded too (the season report's history_by_refresh)
    assert grade_predictions(hist, actuals).filter(pl.col("player_lookup") == "player0").height == 3


def test_rerunning_never_duplicates_or_rewrites_a_history_row(day):
    first = build(day, MOVES, [], TIP - dt.timedelta(hours=2))  # morning and T-3h are due
    assert set(first["refresh"]) == {"morning", "T-3h"}
    again = build(day, MOVES, [], TIP - dt.timedelta(hours=2), existing=first)
    assert again.equals(first)
    later = build(day, MOVES, [], TIP + dt.timedelta(hours=1), existing=first)
    # the earlier rows are kept exactly; only later refreshes are appended
    assert later.filter(pl.col("created_at") <= first["created_at"].max()).equals(first)
    assert later.select(*history.KEY, "created_at").is_duplicated().sum() == 0
    # a snapshot that lands late but is dated before a past refresh does not rewrite that refresh's row
    backdated = [*MOVES, snapshot("player1", 30.5, TIP - dt.timedelta(hours=4), book="fd")]
    rerun = build(day, backdated, [], TIP - dt.timedelta(hours=2), existing=first)
    assert rerun.equals(first)


def test_nothing_is_made_or_changed_after_tipoff(day):
    in_game = [*MOVES, snapshot("player0", 35.5, TIP + dt.timedelta(minutes=30)), snapshot("player2", 2.5, TIP)]
    late_report = [report("player2", "Out", TIP + dt.timedelta(minutes=5))]
    before = build(day, MOVES, [], TIP - dt.timedelta(minutes=1))
    after = build(day, in_game, late_report, TIP + dt.timedelta(hours=5), existing=before)
    assert after.equals(before)
    assert (after["created_at"] < after["tipoff_utc"]).all()
    # the contract refuses a row made at tip-off
    bad = before.head(1).with_columns(created_at=pl.col("tipoff_utc"))
    with pytest.raises(pandera.errors.SchemaError, match="made_before_tipoff"):
        RecommendationHistoryContract.validate(bad)


def test_an_injury_report_published_after_the_prediction_changes_nothing(day):
    late = [report("player0", "Out", TIP - dt.timedelta(minutes=30))]  # after T-1h, before T-10m
    without = build(day, MOVES, [], TIP + dt.timedelta(hours=1))
    with_late = build(day, MOVES, late, TIP + dt.timedelta(hours=1))
    cut = TIP - dt.timedelta(minutes=30)
    assert with_late.filter(pl.col("created_at") < cut).equals(without.filter(pl.col("created_at") < cut))
    p0 = rows_of(with_late, "player0")
    last = p0.row(-1, named=True)
    assert last["refresh"] == "T-10m" and last["injury_status"] == "OUT"
    assert last["recommendation"] == "PASS" and last["pass_reason"].startswith(injuries.INJURED_OUT)


@pytest.mark.parametrize(
    ("status", "edge", "recommendation", "reason"),
    [
        ("Out", 6.0, "PASS", injuries.INJURED_OUT),
        ("Doubtful", 6.0, "PASS", injuries.INJURY_DOUBTFUL),
        ("Questionable", 2.5, "PASS", injuries.INJURY_QUESTIONABLE),  # needs |edge| >= 3
        ("Day-To-Day", 3.5, "OVER", None),  # wide enough: a bet, at half the confidence
        ("Probable", 2.5, "OVER", None),
        (None, 2.5, "OVER", None),
    ],
)
def test_injury_gate_rule_table(day, status, edge, recommendation, reason):
    feats, _, _ = day
    row = feats.head(1).with_columns(
        pts_l10=pl.lit(20.0), pts_l5=pl.lit(20.0), consensus_line=pl.lit(20.0 - edge),
        feature_quality_score=pl.lit(100.0), tipoff_utc=pl.lit(TIP),
    )  # fmt: skip
    row = row.with_columns(created_at=pl.lit(MORNING), refresh=pl.lit("morning"))
    reps = reports([report(row["player_lookup"][0], status, MORNING)] if status else [])
    preds = m.build_predictions(injuries.status_asof(reps, row), None)
    PredictionContract.validate(preds)
    r = preds.row(0, named=True)
    assert r["recommendation"] == recommendation
    assert (r["pass_reason"] or "").startswith(reason or "")
    if recommendation == "OVER":
        plain = m.build_predictions(row, None).row(0, named=True)
        factor = injuries.QUESTIONABLE_CONFIDENCE if status in ("Questionable", "Day-To-Day") else 1.0
        assert r["confidence"] == pytest.approx(plain["confidence"] * factor, abs=0.11)


def test_an_unknown_injury_status_is_an_error_naming_the_player():
    with pytest.raises(ValueError, match="player9.*'Maybe'"):
        injuries.normalise_status(reports([report("player9", "Maybe", MORNING)]))


def test_a_system_registered_in_a_fixture_is_predicted_graded_and_compared(day):
    _, actuals, _ = day

    @systems.register("fixture_line_plus_one", "v1", ("consensus_line",))
    def line_plus_one(data: systems.SystemInput) -> systems.SystemOutput:
        n = data.features.height
        predicted = np.where(data.line > 0, data.line + 1.0, 10.0)
        return systems.SystemOutput(predicted, np.full(n, 0.6), np.ones(n, dtype=bool), "fixture_line_plus_one@v1")

    try:
        hist = build(day, MOVES, [], TIP + dt.timedelta(hours=1))
        # registered after a day was predicted: a re-run makes its whole timeline, the others' rows stay
        before = hist.filter(pl.col("system_id") != "fixture_line_plus_one")
        assert build(day, MOVES, [], TIP + dt.timedelta(hours=1), existing=before).equals(hist)
        current = history.latest(hist)
        PredictionContract.validate(current)
        grades = grade_predictions(current, actuals)
        perf = daily_performance(grades)
        assert "fixture_line_plus_one" in set(grades["system_id"])
        assert "fixture_line_plus_one" in set(perf["system_id"])
        rep = season_report(grades)
        assert "fixture_line_plus_one" in set(rep.same_rows["system_id"])
        assert "fixture_line_plus_one" in set(rep.skill["system_id"])
    finally:
        systems.unregister("fixture_line_plus_one")
    assert "fixture_line_plus_one" not in {s.name for s in systems.registered()}


def test_registry_refuses_bad_names_duplicates_and_short_outputs(day):
    with pytest.raises(ValueError, match="must match"):
        systems.register("Bad Name", "v1", ())
    with pytest.raises(ValueError, match="already registered"):
        systems.register(m.BASELINE_SYSTEM, "v2", ())(lambda data: None)
    short = systems.PredictionSystem("short", "v1", (), False, lambda d: systems.SystemOutput(
        np.zeros(1), np.zeros(1), np.ones(1, dtype=bool), "short"))  # fmt: skip
    feats, _, _ = day
    with pytest.raises(ValueError, match="returned predicted for 1 of"):
        short.run(systems.SystemInput(feats, None, np.zeros(feats.height)))
    needs = systems.PredictionSystem("needs", "v1", ("no_such_column",), False, lambda d: None)
    with pytest.raises(ValueError, match="no_such_column"):
        needs.run(systems.SystemInput(feats, None, np.zeros(feats.height)))


def test_slate_refresh_requests_follow_each_games_tipoff():
    games = pl.DataFrame({"game_date": [D, D], "game_id": ["a", "b"],
                          "tipoff_utc": [TIP, TIP + dt.timedelta(hours=3)], "status": [1, 1]})  # fmt: skip
    # 09:00 ET: nothing due yet
    reqs, cursor = slate_refresh_requests(MORNING - dt.timedelta(hours=1), games, None)
    assert reqs == [] and cursor is None
    # 10:01 ET: the morning refresh
    reqs, cursor = slate_refresh_requests(MORNING + dt.timedelta(minutes=1), games, None)
    assert len(reqs) == 1 and cursor == MORNING
    assert {k.to_user_string() for k in reqs[0].asset_selection} >= {
        tables.RECOMMENDATION_HISTORY.label, tables.PLAYER_PROP_PREDICTIONS.label, tables.PROP_LINES.label}
    # same tick again: nothing new
    assert slate_refresh_requests(MORNING + dt.timedelta(minutes=2), games, cursor)[0] == []
    # game a's T-10m
    at = TIP - dt.timedelta(minutes=10)
    reqs, cursor = slate_refresh_requests(at + dt.timedelta(seconds=30), games, TIP - dt.timedelta(hours=1))
    assert cursor == at and reqs[0].run_key.endswith(f"{at:%Y%m%dT%H%M}")
    # after game a's tip only game b's refreshes are due; after the last tip nothing at all
    reqs, cursor = slate_refresh_requests(TIP + dt.timedelta(hours=2, minutes=1), games, at)
    assert cursor == TIP + dt.timedelta(hours=2) and "b" in reqs[0].tags["nba/reason"]
    assert slate_refresh_requests(TIP + dt.timedelta(hours=4), games, cursor)[0] == []
