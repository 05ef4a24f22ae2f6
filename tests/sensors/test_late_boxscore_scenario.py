"""The late-boxscore and NBA.com-outage scenarios at once, with the real daemons, as
`make scenario-late-boxscore` and `make scenario-outage` run each (nba_assets/cli/scenario.py,
outage_scenario.py): one lake, one daemon, nobody touching anything once the sim clock moves."""

from __future__ import annotations

import os

import pytest

from nba_assets import tables
from nba_assets.cli import scenario


@pytest.mark.e2e
@pytest.mark.slow
def test_late_boxscore_and_nbacom_outage_are_reconciled_by_the_daemons_alone(tmp_path, monkeypatch):
    # run() exports its settings into os.environ for the daemons it starts; keep them out of other tests.
    for var in ("DAGSTER_HOME", "NBA_LAKE_DATA_DIR", "NBA_LAKE_SOURCE", "NBA_LAKE_SIM_NOW",
                "NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS", "NBA_LAKE_AUTOMATION_INTERVAL_SECONDS",
                "NBA_LAKE_RECOVERY_SENSOR_INTERVAL_SECONDS", "NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS"):
        if var in os.environ:
            monkeypatch.setenv(var, os.environ[var])  # restored after the test
        else:
            monkeypatch.delenv(var, raising=False)
    # The daemons alone (`dagster-daemon run`): the webserver the make targets add is only to watch.
    sc = scenario.Scenario(data_dir=tmp_path / "lake_root", dagster_home=tmp_path / "home", timeout_s=480, ui=False)
    out = scenario.run(sc, late=True, outage="nbacom")
    assert out.ok
    # Detected by the sensor, before everything was fixed; how fast is a figure (README), not a test:
    # on busy cores a tick can take longer than any bound we would pick (scenario.run waits, bounded).
    assert out.detected_s is not None and 0 <= out.detected_s <= out.fixed_s
    text = "\n".join(out.timeline)
    assert "late_boxscore_sensor" in text and "automation condition" in text
    assert tables.PLAYER_GAME_SUMMARY.label in text and tables.PLAYER_FEATURES.label in text
    assert tables.PREDICTION_GRADES.label in text
    assert not any("FAILURE" in line for line in out.timeline)
    log = "\n".join(sc.log)
    assert f"final_games_have_boxscores for {out.day}: FAILED" in log
    assert f"final_games_have_boxscores for {out.day}: SUCCEEDED" in log
    # NBA.com down for today's game-day run: yesterday's results and today's slate went through, the
    # recovery sensor re-ingested the days (and their games) once it answered
    assert len(out.outage_days) == 2
    assert "sensor source_recovery_sensor" in text and "raw/schedule" in text and tables.GAMES.label in text
