"""The production topology on one host, as processes: exactly the commands of deploy/docker-compose.yaml's
services (a gRPC code server, dagster-webserver, dagster-daemon) with deploy/dagster.prod.yaml on a
private PostgreSQL, the GCS emulator behind a proxy that can answer 503, the BigQuery emulator
(persistent, so it can be stopped and started again with its data), and a loopback receiver standing
for the alert webhook and the heartbeat monitor. NBA_LAKE_ENV=prod on the simulated league, whose clock
file (NBA_LAKE_SIM_STATE_DIR) every process reads.

Each action of the soak's faults is a method here: stop/start BigQuery, a GCS 503 burst, `pg_ctl
restart`, SIGKILL to one run worker, and the code server restarted as `docker compose restart` does it
(SIGTERM to the server, the rest of its container killed with it, then started again).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.prod import servers
from tests.prod.soak.gcs_proxy import Gcs503Proxy
from tests.receiver import Receiver

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PROJECT = "nba-lake-soak"
STOP_GRACE_S = 10.0
FIRST_GAME_DATE = "2025-10-20"  # the eve of the simulated league's opening night: the lake's first partition  # docker stop's default grace period before SIGKILL


def lookback_days() -> int:
    """Days from the lake's first partition to the wall clock's today, plus automation's own 14."""
    import datetime as dt

    return (dt.date.today() - dt.date.fromisoformat(FIRST_GAME_DATE)).days + 14


@dataclass
class Settings:
    monitoring_poll_s: int = 30  # deploy/dagster.prod.yaml's value
    sensor_interval_s: int = 5  # game-day, slate, alerts sensors
    automation_interval_s: int = 10
    late_sensor_interval_s: int = 10
    publish_deadline_s: int = 10
    # deploy/docker-compose.yaml runs "multiprocess" (a process per step); on a 2-core host shared with
    # other work that is a process start per check step (~150 a game day), so the soak runs in-process.
    executor: str = "in_process"
    keep: bool = False  # keep the soak's directory (logs, lake, Postgres) after the run
    # The deployment's processes run from a virtual environment installed from uv.lock as the image
    # installs it (no dev extra, the project as a wheel, byte-compiled), outside the work tree; False:
    # from the work tree's .venv (the short soak in make test: `make setup` installed it from the lock).
    clean_env: bool = True


@dataclass
class Topology:
    settings: Settings
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nba-lake-soak-")))
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base.chmod(0o755)  # the PostgreSQL cluster below runs as the postgres user
        self.logs = self.base / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.home = self.base / "dagster_home"
        self.sim_state = self.base / "sim"
        self.sim_state.mkdir(exist_ok=True)
        tag = uuid.uuid4().hex[:8]
        self.bucket, self.prefix = f"nba-lake-soak-{tag}", f"soak{tag}_"
        self.data_dir = f"gs://{self.bucket}/nba"
        # Buckets of their own, as in production: step logs (compute logs) and the published exports.
        self.logs_bucket, self.exports_bucket = f"nba-lake-soak-logs-{tag}", f"nba-lake-soak-exports-{tag}"
        self.pg: servers.PostgresCluster | None = None
        self.proxy: Gcs503Proxy | None = None
        self.receiver: Receiver | None = None
        self.grpc_port, self.web_port = servers.free_port(), servers.free_port()
        self.bq_port, self.bq_grpc_port = servers.free_port(), servers.free_port()
        self.env: dict[str, str] = {}
        self.bin, self.cwd = BIN, REPO  # where the deployment's commands come from and run in

    def install(self) -> float:
        """The image's install (deploy/Dockerfile: `uv sync --locked --extra k8s --no-editable`,
        byte-compiled) into <base>/venv from uv's cache; the deployment then runs from there, in a
        directory without the sources, so only what the wheel holds is importable. Returns seconds."""
        import time

        t0 = time.monotonic()
        venv = self.base / "venv"
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_COMPILE_BYTECODE": "1", "UV_LINK_MODE": "copy"}
        env.pop("VIRTUAL_ENV", None)
        subprocess.run([str(BIN / "uv"), "sync", "-q", "--locked", "--extra", "k8s", "--no-dev", "--no-editable",
                        "--python", sys.executable], cwd=REPO, env=env, check=True, timeout=600)
        self.bin, self.cwd = venv / "bin", self.base
        return time.monotonic() - t0

    # ------------------------------------------------------------------------------- backing services
    def start_services(self) -> None:
        """PostgreSQL, GCS (+ proxy), BigQuery, the receiver; the instance config and the environment."""
        self.pg = servers.start_postgres(self.base / "pg")  # raises PostgresUnavailable without Debian's postgresql
        gcs_port = servers.free_port()
        self.proxy = Gcs503Proxy(f"http://127.0.0.1:{gcs_port}")
        root = self.base / "gcs"
        root.mkdir()
        # -external-url: the upload URLs the emulator hands out go through the proxy too
        self.procs["gcs"] = self._spawn("gcs", [
            str(servers.fake_gcs_binary()), "-scheme", "http", "-backend", "filesystem", "-filesystem-root", str(root),
            "-host", "127.0.0.1", "-port", str(gcs_port), "-external-url", self.proxy.url,
            "-public-host", self.proxy.url.removeprefix("http://"), "-log-level", "warn",
        ])
        self.gcs_root = root
        self._wait_http(f"http://127.0.0.1:{gcs_port}/storage/v1/b", "gcs")
        self.start_bigquery()
        self.receiver = Receiver().__enter__()
        self._write_instance()
        self.env = self._environment()
        os.environ.update(self.env)  # the driver reads the same instance and lake
        os.environ.pop("NBA_LAKE_SIM_NOW", None)  # the clock file drives every process
        for bucket in (self.bucket, self.logs_bucket, self.exports_bucket):
            self.storage_client().create_bucket(bucket)

    def start_bigquery(self) -> None:
        env = {**os.environ, "BQEMU_GCS_LOCAL_ROOT": str(self.gcs_root), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
        self.procs["bigquery"] = self._spawn("bigquery", [
            sys.executable, "-m", "tests.prod.bqemulator_offline", "start", "--rest-host", "127.0.0.1",
            "--rest-port", str(self.bq_port), "--grpc-port", str(self.bq_grpc_port), "--project", PROJECT,
            "--persistent", "--data-dir", str(self.base / "bq"), "--log-level", "warning",
        ], env)
        self._wait_http(f"http://127.0.0.1:{self.bq_port}/bigquery/v2/projects/{PROJECT}/datasets", "bigquery")

    def stop_bigquery(self) -> None:
        servers.stop(self.procs.pop("bigquery"))

    def restart_postgres(self) -> None:
        assert self.pg is not None
        # -l: the restarted server logs to its file; otherwise it would hold our output pipes open.
        cmd = [str(self.pg.bin_dir / "pg_ctl"), "-D", str(self.pg.data), "-l", str(self.pg.data.parent / "postgres.log"),
               "-m", "fast", "-w", "restart"]
        subprocess.run(servers._as_pg_user(cmd, self.pg.user), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    # ------------------------------------------------------------------------------------ deployment
    def start_deployment(self) -> None:
        self.start_code_server()
        self.procs["webserver"] = self._spawn("webserver", [
            str(self.bin / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(self.web_port), "-w", str(self.workspace),
        ], cwd=self.cwd)
        self.procs["daemon"] = self._spawn("daemon", [str(self.bin / "dagster-daemon"), "run", "-w", str(self.workspace)],
                                           cwd=self.cwd)

    def start_code_server(self) -> None:
        self.procs["code-server"] = self._spawn("code-server", [
            str(self.bin / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(self.grpc_port),
            "-m", "nba_assets.definitions", "--location-name", "nba",
        ], cwd=self.cwd)

    def code_server_up(self) -> bool:
        from dagster._grpc.client import DagsterGrpcClient

        try:
            DagsterGrpcClient(port=self.grpc_port, host="127.0.0.1").ping("soak")
            return True
        except Exception:  # noqa: BLE001 - not listening yet
            return False

    def restart_code_server(self) -> None:
        """`docker compose restart code-server`: SIGTERM to the server (the container's PID 1), SIGKILL
        after the grace period; the container's other processes (run workers) die with it."""
        proc = self.procs.pop("code-server")
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # what is left of the container
        except ProcessLookupError:
            pass
        self.start_code_server()

    # ---------------------------------------------------------------------------------------- clients
    def storage_client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(project=PROJECT, credentials=AnonymousCredentials())

    def bigquery_client(self):
        from resources.gcp import bigquery_resource

        return bigquery_resource().get_client()

    def nba_lake(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "nba-lake"), *args], cwd=self.cwd, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    # ----------------------------------------------------------------------------------------- helpers
    def _write_instance(self) -> None:
        self.home.mkdir()
        config = yaml.safe_load((REPO / "deploy" / "dagster.prod.yaml").read_text())
        config["run_monitoring"]["poll_interval_seconds"] = self.settings.monitoring_poll_s
        logs = config.get("compute_logs", {})
        if logs.get("class") == "LocalComputeLogManager":
            logs["config"]["base_dir"] = str(self.base / "compute-logs")
        elif "local_dir" in logs.get("config", {}):
            logs["config"]["local_dir"] = str(self.base / "compute-logs")  # staging before the upload
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(config))
        self.workspace = self.base / "workspace.yaml"
        self.workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": {
            "host": "127.0.0.1", "port": self.grpc_port, "location_name": "nba"}}]}))

    def _environment(self) -> dict[str, str]:
        assert self.pg is not None and self.proxy is not None and self.receiver is not None
        s = self.settings
        env = {k: v for k, v in os.environ.items() if k != "NBA_LAKE_SIM_NOW"}
        return env | self.pg.env() | {
            "DAGSTER_HOME": str(self.home),
            "NBA_LAKE_ENV": "prod",
            "NBA_LAKE_SOURCE": "sim",
            "NBA_LAKE_SIM_FAULTS": "none",  # the soak injects its own faults
            "NBA_LAKE_SIM_STATE_DIR": str(self.sim_state),
            "NBA_LAKE_FIRST_GAME_DATE": FIRST_GAME_DATE,
            # Automation's lookback counts back from the latest partition, which Dagster puts at the wall
            # clock's today: with the sim clock in October 2025 it must reach back that far.
            "NBA_LAKE_AUTOMATION_LOOKBACK_DAYS": str(lookback_days()),
            "NBA_LAKE_DATA_DIR": self.data_dir,
            "NBA_LAKE_COMPUTE_LOG_BUCKET": self.logs_bucket,
            "NBA_LAKE_EXPORTS_DIR": f"gs://{self.exports_bucket}",
            "NBA_LAKE_EXECUTOR": s.executor,
            "NBA_LAKE_MAX_CONCURRENT": "4",
            "NBA_LAKE_GCP_PROJECT": PROJECT,
            "NBA_LAKE_BQ_LOCATION": "US",
            "NBA_LAKE_BQ_DATASET_PREFIX": self.prefix,
            "NBA_LAKE_BQ_PUBLISH_DEADLINE_S": str(s.publish_deadline_s),
            "NBA_LAKE_ALERT_WEBHOOK": f"{self.receiver.url}/webhook",
            "NBA_LAKE_HEARTBEAT_URL": f"{self.receiver.url}/heartbeat",
            "NBA_LAKE_UI_URL": f"http://127.0.0.1:{self.web_port}",
            "NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS": str(s.sensor_interval_s),
            "NBA_LAKE_GAME_DAY_SENSOR_INTERVAL_SECONDS": str(s.sensor_interval_s),
            "NBA_LAKE_SLATE_SENSOR_INTERVAL_SECONDS": str(s.sensor_interval_s),
            "NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS": str(s.late_sensor_interval_s),
            "NBA_LAKE_AUTOMATION_INTERVAL_SECONDS": str(s.automation_interval_s),
            "NBA_LAKE_WAREHOUSE_SENSOR_INTERVAL_SECONDS": str(s.sensor_interval_s),
            # emulator only (never set in production)
            "NBA_LAKE_BQ_ENDPOINT": f"http://127.0.0.1:{self.bq_port}",
            "STORAGE_EMULATOR_HOST": self.proxy.url,
            "FSSPEC_GCS_TOKEN": "anon",
            "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
            "PYTHONWARNINGS": "ignore",
        }

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
               cwd: Path | None = None) -> subprocess.Popen:
        """A process logging to logs/<name>.log; the deployment's run in self.cwd, the services in the repo."""
        n = sum(1 for _ in self.logs.glob(f"{name}*.log"))
        log = self.logs / (f"{name}.log" if n == 0 else f"{name}-{n + 1}.log")
        fh = open(log, "wb")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen(cmd, cwd=cwd or REPO, env=env or self.env or None, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def _wait_http(self, url: str, name: str) -> None:
        servers._wait_http(url, self.procs[name], sorted(self.logs.glob(f"{name}*.log"))[-1], name)

    def log_tail(self, name: str, n: int = 2000) -> str:
        logs = sorted(self.logs.glob(f"{name}*.log"))
        return logs[-1].read_text(errors="replace")[-n:] if logs else "(no log)"

    def close(self) -> None:
        for name in ("daemon", "webserver", "code-server", "bigquery", "gcs"):
            if name in self.procs:
                servers.stop(self.procs.pop(name))
        if self.proxy:
            self.proxy.close()
        if self.receiver:
            self.receiver.__exit__(None, None, None)
        if self.pg:
            servers.stop_postgres(self.pg)
        if not self.settings.keep:
            shutil.rmtree(self.base, ignore_errors=True)
