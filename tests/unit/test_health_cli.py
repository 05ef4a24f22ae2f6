"""`nba-lake health`: one line and exit 0 when healthy, exit 1 with the reason when stalled or stale.

The first call runs the installed console script in a subprocess, as cron or an uptime check would;
the others go through the same entry point in-process.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from checks.health import health_report, record_game_day_success
from nba_assets.definitions import ALL_ASSETS

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2025, 12, 12, 17, 0, tzinfo=dt.UTC)
RAW_KEYS = sorted({k for a in ALL_ASSETS for k in a.keys if k.path[0] == "raw"}, key=lambda k: k.path)


def _health(env: dict[str, str], sim_now: dt.datetime) -> tuple[int, str, str]:
    cli = Path(sys.executable).with_name("nba-lake")
    res = subprocess.run(
        [str(cli), "health"], capture_output=True, text=True, timeout=120,
        env={**env, "NBA_LAKE_SIM_NOW": sim_now.isoformat()}, cwd=ROOT,
    )
    return res.returncode, res.stdout, res.stderr


def test_health_exit_codes_on_a_real_instance(tmp_path, monkeypatch, capsys):
    from nba_assets.cli.commands import entry

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_LAKE_")}
    env |= {"DAGSTER_HOME": str(home), "NBA_LAKE_DATA_DIR": str(tmp_path / "data"), "NBA_LAKE_SOURCE": "sim"}

    rc, out, err = _health(env, NOW)  # the installed script on a fresh instance: nothing ever ran
    assert rc == 1, err
    assert out.count("\n") == 1 and out.startswith("UNHEALTHY: no successful game_day run on record")
    assert "raw/schedule never written" in out

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with dg.DagsterInstance.get() as instance:
        record_game_day_success(instance, "run-1", NOW - dt.timedelta(hours=2), pinged=True)
        for key in RAW_KEYS:
            instance.report_runless_asset_event(dg.AssetMaterialization(key))

    monkeypatch.setenv("NBA_LAKE_SIM_NOW", NOW.isoformat())
    assert entry(["health"]) == 0
    assert capsys.readouterr().out == (
        f"OK: last successful game_day run 2.0 h ago; {len(RAW_KEYS)} raw table(s) written within 26 h\n"
    )
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", (NOW + dt.timedelta(hours=30)).isoformat())  # a 30-hour stall
    assert entry(["health"]) == 1
    assert capsys.readouterr().out == "UNHEALTHY: last successful game_day run 32.0 h ago (window 1 day, 2:00:00)\n"


def test_health_report_names_every_stale_table():
    wall = 1_000_000.0
    ok, line = health_report(NOW, NOW, {"raw/a": wall - 27 * 3600, "raw/b": wall - 3600, "raw/c": None}, wall)
    assert not ok
    assert line == "UNHEALTHY: raw/a last written 27.0 h ago (limit 26 h); raw/c never written"
