"""Fixtures of the prod tests: one set of real loopback servers per test session (per xdist worker),
and the exact environment variables a prod deployment sets, pointed at them.

Emulator-only variables (never set in production): STORAGE_EMULATOR_HOST (google-cloud-storage and
gcsfs send GCS calls there), FSSPEC_GCS_TOKEN=anon (gcsfs skips Google's credential lookup),
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false (gcsfs would otherwise probe the bucket type over gRPC+TLS,
which the emulator does not speak, and wait 60 s per probe), NBA_LAKE_BQ_ENDPOINT.
"""

from __future__ import annotations

import os

# Read by gcsfs at import time: set before anything imports it.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

import shutil  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.conftest import SIM_NOW  # noqa: E402
from tests.prod import servers  # noqa: E402

PROJECT = "nba-lake-test"


@pytest.fixture(scope="session")
def prod_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prod-logs")


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory, prod_logs):
    server = servers.start_gcs(tmp_path_factory.mktemp("gcs-root"), prod_logs)
    yield server
    servers.stop(server.proc)


@pytest.fixture(scope="session")
def bq_server(gcs_server, prod_logs):
    server = servers.start_bigquery(gcs_server.root, prod_logs, PROJECT)
    yield server
    servers.stop(server.proc)


@pytest.fixture(scope="session")
def postgres():
    # Not under pytest's tmp dir: that is private to root, and the cluster runs as the postgres user.
    base = Path(tempfile.mkdtemp(prefix="nba-lake-pg-"))
    try:
        try:
            cluster = servers.start_postgres(base)
        except servers.PostgresUnavailable as exc:
            print(f"SKIP postgres tests: {exc}")
            pytest.skip(str(exc))
        yield cluster
        servers.stop_postgres(cluster)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class ProdEnv:
    bucket: str
    data_dir: str
    dataset_prefix: str
    gcs: servers.GcsServer
    bq: servers.BigQueryServer
    env: dict[str, str]

    def storage_client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(project=PROJECT, credentials=AnonymousCredentials())

    def bigquery(self):
        from resources.gcp import bigquery_resource

        return bigquery_resource()


def prod_variables(gcs: servers.GcsServer, bq: servers.BigQueryServer, data_dir: str, prefix: str,
                   sim_state: Path) -> dict[str, str]:
    """Every variable of a prod deployment on the sim league, with the emulator-only ones."""
    return {
        "NBA_LAKE_ENV": "prod",
        "NBA_LAKE_SOURCE": "sim",
        "NBA_LAKE_DATA_DIR": data_dir,
        "NBA_LAKE_GCP_PROJECT": PROJECT,
        "NBA_LAKE_BQ_LOCATION": "US",
        "NBA_LAKE_BQ_DATASET_PREFIX": prefix,
        "NBA_LAKE_SIM_STATE_DIR": str(sim_state),
        "NBA_LAKE_SIM_NOW": SIM_NOW.isoformat(),
        "NBA_LAKE_COMPUTE_LOG_BUCKET": data_dir.removeprefix("gs://").split("/", 1)[0],
        # emulator only
        "NBA_LAKE_BQ_ENDPOINT": bq.endpoint,
        "STORAGE_EMULATOR_HOST": gcs.endpoint,
        "FSSPEC_GCS_TOKEN": "anon",
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    }


def make_prod_env(mp: pytest.MonkeyPatch, gcs: servers.GcsServer, bq: servers.BigQueryServer,
                  tmp: Path) -> ProdEnv:
    """A fresh bucket and dataset prefix, and the prod variables set in this process through `mp`."""
    import fsspec.config

    tag = uuid.uuid4().hex[:8]
    bucket, prefix = f"nba-lake-{tag}", f"t{tag}_"
    data_dir = f"gs://{bucket}/nba"
    env = prod_variables(gcs, bq, data_dir, prefix, tmp / "sim")
    for k, v in env.items():
        mp.setenv(k, v)
    # fsspec read FSSPEC_* at import; in this process set its config directly (subprocesses get the env).
    mp.setitem(fsspec.config.conf, "gcs", {"token": "anon"})
    pe = ProdEnv(bucket, data_dir, prefix, gcs, bq, env)
    pe.storage_client().create_bucket(bucket)
    return pe


@pytest.fixture
def prod_env(monkeypatch, gcs_server, bq_server, tmp_path) -> ProdEnv:
    return make_prod_env(monkeypatch, gcs_server, bq_server, tmp_path)
