"""Run monitoring on the production topology (deploy/dagster.prod.yaml on PostgreSQL, a gRPC code server,
the daemon): a run whose worker dies with its code server (SIGKILL to the server's process group while
the run is in flight, then the server restarted) is failed by the monitoring daemon within its poll
interval; without a worker health check it stayed STARTED for ever.

Unit: `worker_status`, the launcher's decision, on every case.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from nba_assets.dagster_internals.run_launcher import worker_status
from tests.prod import servers
from tests.prod.test_bigquery_down import Blackhole
from tests.prod.test_postgres_topology import _grpc_up, _spawn, _wait

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POLL_S = 5  # the test's monitoring interval (prod: 30 s)
DAY = "2025-12-11"


@pytest.mark.parametrize(("pid", "alive", "status"), [(None, False, "RUNNING"), (41, True, "RUNNING"), (41, False, "FAILED")])
def test_worker_status(pid, alive, status):
    got, why = worker_status(pid, lambda _: alive)
    assert got == status and (str(pid) in why or pid is None)


def test_a_run_lost_with_its_code_server_is_failed_within_the_monitoring_interval(
    prod_env, postgres, tmp_path, monkeypatch
):
    servers.create_database(postgres, "dagster_monitoring")
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load((REPO / "deploy" / "dagster.prod.yaml").read_text())
    config["run_monitoring"]["poll_interval_seconds"] = POLL_S
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    for k, v in {**postgres.env(), "DAGSTER_PG_DB": "dagster_monitoring"}.items():
        monkeypatch.setenv(k, v)
    hole = Blackhole()  # BigQuery hangs: the run's first publish keeps it in flight for up to a minute
    env = {
        **os.environ, **postgres.env(), "DAGSTER_PG_DB": "dagster_monitoring", "DAGSTER_HOME": str(home),
        "NBA_LAKE_BQ_ENDPOINT": f"http://127.0.0.1:{hole.port}", "PYTHONWARNINGS": "ignore",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    port = servers.free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
                         "      location_name: nba\n")
    code_server = [str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(port),
                   "-m", "nba_assets.definitions", "--location-name", "nba"]
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_spawn(code_server, logs / "code-server.log", env))
        _wait("the code server", lambda: _grpc_up(port), 120, logs)
        for sensor in ("nba_automation", "late_boxscore_sensor", "slate_refresh_sensor", "alerts_sensor"):
            subprocess.run([str(BIN / "dagster"), "sensor", "stop", sensor, "-w", str(workspace)],
                           cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
        procs.append(_spawn([str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], logs / "daemon.log", env))
        subprocess.run(
            [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "ingest_and_features",
             "--tags", f'{{"dagster/partition": "{DAY}"}}'],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=120,
        )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            def started():
                runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
                return runs[0] if runs else None

            run = _wait("the run to start", started, 180, logs)
            time.sleep(3)
            os.killpg(procs[0].pid, signal.SIGKILL)  # the code server and its run worker, at once
            procs[0].wait()
            killed = time.monotonic()
            procs[0] = _spawn(code_server, logs / "code-server-2.log", env)
            _wait("the restarted code server", lambda: _grpc_up(port), 120, logs)

            def failed():
                r = instance.get_run_by_id(run.run_id)
                return r if r.status == dg.DagsterRunStatus.FAILURE else None

            _wait("the lost run to be failed", failed, 120, logs)
            took = time.monotonic() - killed
            text = " ".join(e.message for e in instance.all_logs(run.run_id))
        print(f"lost run failed {took:.1f} s after its worker died (poll interval {POLL_S} s)")
        assert "is gone (killed, or lost with its code server)" in text
    finally:
        for p in reversed(procs):
            servers.stop(p)
        hole.close()
