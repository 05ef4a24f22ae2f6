"""(g): a week of the simulated league in prod mode (GCS lake + BigQuery publishing + PostgreSQL
instance) against the same week locally (local lake + SQLite instance).

Starts the loopback servers the prod tests use (tests/prod/servers.py: fake-gcs-server, bqemulator,
a private PostgreSQL cluster), then:
1. ingest_and_features over the week in local mode (a temp data dir, a DAGSTER_HOME with the repo's
   dagster.yaml): seconds, and the instance folder's bytes per materialized table-day (bench/state.py);
2. the same week with NBA_LAKE_ENV=prod into a fresh bucket, its Dagster instance on PostgreSQL
   (deploy/dagster.prod.yaml): seconds (every day of every table is published to BigQuery by that
   run), and the event tables' `pg_total_relation_size` per materialized table-day;
3. `publish_range` over the week again (what `nba-lake publish` runs): seconds per table-day;
4. bytes and objects in the bucket (lake/ and landing/), bytes of the local lake for comparison.
Without PostgreSQL (Debian's postgresql not installed) step 2 runs on a SQLite instance and says so.
Results: a JSON file (--out, else prod_week.json in $NBA_LAKE_BENCH_DIR, default
~/.cache/nba-lake/bench, or in bench/results with --keep-results), and a summary on stdout.
bench/run.py runs it as part (g).

    .venv/bin/python bench/prod_week.py [--start 2025-12-01 --end 2025-12-07] [--out R.json] [--keep-results]

An emulator is not Google Cloud: these numbers show the overhead of the object-store path and of
the publish protocol (load + MERGE per day), not the latency of storage.googleapis.com or BigQuery.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # before gcsfs is imported

from bench.harness import results_dir  # noqa: E402
from bench.state import local_state, pg_event_state  # noqa: E402


def _week(start: str, end: str, home: Path, config: Path) -> float:
    """ingest_and_features over start..end on the instance at `home` (DAGSTER_HOME, `config` as its
    dagster.yaml), as the environment's lake and sources say."""
    import shutil

    import dagster as dg

    from nba_assets.definitions import build_definitions

    home.mkdir(parents=True)
    shutil.copy(config, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    job = build_definitions().resolve_job_def("ingest_and_features")
    tags = {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
    t0 = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        assert job.execute_in_process(instance=instance, tags=tags).success
    return time.perf_counter() - t0


def _postgres(tmp: Path, servers):
    """A private PostgreSQL cluster for the prod instance, or None (with the reason printed)."""
    try:
        return servers.start_postgres(tmp / "pg")
    except servers.PostgresUnavailable as exc:
        print(f"prod instance on SQLite, not PostgreSQL: {exc}", flush=True)
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2025-12-01")
    ap.add_argument("--end", default="2025-12-07")
    ap.add_argument("--out", default=None, help="the result's JSON path (default prod_week.json in the "
                    "results folder)")
    ap.add_argument("--keep-results", action="store_true", help="write prod_week.json into bench/results "
                    "instead of $NBA_LAKE_BENCH_DIR (default ~/.cache/nba-lake/bench)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import fsspec.config

    from tests.prod import servers
    from tests.prod.conftest import PROJECT, prod_variables

    # Every game of the week final, every boxscore released.
    sim_now = f"{dt.date.fromisoformat(args.end) + dt.timedelta(days=5)}T17:00:00+00:00"
    tmp = Path(tempfile.mkdtemp(prefix="nba-prod-week-"))
    tmp.chmod(0o755)  # the PostgreSQL cluster below runs as the postgres user
    gcs = servers.start_gcs(tmp / "gcs", tmp)
    bq = servers.start_bigquery(gcs.root, tmp, PROJECT)
    pg = _postgres(tmp, servers)
    try:
        local = tmp / "local"
        local.mkdir()
        os.environ.update({"NBA_LAKE_ENV": "local", "NBA_LAKE_SOURCE": "sim",
                           "NBA_LAKE_DATA_DIR": str(local), "NBA_LAKE_SIM_NOW": sim_now})
        local_s = _week(args.start, args.end, tmp / "local_home", ROOT / "dagster.yaml")
        local_instance = local_state(tmp / "local_home")

        tag = uuid.uuid4().hex[:8]
        bucket = f"nba-bench-{tag}"
        env = prod_variables(gcs, bq, f"gs://{bucket}/nba", f"b{tag}_", tmp / "sim")
        env["NBA_LAKE_SIM_NOW"] = sim_now
        if pg is not None:
            env |= pg.env()
        os.environ.update(env)
        fsspec.config.conf["gcs"] = {"token": "anon"}
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
        client.create_bucket(bucket)
        prod_config = ROOT / "deploy" / "dagster.prod.yaml" if pg is not None else ROOT / "dagster.yaml"
        prod_s = _week(args.start, args.end, tmp / "prod_home", prod_config)
        if pg is not None:
            import psycopg2

            with psycopg2.connect(host="127.0.0.1", port=pg.port, user=pg.user, dbname=pg.db) as conn:
                prod_instance = {"instance": "postgresql"} | pg_event_state(conn)
            conn.close()
        else:
            prod_instance = {"instance": "sqlite"} | local_state(tmp / "prod_home")

        from resources.gcp import bigquery_resource, gcp_settings, publish_range

        g = gcp_settings()
        res = bigquery_resource(g)
        with res.get_client() as bqc:
            t0 = time.perf_counter()
            done, _ = publish_range(res.publisher(bqc), g.data_dir, dt.date.fromisoformat(args.start),
                                    dt.date.fromisoformat(args.end))
            publish_s = time.perf_counter() - t0
        days = len({p.day for p in done})
        per = [p.seconds for p in done]

        objects = {"lake": [0, 0], "landing": [0, 0]}
        for blob in client.list_blobs(bucket, prefix="nba/"):
            part = blob.name.split("/")[1]
            if part in objects:
                objects[part][0] += 1
                objects[part][1] += blob.size
        local_lake = sum(p.stat().st_size for p in (local / "lake").rglob("*.parquet"))
        out = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "week": [args.start, args.end],
            "job": "ingest_and_features (raw, analytics, features)",
            "local_seconds": round(local_s, 1),
            "prod_seconds": round(prod_s, 1),
            "prod_over_local": round(prod_s / local_s, 2),
            "local_instance": local_instance,
            "prod_instance": prod_instance,
            "publish_range_seconds": round(publish_s, 1),
            "publish_table_days": len(done),
            "publish_seconds_per_day_all_tables": round(publish_s / days, 2) if days else None,
            "publish_seconds_per_table_day": {"median": round(statistics.median(per), 3),
                                              "max": round(max(per), 3)} if per else None,
            "bucket_lake_objects": objects["lake"][0],
            "bucket_lake_bytes": objects["lake"][1],
            "bucket_landing_objects": objects["landing"][0],
            "bucket_landing_bytes": objects["landing"][1],
            "local_lake_bytes": local_lake,
            "servers": "fake-gcs-server (filesystem backend), bqemulator, PostgreSQL "
                       f"{pg.bin_dir.parent.name if pg is not None else '(not installed)'}, loopback",
            "success": True,
        }
        path = Path(args.out) if args.out else results_dir(ROOT, keep=args.keep_results) / "prod_week.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2) + "\n")
        print(json.dumps(out, indent=2))
    finally:
        servers.stop(bq.proc)
        servers.stop(gcs.proc)
        if pg is not None:
            servers.stop_postgres(pg)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
