"""The production Dagster instance (deploy/dagster.prod.yaml) on a private PostgreSQL cluster, and the
standard open-source topology on it: a gRPC code server, the webserver and the daemon as separate
processes, all on one Postgres, running a sensor-triggered run end to end on the GCS lake.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx

from nba_assets import tables
from resources.bigquery import query_frame
from tests.conftest import range_tags
from tests.prod import servers

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOPOLOGY_TIMEOUT = 300.0
# Early season: the late-boxscore sensor's 7-day lookback before 2025-10-22 holds one game day
# (opening night, 2025-10-21), so it requests exactly one run.
TOPOLOGY_SIM_NOW = "2025-10-22T17:00:00+00:00"
OPENING_NIGHT = "2025-10-21"


def _dagster_home(tmp: Path, cluster: servers.PostgresCluster, db: str, monkeypatch) -> Path:
    servers.create_database(cluster, db)
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
    for k, v in {**cluster.env(), "DAGSTER_PG_DB": db}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _pg_rows(cluster: servers.PostgresCluster, db: str, sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(host="127.0.0.1", port=cluster.port, user=cluster.user, dbname=db) as conn:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()


def test_runs_and_events_land_in_postgres(prod_env, postgres, tmp_path, monkeypatch):
    _dagster_home(tmp_path, postgres, "dagster_inproc", monkeypatch)
    from dagster._core.run_coordinator import QueuedRunCoordinator

    from nba_assets.definitions import build_definitions

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        job = build_definitions().resolve_job_def("ingest_and_features")
        result = job.execute_in_process(
            instance=instance, tags=range_tags("2025-12-01", "2025-12-02"),
            asset_selection=[tables.SCHEDULE.key],
        )
        assert result.success
    runs = _pg_rows(postgres, "dagster_inproc", "select run_id, status from runs")
    assert runs == [(result.run_id, "SUCCESS")]
    mats = _pg_rows(
        postgres, "dagster_inproc",
        "select asset_key, partition from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION' "
        f"and run_id = '{result.run_id}' order by partition",
    )
    key = tables.SCHEDULE.key.to_string()
    assert [(k, p) for k, p in mats] == [(key, "2025-12-01"), (key, "2025-12-02")]


def _spawn(cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )


def _wait(what: str, cond, timeout: float, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")


def test_code_server_webserver_and_daemon_on_postgres_run_a_sensor_triggered_run(
    prod_env, postgres, tmp_path, monkeypatch
):
    home = _dagster_home(tmp_path, postgres, "dagster_topology", monkeypatch)
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", TOPOLOGY_SIM_NOW)
    logs = tmp_path / "logs"
    logs.mkdir()
    grpc_port, web_port = servers.free_port(), servers.free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n      location_name: nba\n"
    )
    env = {**os.environ, "NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS": "5", "PYTHONWARNINGS": "ignore"}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(_spawn(
            [str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(grpc_port),
             "-m", "nba_assets.definitions", "--location-name", "nba"],
            logs / "code-server.log", env,
        ))
        _wait("the gRPC code server", lambda: _grpc_up(grpc_port), 120, logs)
        # Only the sensor under test: declarative automation would queue follow-up runs we do not need.
        subprocess.run(
            [str(BIN / "dagster"), "sensor", "stop", "nba_automation", "-w", str(workspace)],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=120,
        )
        procs.append(_spawn(
            [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port), "-w", str(workspace)],
            logs / "webserver.log", env,
        ))
        procs.append(_spawn([str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], logs / "daemon.log", env))

        with dg.DagsterInstance.from_config(str(home)) as instance:
            def sensor_run_done():
                runs = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": "late_boxscore_sensor"}))
                failed = [r for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
                assert not failed, f"sensor run failed: {failed[0].run_id}"
                return [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]

            done = _wait("a late_boxscore_sensor run to succeed", sensor_run_done, TOPOLOGY_TIMEOUT, logs)
            run = done[0]
        assert run.tags.get("dagster/partition") == OPENING_NIGHT
        # the run launched by the daemon through the code server wrote the bucket and published the day
        names = {b.name for b in prod_env.storage_client().list_blobs(prod_env.bucket, prefix="nba/lake/")}
        assert f"nba/lake/{tables.BDL_BOXSCORES.label}/{OPENING_NIGHT}.parquet" in names
        with prod_env.bigquery().get_client() as client:
            n = query_frame(
                client, f"select count(*) as n from {tables.BDL_BOXSCORES.view} where game_date = DATE '{OPENING_NIGHT}'",
                "nba-lake-test", prod_env.dataset_prefix,
            )["n"].item()
        assert n > 0
        # the webserver serves the same run from the same Postgres
        _wait("the webserver", lambda: _http_up(f"http://127.0.0.1:{web_port}/server_info"), 120, logs)
        q = '{ runsOrError(filter: {tags: [{key: "dagster/sensor_name", value: "late_boxscore_sensor"}]}) ' \
            '{ ... on Runs { results { runId status } } } }'
        body = httpx.post(f"http://127.0.0.1:{web_port}/graphql", json={"query": q}, timeout=60).json()
        statuses = {r["runId"]: r["status"] for r in body["data"]["runsOrError"]["results"]}
        assert statuses[run.run_id] == "SUCCESS"
        assert _pg_rows(postgres, "dagster_topology", f"select status from runs where run_id = '{run.run_id}'") == [
            ("SUCCESS",)
        ]
    finally:
        for p in reversed(procs):
            servers.stop(p)


def _grpc_up(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient

    try:
        DagsterGrpcClient(port=port, host="127.0.0.1").ping("x")
        return True
    except Exception:  # noqa: BLE001 - not listening yet
        return False



def _http_up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
