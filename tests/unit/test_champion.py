"""Champion and challengers (logic/champion.py): the promotion rule, no leakage, a fourth system by one
registration, the picks a day publishes, and the asset on a tmp lake."""

from __future__ import annotations

import datetime as dt
import math

import dagster as dg
import numpy as np
import polars as pl
import pytest

from io_managers.lake import ParquetLakeIOManager
from nba_assets import tables
from nba_assets.contracts import ChampionContract
from nba_assets.grading import champion as champion_asset
from nba_assets.logic import champion as ch
from nba_assets.logic import history, systems
from nba_assets.logic import modeling as m
from nba_assets.logic.grading import daily_performance, grade_predictions
from nba_assets.logic.system_ids import BASELINE_SYSTEM
from resources.lake import LakeResource
from tests.unit.test_history import TIP, build, day, snapshot  # noqa: F401 (day: a fixture)

D0 = dt.date(2025, 1, 1)
RULE = ch.Rule(window_days=30, margin=0.02, min_bets=100, initial="a")


def perf(rows: list[tuple[int, str, int, float]]) -> pl.DataFrame:
    """system_daily_performance rows from (day offset, system, priced bets, profit units)."""
    out = [{"game_date": D0 + dt.timedelta(days=i), "system_id": s, "priced_bets": n, "profit_units": p,
            "wins": n // 2, "losses": n - n // 2, "clv_bets": n, "clv": 0.5} for i, s, n, p in rows]  # fmt: skip
    return pl.DataFrame(out, schema={c: tables.SYSTEM_DAILY_PERFORMANCE.empty().schema[c] for c in ch.PERFORMANCE_COLUMNS})


def days(n: int) -> list[dt.date]:
    return [D0 + dt.timedelta(days=i) for i in range(n)]


def titles(frame: pl.DataFrame) -> list[str]:
    return frame["champion"].to_list()


def test_a_challenger_is_promoted_once_it_has_the_sample_and_the_margin():
    # 60 bets a day: b reaches 100 bets in the window after two graded days (day 0 and 1), so day 2
    rows = [(i, "a", 60, 0.0) for i in range(5)] + [(i, "b", 60, 1.8) for i in range(5)]  # b: +3% ROI
    out = ch.champion_history(perf(rows), days(6), RULE)
    ChampionContract.validate(out)
    assert titles(out) == ["a", "a", "b", "b", "b", "b"]
    promo = out.row(2, named=True)
    assert promo["promoted"] and promo["previous_champion"] == "a" and promo["window_start"] == D0 - dt.timedelta(days=28)
    assert (promo["champion_bets"], promo["challenger"], promo["challenger_roi"]) == (120, "a", 0.0)
    assert promo["champion_roi"] == pytest.approx(0.03)
    assert (promo["previous_champion_bets"], promo["previous_champion_roi"]) == (120, 0.0)
    assert out["promoted"].to_list() == [False, False, True, False, False, False]


@pytest.mark.parametrize(("profit", "bets", "promoted"), [(1.2, 60, True), (1.19, 60, False), (6.0, 49, False)])
def test_the_margin_is_inclusive_and_the_sample_is_a_floor(profit, bets, promoted):
    # b's ROI over a's: exactly +2% (1.2/60) is promoted, just below is not; 98 bets in the window never are
    rows = [(i, "a", 60, 0.0) for i in range(2)] + [(i, "b", bets, profit) for i in range(2)]
    assert titles(ch.champion_history(perf(rows), [D0 + dt.timedelta(days=2)], RULE)) == ["b" if promoted else "a"]


def test_ties_are_broken_by_sample_then_name_and_a_champion_without_bets_yields():
    rows = [(0, "a", 100, 0.0), (0, "c", 100, 5.0), (0, "b", 100, 5.0), (0, "d", 50, 5.0)]
    assert titles(ch.champion_history(perf(rows), [D0 + dt.timedelta(days=1)], RULE)) == ["b"]
    rows = [(0, "a", 100, 0.0), (0, "c", 200, 10.0), (0, "b", 100, 5.0)]
    assert titles(ch.champion_history(perf(rows), [D0 + dt.timedelta(days=1)], RULE)) == ["c"]
    # the champion "a" has no bet in the window (retired): the best qualifying challenger takes over,
    # even at a loss, since there is nothing to beat
    rows = [(0, "b", 100, -3.0)]
    assert titles(ch.champion_history(perf(rows), [D0 + dt.timedelta(days=1)], RULE)) == ["b"]
    # and an old record leaves the window: a's 30-day-old good days no longer defend it
    rows = [(0, "a", 500, 50.0), (0, "b", 500, 0.0), (35, "b", 100, 1.0)]
    assert titles(ch.champion_history(perf(rows), [D0 + dt.timedelta(days=36)], RULE)) == ["b"]


def test_a_day_uses_only_grades_before_it_and_any_day_is_the_same_alone_or_in_a_range():
    rows = [(i, "a", 60, 0.0) for i in range(20)] + [(i, "b", 60, -1.0) for i in range(20)]
    base = ch.champion_history(perf(rows), days(21), RULE)
    assert set(titles(base)) == {"a"}
    # b is perfect from day 10 on: days up to 10 are unchanged (day 10 does not see day 10's grades)
    later = [(i, "b", 60, 60.0) for i in range(10, 20)]
    changed_perf = perf([r for r in rows if not (r[1] == "b" and r[0] >= 10)] + later)
    changed = ch.champion_history(changed_perf, days(21), RULE)
    assert changed.head(11).equals(base.head(11))
    assert titles(changed)[11:12] == ["b"]
    # a day's row does not depend on which days are asked for (the rule is replayed from the first graded day)
    for i in (3, 11, 20):
        alone = ch.champion_history(changed_perf, [D0 + dt.timedelta(days=i)], RULE)
        assert alone.row(0) == changed.row(i)


def test_the_published_picks_are_the_champions():
    champions = ch.champion_history(perf([(0, "a", 100, 0.0), (0, "b", 100, 10.0)]), days(2), RULE)
    assert ch.backing_system(champions, D0) == "a" and ch.backing_system(champions, D0 + dt.timedelta(days=1)) == "b"
    with pytest.raises(LookupError, match="2025-01-05"):
        ch.backing_system(champions, D0 + dt.timedelta(days=4))
    preds = pl.DataFrame(
        {"game_date": [D0, D0, D0 + dt.timedelta(days=1), D0 + dt.timedelta(days=1), D0],
         "system_id": ["a", "b", "a", "b", "a"], "player_lookup": ["p", "p", "q", "q", "r"],
         "recommendation": ["OVER", "UNDER", "OVER", "UNDER", "PASS"]}
    )  # fmt: skip
    picks = ch.backed_picks(preds, champions)
    assert picks.select("game_date", "player_lookup", "backed_by").rows() == [
        (D0, "p", "a"), (D0 + dt.timedelta(days=1), "q", "b")
    ]


def losing_lines(day) -> list[dict]:  # noqa: F811
    """One book's line per player, set where the moving average's side loses (and the truth's wins)."""
    feats, actuals, _ = day
    points = dict(actuals.select("player_lookup", "points").iter_rows())
    base = feats.select("player_lookup", b=m.baseline_expr())
    out = []
    for player, b in base.iter_rows():
        a = points.get(player)
        if a is None or a == b:
            continue
        line = math.floor(b - 2) - 0.5 if a < b else math.ceil(b + 2) + 0.5  # baseline: OVER / UNDER
        if line >= 0.5 and (a < line) == (a < b):  # the actual is past the line, away from the baseline
            out.append(snapshot(player, line, TIP - dt.timedelta(hours=36)))
    return out


def test_a_fourth_system_competes_by_registering_it(day):  # noqa: F811
    """An oracle system (it knows the points) registered in the test is predicted, graded and, on lines
    the moving average loses, champion the day after its first graded day; nothing else changed."""
    _, actuals, _ = day
    points = dict(actuals.select("player_lookup", "points").iter_rows())

    @systems.register("fixture_oracle", "v1", ("player_lookup",))
    def oracle(data: systems.SystemInput) -> systems.SystemOutput:
        n = data.features.height
        got = np.array([float(points.get(p, 0)) for p in data.features["player_lookup"]])
        return systems.SystemOutput(got, np.full(n, 0.5), np.ones(n, dtype=bool), "fixture_oracle@v1")

    try:
        props = losing_lines(day)
        assert len(props) >= 3
        current = history.latest(build(day, props, [], TIP + dt.timedelta(hours=1)))
        day_perf = daily_performance(grade_predictions(current, actuals))
        figures = {r["system_id"]: r for r in day_perf.iter_rows(named=True)}
        assert figures["fixture_oracle"]["losses"] == 0 and figures[BASELINE_SYSTEM]["wins"] == 0
        graded_day = day_perf["game_date"][0]
        rule = ch.Rule(min_bets=1, initial=BASELINE_SYSTEM)
        out = ch.champion_history(day_perf, [graded_day, graded_day + dt.timedelta(days=1)], rule)
        assert titles(out) == [BASELINE_SYSTEM, "fixture_oracle"]
        assert out["champion_roi"][1] == pytest.approx(100 / 110, abs=1e-3)  # every bet won at -110
        assert out["challenger_roi"][1] == -1.0
    finally:
        systems.unregister("fixture_oracle")


def test_the_asset_writes_a_row_per_day_and_says_who_was_promoted(tmp_path):
    rows = [(i, "moving_avg_l10", 60, 0.0) for i in range(3)] + [(i, "lgbm_points_v1", 60, 3.0) for i in range(3)]
    frame = perf(rows)
    full = tables.SYSTEM_DAILY_PERFORMANCE.empty()
    for d, part in frame.group_by("game_date"):
        folder = tmp_path / "lake" / "grading" / "system_daily_performance"
        folder.mkdir(parents=True, exist_ok=True)
        filled = part.with_columns(pl.lit(None, dtype=full.schema[c]).alias(c) for c in full.columns if c not in part.columns)
        filled.select(full.columns).cast(full.schema).write_parquet(folder / f"{d[0]}.parquet")
    instance = dg.DagsterInstance.ephemeral()
    resources = {"lake": LakeResource(data_dir=str(tmp_path)), "io_manager": ParquetLakeIOManager(base_dir=str(tmp_path))}
    tags = {"dagster/asset_partition_range_start": "2025-01-01", "dagster/asset_partition_range_end": "2025-01-04"}
    written_bytes = []
    for _ in range(2):  # re-running the range writes the same bytes
        result = dg.materialize([champion_asset], resources=resources, instance=instance, tags=tags)
        assert result.success
        written = pl.read_parquet(tmp_path / "lake" / "grading" / "champion" / "*.parquet").sort("game_date")
        assert titles(written) == ["moving_avg_l10", "moving_avg_l10", "lgbm_points_v1", "lgbm_points_v1"]
        written_bytes.append([f.read_bytes() for f in sorted((tmp_path / "lake" / "grading" / "champion").glob("*.parquet"))])
    assert len(written_bytes[0]) == 4 and written_bytes[0] == written_bytes[1]
    events = {e.materialization.partition: e.materialization.metadata for e in result.get_asset_materialization_events()}
    promo = events["2025-01-03"]
    assert promo["promoted"].value is True and promo["previous_champion"].value == "moving_avg_l10"
    assert promo["previous_champion_roi"].value == 0.0 and promo["previous_champion_bets"].value == 120
    assert promo["champion_roi"].value == pytest.approx(0.05)
