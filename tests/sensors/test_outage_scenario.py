"""NBA.com down for a game day with the real daemons (`dagster-daemon run`): `nba_assets/cli/outage_scenario.py`.
The other sources' outages are replayed in-process (tests/sensors/test_source_outage.py)."""

from __future__ import annotations

import os

import pytest

from nba_assets import tables
from nba_assets.cli import outage_scenario
from nba_assets.cli.scenario import Scenario


@pytest.mark.e2e
@pytest.mark.slow
def test_nbacom_down_for_a_game_day_is_reconciled_by_the_daemons_alone(tmp_path, monkeypatch):
    # run() exports its settings into os.environ for the daemons it starts; keep them out of other tests.
    for var in ("DAGSTER_HOME", "NBA_LAKE_DATA_DIR", "NBA_LAKE_SOURCE", "NBA_LAKE_SIM_NOW",
                "NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS", "NBA_LAKE_RECOVERY_SENSOR_INTERVAL_SECONDS",
                "NBA_LAKE_AUTOMATION_INTERVAL_SECONDS", "NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS"):
        if var in os.environ:
            monkeypatch.setenv(var, os.environ[var])  # restored after the test
        else:
            monkeypatch.delenv(var, raising=False)
    # The daemons alone (`dagster-daemon run`): the webserver `make scenario-outage` adds is only to watch.
    sc = Scenario(data_dir=tmp_path / "lake_root", dagster_home=tmp_path / "home", timeout_s=420, ui=False)
    out = outage_scenario.run(sc, "nbacom")
    assert out.ok and len(out.days) == 2  # yesterday's results and today's slate ran during the outage
    text = "\n".join(out.timeline)
    assert "sensor source_recovery_sensor" in text and "raw/schedule" in text
    assert "automation condition" in text and tables.GAMES.label in text
    assert not any("FAILURE" in line for line in out.timeline)
