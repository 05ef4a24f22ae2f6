"""The short soak in `make test`: the production topology (gRPC code server, webserver and daemon as
separate processes on PostgreSQL, the GCS and BigQuery emulators, the alert receiver) through the
morning game-day run launched by the daemon on the sim clock, with BigQuery down and a burst of GCS 503s;
then BigQuery back, warehouse_catch_up_sensor publishing the waiting days, and every pass criterion of
the full soak (`make soak`) checked. Skips, saying why, where Debian's postgresql is not installed."""

from __future__ import annotations

import pytest

from tests.prod import servers


def test_short_soak_of_the_production_topology():
    from tests.prod.soak.plan import run

    try:
        servers._pg_bin()
    except servers.PostgresUnavailable as exc:
        print(f"SKIP short soak: {exc}")
        pytest.skip(str(exc))
    ok, line, _ = run("short")
    assert ok, line
    assert "runs stuck 0" in line and "bigquery-vs-lake diffs 0" in line and "dagster-vs-lake diffs 0" in line
