"""The simulated league's injected faults trip the right check on the right partition; a clean day
passes every check. Real definitions, real sources (sim), real lake; sim clock = conftest.SIM_NOW.

Seed-7 faults: 2025-12-10 has a late boxscore (not yet released at SIM_NOW) and a zero-prop game;
2025-12-01 has a duplicated row in both sources and an NBA.com stat correction (released 12-04);
2025-12-08 has no fault.
"""

from __future__ import annotations

import dagster as dg
import pytest

from nba_assets import tables
from nba_assets.definitions import build_definitions

RAW_AND_ANALYTICS = [
    dg.AssetKey(p)
    for p in (
        tables.SCHEDULE.path, tables.BDL_GAMES.path, tables.BDL_BOXSCORES.path, tables.NBACOM_BOXSCORES.path, tables.PROP_LINES.path,
        tables.INJURIES.path, tables.GAMES.path, tables.PLAYER_GAME_SUMMARY.path,
        tables.TEAM_GAME_SUMMARY.path,
    )
]


def _run_day(day: str, instance) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    defs = build_definitions()
    job = defs.resolve_job_def("ingest_and_features")
    res = job.execute_in_process(
        partition_key=day, asset_selection=RAW_AND_ANALYTICS, instance=instance, raise_on_error=False
    )
    evs = {}
    for e in res.get_asset_check_evaluations():
        assert e.partition == day  # per-partition results: what the UI shows per day
        evs[(e.asset_key.to_user_string(), e.check_name)] = e
    return evs


def _failed(evs) -> dict[tuple[str, str], str]:
    return {k: e.severity.value for k, e in evs.items() if not e.passed}


@pytest.fixture
def faulty_day(sim_lake, instance):
    return _run_day("2025-12-10", instance)


def test_clean_day_passes_every_check(sim_lake, instance):
    evs = _run_day("2025-12-08", instance)
    assert len(evs) >= 20
    assert _failed(evs) == {}


def test_late_boxscore_and_zero_prop_game_trip_their_checks_on_their_day(faulty_day):
    failed = _failed(faulty_day)
    assert failed[(tables.GAMES.label, "final_games_have_boxscores")] == "ERROR"
    assert "0022500368" in faulty_day[(tables.GAMES.label, "final_games_have_boxscores")].metadata[
        "offending_sample"
    ].value
    assert failed[(tables.PROP_LINES.label, "prop_availability")] == "WARN"
    assert "2025-12-10" in faulty_day[(tables.PROP_LINES.label, "prop_availability")].metadata["failing_dates"].value
    # the late game is missing from each source too (WARN); nothing else fails on that day
    assert set(failed) == {
        (tables.GAMES.label, "final_games_have_boxscores"),
        (tables.GAMES.label, "final_games_in_every_source"),
        (tables.PROP_LINES.label, "prop_availability"),
    }


def test_duplicate_rows_and_stat_correction_trip_their_checks(sim_lake, instance):
    evs = _run_day("2025-12-01", instance)
    failed = _failed(evs)
    assert failed[(tables.BDL_BOXSCORES.label, "no_source_duplicates")] == "WARN"
    assert failed[(tables.NBACOM_BOXSCORES.label, "no_source_duplicates")] == "WARN"
    assert "Walker Wagner Jr." in evs[(tables.BDL_BOXSCORES.label, "no_source_duplicates")].metadata["duplicates"].value
    # the duplicate never reached the table: the blocking duplicate-key checks pass
    assert evs[(tables.BDL_BOXSCORES.label, "no_duplicate_keys")].passed
    assert evs[(tables.PLAYER_GAME_SUMMARY.label, "no_duplicate_keys")].passed
    assert failed[(tables.PLAYER_GAME_SUMMARY.label, "sources_agree")] == "WARN"
    sample = evs[(tables.PLAYER_GAME_SUMMARY.label, "sources_agree")].metadata["offending_sample"].value
    assert "isaiahoneale" in sample
    # the corrected line no longer adds up to the schedule's final score for that team (WARN), while
    # the team rows still equal their players' sum (our aggregation is right)
    assert failed[(tables.TEAM_GAME_SUMMARY.label, "team_points_match_final_score")] == "WARN"
    assert evs[(tables.TEAM_GAME_SUMMARY.label, "team_rows_match_players")].passed
    assert set(failed) == {
        (tables.BDL_BOXSCORES.label, "no_source_duplicates"),
        (tables.NBACOM_BOXSCORES.label, "no_source_duplicates"),
        (tables.PLAYER_GAME_SUMMARY.label, "sources_agree"),
        (tables.TEAM_GAME_SUMMARY.label, "team_points_match_final_score"),
    }
