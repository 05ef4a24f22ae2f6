"""The short soak in `make test`: the production topology (gRPC code server, webserver and daemon as
separate processes on PostgreSQL, the GCS and BigQuery emulators, the alert receiver) through the
morning game-day run launched by the daemon on the sim clock, with BigQuery down and a burst of GCS 503s;
then BigQuery back, warehouse_catch_up_sensor publishing the waiting days, and every pass criterion of
the full soak (`make soak`) checked. Skips, saying why, where Debian's postgresql is not installed."""

from __future__ import annotations

import os

import pytest

from tests.prod import servers


@pytest.fixture
def own_environment():
    """The soak exports the deployment's prod environment into os.environ (its driver reads the same
    instance and lake); the tests after it in this worker must see the environment they started with."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_short_soak_of_the_production_topology(own_environment):
    from tests.prod.soak.plan import run

    try:
        servers._pg_bin()
    except servers.PostgresUnavailable as exc:
        print(f"SKIP short soak: {exc}")
        pytest.skip(str(exc))
    ok, line, _ = run("short")
    assert ok, line
    assert "runs stuck 0" in line and "bigquery-vs-lake diffs 0" in line and "dagster-vs-lake diffs 0" in line
