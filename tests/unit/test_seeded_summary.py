"""The backfill summary's word on failed checks (nba_assets/cli/seeded.py): which are the simulated
league's seeded faults, which are not, and where to read them."""

from __future__ import annotations

import datetime as dt

import polars as pl

from nba_assets.cli import seeded
from resources.sim import faults as F


def _faults(*rows: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"kind": k, "game_date": dt.date.fromisoformat(d)} for k, d in rows],
        schema={"kind": pl.Utf8, "game_date": pl.Date},
    )


FAULTS = _faults((F.ZERO_PROP_GAME, "2025-12-10"), (F.LATE_BOXSCORE, "2025-12-10"),
                 (F.RATE_LIMIT, "2025-12-11"), (F.DUPLICATE_ROW, "2025-12-12"))
FAILED = [
    ("raw/prop_lines", "prop_availability", "2025-12-10"),
    ("analytics/games", "final_games_have_boxscores", "2025-12-10"),
    ("raw/bdl_boxscores", "no_source_duplicates", "2025-12-12"),
    ("features/player_features", "feature_quality_share", "2025-12-10"),  # a fault's day, not its check
    ("features/player_features", "feature_quality_share", "2025-12-11"),  # a 429 day: retried, no bad record
    ("features/player_features", "feature_quality_share", "2025-12-13"),
    ("predictions/points_model", "model_quality", "2025-12-08"),  # a week (its Monday), not a game date
    ("grading/season_report", "report_ok", None),
]


WEEKLY = {"predictions/points_model"}


def test_each_failure_gets_the_seeded_faults_of_its_game_date():
    faults = pl.concat([FAULTS, _faults((F.MALFORMED_RECORD, "2025-12-08"))])
    got = seeded.attribute(FAILED, faults, WEEKLY)
    by = {(a, c, p): s for a, c, p, s in got.select("asset", "check", "partition", "seeded").iter_rows()}
    assert by[("raw/prop_lines", "prop_availability", "2025-12-10")] == "zero_prop_game"
    assert by[("analytics/games", "final_games_have_boxscores", "2025-12-10")] == "late_boxscore"
    assert by[("features/player_features", "feature_quality_share", "2025-12-10")] is None
    assert by[("raw/bdl_boxscores", "no_source_duplicates", "2025-12-12")] == "duplicate_row"
    assert by[("features/player_features", "feature_quality_share", "2025-12-11")] is None
    assert by[("features/player_features", "feature_quality_share", "2025-12-13")] is None
    assert by[("grading/season_report", "report_ok", None)] is None
    assert by[("predictions/points_model", "model_quality", "2025-12-08")] is None  # the week, not the Monday
    assert got.height == len(FAILED)


def test_the_summary_says_which_are_seeded_faults_and_where_to_read_them():
    lines = seeded.summary_lines(seeded.attribute(FAILED, FAULTS, WEEKLY), sim=True)
    text = "\n".join(lines)
    assert "8 failed check result(s)" in lines[0]
    assert "3 on 2 day(s) where the simulated league seeded a fault on purpose" in text
    assert ("2025-12-10  late_boxscore, zero_prop_game: analytics/games final_games_have_boxscores, "
            "raw/prop_lines prop_availability") in text
    assert "5 not from a seeded fault:" in text
    assert "features/player_features feature_quality_share x3 (2025-12-10..2025-12-13)" in text
    assert "grading/season_report report_ok x1\n" in text + "\n"
    assert "predictions/points_model model_quality x1 (2025-12-08)" in text
    assert "nba-lake checks --failed --date 2025-12-10" in lines[-1] and "Checks tab" in lines[-1]


def test_no_failure_says_nothing_and_live_mode_names_no_seeded_fault():
    assert seeded.summary_lines(seeded.attribute([], FAULTS), sim=True) == []
    lines = seeded.summary_lines(seeded.attribute(FAILED[:1], FAULTS.clear()), sim=False)
    assert "seeded" not in "\n".join(lines)
    assert "1 to look at:" in lines[1] and "--date 2025-12-10" in lines[-1]
    lines = seeded.summary_lines(seeded.attribute(FAILED[-3:-2], FAULTS), sim=True)  # none is a fault's
    assert lines[1:3] == ["  1 not from a seeded fault:",
                          "    features/player_features feature_quality_share x1 (2025-12-13)"]


def test_many_fault_days_are_capped():
    days = [f"2025-12-{d:02d}" for d in range(1, 21)]
    faults = _faults(*[(F.MALFORMED_RECORD, d) for d in days])
    failed = [("raw/bdl_boxscores", "no_rejected_records", d) for d in days]
    lines = seeded.summary_lines(seeded.attribute(failed, faults), sim=True)
    assert sum(ln.startswith("    2025-12-") for ln in lines) == seeded.MAX_DAYS_SHOWN
    assert f"... {20 - seeded.MAX_DAYS_SHOWN} more day(s)" in "\n".join(lines)


def test_the_sim_leagues_seeded_faults_are_read_for_the_days_seasons_only():
    faults = seeded.seeded_faults(7, "seeded", [dt.date(2025, 12, 10)])  # seed 7: zero-prop game that day
    day = faults.filter(pl.col("game_date") == dt.date(2025, 12, 10))
    assert F.ZERO_PROP_GAME in day["kind"].to_list()
    assert faults["game_date"].min() >= dt.date(2025, 10, 1)  # the 2025-26 season only
    assert seeded.seeded_faults(7, "none", [dt.date(2025, 12, 10)]).height == 0
