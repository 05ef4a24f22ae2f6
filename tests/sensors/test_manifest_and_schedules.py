"""Pure logic behind the sensors and schedules: fingerprints, change detection, game-day planning."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from checks.health import health_verdict
from nba_assets import tables
from sensors.late_boxscores import plan_requests
from sensors.manifest import boxscore_manifest, changed_days
from sensors.schedules import LINES, OFF_DAY, RESULTS, SLATE, game_day_requests, slate_refresh_requests

D1, D2 = dt.date(2026, 1, 9), dt.date(2026, 1, 10)


def rows(day: dt.date, players: dict[str, int]) -> pl.DataFrame:
    n = len(players)
    return pl.DataFrame(
        {
            "game_date": [day] * n,
            "home_team": ["BOS"] * n,
            "away_team": ["LAL"] * n,
            "player_lookup": list(players),
            "points": list(players.values()),
            "minutes": [30.0] * n,
        }
    )


def test_manifest_is_order_independent_and_sensitive_to_a_stat_change():
    a = boxscore_manifest(rows(D1, {"x": 10, "y": 20}), "bdl")
    b = boxscore_manifest(rows(D1, {"y": 20, "x": 10}), "bdl")
    c = boxscore_manifest(rows(D1, {"x": 12, "y": 20}), "bdl")
    assert a == b
    assert a[(str(D1), "bdl")] != c[(str(D1), "bdl")]


def test_manifest_keys_by_day_and_source():
    m = boxscore_manifest(pl.concat([rows(D1, {"x": 1}), rows(D2, {"x": 1})]), "nbacom")
    assert set(m) == {(str(D1), "nbacom"), (str(D2), "nbacom")}
    assert boxscore_manifest(rows(D1, {}), "bdl") == {}


def test_changed_days_ignores_equal_and_already_requested():
    probe = {("2026-01-09", "bdl"): "aaa", ("2026-01-10", "bdl"): "bbb", ("2026-01-11", "bdl"): "ccc"}
    lake = {("2026-01-09", "bdl"): "aaa", ("2026-01-10", "bdl"): "old"}
    assert changed_days(probe, lake, {}) == {("2026-01-10", "bdl"): "bbb", ("2026-01-11", "bdl"): "ccc"}
    assert changed_days(probe, lake, {"2026-01-10|bdl": "bbb"}) == {("2026-01-11", "bdl"): "ccc"}


def test_plan_requests_one_run_per_changed_day_and_nothing_when_unchanged():
    probe = {("2026-01-09", "bdl"): "a1", ("2026-01-09", "nbacom"): "n1", ("2026-01-10", "bdl"): "b"}
    lake = {("2026-01-10", "bdl"): "b"}
    reqs, cursor = plan_requests(probe, lake, {})
    assert [r.partition_key for r in reqs] == ["2026-01-09"]
    assert {k.to_user_string() for k in reqs[0].asset_selection} == {
        tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label
    }
    assert cursor == {"2026-01-09|bdl": "a1", "2026-01-09|nbacom": "n1"}
    again, _ = plan_requests(probe, lake, cursor)
    assert again == []
    # once the lake caught up, still nothing
    assert plan_requests(probe, dict(probe), {})[0] == []


def _games(day: dt.date, n: int, tip_hour_utc: int = 0) -> pl.DataFrame:
    tip = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(tip_hour_utc), tzinfo=dt.UTC)
    return pl.DataFrame(
        {"game_date": [day] * n, "game_id": [f"00225{i:05d}" for i in range(n)], "tipoff_utc": [tip] * n,
         "status": [1] * n}
    )


def _keys(req: dg.RunRequest) -> set[str]:
    return {k.to_user_string() for k in req.asset_selection}


def test_game_day_runs_results_for_yesterday_and_slate_for_today():
    reqs = game_day_requests(D2, {D1: _games(D1, 8), D2: _games(D2, 5)})
    by_part = {r.partition_key: _keys(r) for r in reqs}
    assert by_part == {
        str(D1): {k.to_user_string() for k in RESULTS},
        str(D2): {k.to_user_string() for k in SLATE},
    }


def test_off_day_writes_only_empty_partitions_of_today():
    reqs = game_day_requests(D2, {D1: _games(D1, 0), D2: _games(D2, 0)})
    assert len(reqs) == 1 and reqs[0].partition_key == str(D2)
    assert _keys(reqs[0]) == {k.to_user_string() for k in OFF_DAY}
    assert tables.POINTS_MODEL.label not in _keys(reqs[0])


def test_unknown_schedule_counts_as_game_day():
    reqs = game_day_requests(D2, None)
    assert {r.partition_key for r in reqs} == {str(D1), str(D2)}


def test_a_day_whose_schedule_the_lake_lacks_yet_counts_as_a_game_day(tmp_path):
    """The morning run writes today's schedule: before it, the lake holds yesterday's only."""
    from resources.lake_reader import LakeReader
    from sensors.schedules import games_on

    folder = tmp_path / "lake" / "raw" / "schedule"
    folder.mkdir(parents=True)
    _games(D1, 8).write_parquet(folder / f"{D1}.parquet")
    games = games_on(LakeReader(tmp_path), [D1, D2])
    assert games[D1].height == 8 and games[D2] is None
    assert {r.partition_key: _keys(r) for r in game_day_requests(D2, games)} == {
        str(D1): {k.to_user_string() for k in RESULTS},
        str(D2): {k.to_user_string() for k in SLATE},
    }
    _games(D2, 0).write_parquet(folder / f"{D2}.parquet")  # a known day without games stays an off-day
    assert [r.partition_key for r in game_day_requests(D2, games_on(LakeReader(tmp_path), [D1, D2]))] == [str(D1), str(D2)]
    assert _keys(game_day_requests(D2, games_on(LakeReader(tmp_path), [D1, D2]))[1]) == {
        k.to_user_string() for k in OFF_DAY}


def test_slate_refresh_only_before_the_last_tip():
    games = _games(D1, 3, tip_hour_utc=0)  # tips 2026-01-10 00:00 UTC = 19:00 ET on D1
    before = dt.datetime(2026, 1, 9, 21, 5, tzinfo=dt.UTC)  # just after T-3h
    after = dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC)
    reqs, cursor = slate_refresh_requests(before, games, None)
    assert len(reqs) == 1 and reqs[0].partition_key == str(D1)
    assert cursor == dt.datetime(2026, 1, 9, 21, tzinfo=dt.UTC)
    assert _keys(reqs[0]) == {k.to_user_string() for k in LINES}
    assert slate_refresh_requests(after, games, cursor) == ([], cursor)


def test_health_verdict_fails_when_stalled():
    now = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    assert health_verdict(now - dt.timedelta(hours=3), now)[0]
    ok, text = health_verdict(now - dt.timedelta(hours=45), now)
    assert not ok and "45.0 h" in text
    assert not health_verdict(None, now)[0]
