"""The operator's commands in production on the simulated league: NBA_LAKE_ENV=prod, the lake on the GCS
emulator, BigQuery on its emulator, Dagster's state in PostgreSQL (deploy/dagster.prod.yaml), the sim's
clock in NBA_LAKE_SIM_STATE_DIR and driven by `nba-lake sim` (no NBA_LAKE_SIM_NOW, as an operator runs it).

Every command answers; none exits 2 with "cannot read the sim clock" (they used to build the sources
without the sim state dir).
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from nba_assets import tables
from nba_assets.cli import commands as cli
from nba_assets.cli import preflight
from tests.prod import servers

REPO = Path(__file__).resolve().parents[2]
D1 = D2 = "2025-12-11"  # one day keeps the test short; a range is the same code
NOW = "2025-12-12T17:00:00Z"


@pytest.fixture
def operator(prod_env, postgres, tmp_path, monkeypatch):
    servers.create_database(postgres, "dagster_cli")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
    for k, v in {**postgres.env(), "DAGSTER_PG_DB": "dagster_cli", "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("NBA_LAKE_SIM_NOW")
    return prod_env


def run(capsys, *args: str) -> tuple[int, str]:
    rc = cli.entry(list(args))
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_every_operator_command_works_in_prod_with_the_simulated_league(operator, capsys, caplog):
    rc, out = run(capsys, "sim", "advance", "--to", NOW)
    assert rc == 0, out
    assert (Path(operator.env["NBA_LAKE_SIM_STATE_DIR"]) / "clock.json").exists()
    rc, out = run(capsys, "sim", "status")
    assert rc == 0 and "game date 2025-12-12" in out, out

    # the entry point's pre-check reads the same clock: 2025-12-12 is today, not the wall clock's date
    assert preflight.last_game_date()[0].isoformat() == "2025-12-12"
    assert preflight.backfill_refusal(["backfill", "--start", D1, "--end", "2025-12-13"]) is not None
    # the real console script once: its exit is where gcsfs' read-ahead tasks were destroyed pending
    for layer in ("raw", "analytics"):
        rc, out = run(capsys, "backfill", "--start", D1, "--end", D2, "--select", layer)
        assert rc == 0, out
    rc, out = run(capsys, "status", "--days", "3")
    assert rc == 0 and "Fri 12-12" in out and "2025-12-12 (today on the" in out, out
    rc, out = run(capsys, "health")
    assert rc in (0, 1) and out.startswith(("OK", "UNHEALTHY")), out  # no game-day run yet: UNHEALTHY
    rc, out = run(capsys, "checks", "--date", D1)
    assert rc == 0 and "evaluated" in out, out
    rc, out = run(capsys, "sql", f"select count(*) as n from {tables.PLAYER_GAME_SUMMARY.view}")
    assert rc == 0, out
    rc, out = run(capsys, "publish", "--start", D1, "--end", D2, "--select", "raw")
    assert rc == 0 and tables.BDL_BOXSCORES.label in out, out
    rc, out = run(capsys, "sql", "--engine", "bigquery", f"select count(*) as n from {tables.BDL_BOXSCORES.view}")
    assert rc == 0, out
    from resources.lake_reader import LakeReader

    game, player = LakeReader(operator.data_dir).query(
        f"select game_id, player_lookup from {tables.PLAYER_GAME_SUMMARY.view} where minutes > 20 order by 1, 2 limit 1"
    ).row(0)
    rc, out = run(capsys, "trace", "--game", game, "--player", player)
    assert rc == 0 and game in out, out
    # gcsfs' adaptive read-ahead left a task pending per file read in part (status' footers, DuckDB):
    # asyncio logged "Task was destroyed but it is pending!" for each (resources/gcs_files.py)
    gc.collect()
    noise = [r.getMessage() for r in caplog.records if "Task was destroyed" in r.getMessage()]
    assert noise == []
