"""A week of the simulated league with NBA_LAKE_ENV=prod, on real loopback servers: fake-gcs-server
through google-cloud-storage + gcsfs, bqemulator through google-cloud-bigquery.

The week (raw -> analytics -> features, one single run, every day published to BigQuery by that run)
is built once per test session, and the same week once with the local lake, for comparison.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_assets import tables
from resources.bigquery import publishable_tables, query_frame
from resources.gcp import publish_range
from resources.lake import LakeReader
from tests.conftest import SIM_NOW, range_tags
from tests.prod.conftest import make_prod_env

START, END = "2025-12-01", "2025-12-07"
DAYS = [f"2025-12-0{i}" for i in range(1, 8)]
RERUN_DAY = "2025-12-03"
# what ingest_and_features writes: every daily lake table but predictions and grades
WEEK_TABLES = [t for t in tables.LAKE if t.layer in ("raw", "analytics", "features")]


def _run_week(tags: dict[str, str], selection=None) -> dg.ExecuteInProcessResult:
    from nba_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("ingest_and_features")
    with dg.instance_for_test() as instance:
        return job.execute_in_process(instance=instance, tags=tags, asset_selection=selection)


@pytest.fixture(scope="session")
def week(gcs_server, bq_server, tmp_path_factory):
    """(prod env, local data dir, the prod run's result) after both weeks ran.

    Session-scoped (xdist may interleave modules on a worker, which would rebuild a module fixture);
    the environment is restored right after the runs, and `prod` re-applies it per test.
    """
    local = tmp_path_factory.mktemp("local-week") / "data"
    local.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NBA_LAKE_ENV", "local")
        mp.setenv("NBA_LAKE_SOURCE", "sim")
        mp.setenv("NBA_LAKE_DATA_DIR", str(local))
        mp.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
        t0 = time.perf_counter()
        assert _run_week(range_tags(START, END)).success
        local_s = time.perf_counter() - t0
    with pytest.MonkeyPatch.context() as mp:
        env = make_prod_env(mp, gcs_server, bq_server, tmp_path_factory.mktemp("prod-week"))
        t0 = time.perf_counter()
        result = _run_week(range_tags(START, END))
        prod_s = time.perf_counter() - t0
    assert result.success
    print(f"week {START}..{END}: local {local_s:.1f} s, prod (GCS + BigQuery publish) {prod_s:.1f} s")
    return env, local, result


@pytest.fixture
def prod(week, monkeypatch):
    import fsspec.config

    env = week[0]
    for k, v in env.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setitem(fsspec.config.conf, "gcs", {"token": "anon"})
    return env


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bucket_objects(env, under: str) -> dict[str, str]:
    """{object path under <prefix>/<under>: sha256} straight from the GCS API (not through gcsfs)."""
    prefix = f"nba/{under}/"
    blobs = env.storage_client().list_blobs(env.bucket, prefix=prefix)
    return {b.name[len(prefix):]: _sha(b.download_as_bytes()) for b in blobs}


def _local_files(root: Path, pattern: str) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _sha(p.read_bytes()) for p in sorted(root.rglob(pattern))}


def test_a_prod_week_lands_in_the_bucket_byte_identical_to_the_local_lake(week, prod):
    _, local, _ = week
    lake = _bucket_objects(prod, "lake")
    assert lake == _local_files(local / "lake", "*.parquet")
    # one object per table per day, nothing else (no temp objects, no directories)
    assert sorted(lake) == sorted(f"{t.label}/{d}.parquet" for t in WEEK_TABLES for d in DAYS)
    # landed responses are content-addressed: the same bodies under the same names
    # (each source's _quota.json is its latest quota reading, not a landed response: the two runs differ)
    landed = {k: v for k, v in _bucket_objects(prod, "landing").items()
              if k.endswith(".json") and not k.endswith("/_quota.json")}
    assert landed == {k: v for k, v in _local_files(local / "landing", "*.json").items() if not k.endswith("/_quota.json")}
    assert len(landed) > 50


def test_bigquery_row_counts_and_points_per_day_equal_duckdb_on_the_gcs_lake(prod):
    reader = LakeReader(prod.data_dir)  # DuckDB over gs:// through the registered gcsfs filesystem
    assert set(reader.tables()) == {t.view for t in WEEK_TABLES}
    with prod.bigquery().get_client() as client:
        for table in WEEK_TABLES:
            sql = f"select game_date, count(*) as n from {table.view} group by game_date order by game_date"
            lake = reader.query(sql)
            bq = query_frame(client, sql, "nba-lake-test", prod.dataset_prefix)
            assert bq.with_columns(pl.col("n").cast(pl.Int64)).equals(lake.with_columns(pl.col("n").cast(pl.Int64))), table
        for table in (tables.BDL_BOXSCORES.view, tables.PLAYER_GAME_SUMMARY.view):
            sql = f"select game_date, sum(points) as pts from {table} group by game_date order by game_date"
            lake, bq = reader.query(sql), query_frame(client, sql, "nba-lake-test", prod.dataset_prefix)
            assert lake["pts"].cast(pl.Int64).to_list() == bq["pts"].cast(pl.Int64).to_list()
            assert lake["game_date"].to_list() == bq["game_date"].to_list() and lake["pts"].sum() > 10_000


def test_the_checks_ran_against_the_bucket(week):
    result = week[2]
    evals = [e.asset_check_evaluation_data for e in result.all_events
             if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    by_name = {(e.asset_key.to_user_string(), e.check_name): e for e in evals}
    assert len(evals) >= 30
    # this check reads the table's trailing history back through DuckDB over gs://
    assert by_name[(tables.PLAYER_GAME_SUMMARY.label, "row_count_vs_trailing_days")].passed
    assert all(e.passed for e in evals if e.check_name == "no_duplicate_keys")
    # BigQuery holds every day of every table the week wrote: one passing evaluation per table and day
    published = [e for e in evals if e.check_name == "published_to_bigquery" and e.partition]
    assert sorted((e.asset_key.to_user_string(), e.partition) for e in published) == sorted(
        (t.label, d) for t in WEEK_TABLES for d in DAYS)
    assert all(e.passed for e in published), [e.description for e in published if not e.passed]


def test_rerunning_a_day_leaves_one_copy_in_gcs_and_bigquery(prod):
    before_lake = _bucket_objects(prod, "lake")
    with prod.bigquery().get_client() as client:
        count = f"select game_date, count(*) as n from {tables.PLAYER_GAME_SUMMARY.view} group by 1 order by 1"
        before_bq = query_frame(client, count, "nba-lake-test", prod.dataset_prefix)
        keys = [tables.BDL_BOXSCORES.key, tables.PLAYER_GAME_SUMMARY.key]
        for _ in range(2):
            assert _run_week(range_tags(RERUN_DAY, RERUN_DAY), selection=keys).success
        after_bq = query_frame(client, count, "nba-lake-test", prod.dataset_prefix)
    assert _bucket_objects(prod, "lake") == before_lake  # same objects, same bytes, no extra copy
    assert after_bq.equals(before_bq)  # the day replaced, not appended; other days untouched
    assert before_bq.filter(pl.col("game_date").cast(pl.Utf8) == RERUN_DAY)["n"].item() > 0


def test_publish_backfills_history_into_bigquery_and_skips_days_the_lake_lacks(prod):
    import datetime as dt

    with prod.bigquery().get_client() as client:
        client.query(
            f"DELETE FROM `nba-lake-test.{prod.dataset_prefix}raw.schedule` WHERE game_date >= DATE '2025-12-05'"
        ).result()
        publisher = prod.bigquery().publisher(client)
        done, missing = publish_range(
            publisher, prod.data_dir, dt.date(2025, 12, 5), dt.date(2025, 12, 8), only=[tables.SCHEDULE]
        )
        got = query_frame(
            client, "select count(*) as n from raw.schedule", "nba-lake-test", prod.dataset_prefix
        )["n"].item()
    assert [p.day for p in done] == ["2025-12-05", "2025-12-06", "2025-12-07"]
    assert missing == [(tables.SCHEDULE.label, "2025-12-08")]
    assert got == LakeReader(prod.data_dir).query("select count(*) as n from raw.schedule")["n"].item()
    # Each publish reports the seconds it took (bench/prod_week.py measures them; no bound in a test).
    assert all(p.seconds > 0 for p in done)


def test_every_contract_becomes_a_day_partitioned_bigquery_table(prod):
    with prod.bigquery().get_client() as client:
        publisher = prod.bigquery().publisher(client)
        for table in publishable_tables():
            t = client.get_table(publisher.ensure_table(table))
            assert t.time_partitioning.field == "game_date" and t.time_partitioning.type_ == "DAY"
            assert t.schema[0].name and {f.field_type for f in t.schema} <= {
                "DATE", "TIMESTAMP", "DATETIME", "BOOLEAN", "BOOL", "INTEGER", "INT64", "FLOAT", "FLOAT64", "STRING"
            }


def test_the_cli_reads_the_bucket_and_bigquery(prod, tmp_path, monkeypatch, capsys):
    from nba_assets.cli import commands as cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    view = tables.PLAYER_GAME_SUMMARY.view
    q = f"select count(*) as n, sum(points) as pts from {view} where game_date = DATE '{RERUN_DAY}'"
    expected = LakeReader(prod.data_dir).query(q).row(0)

    def run(*args: str) -> str:
        rc = cli.entry(list(args))
        out = capsys.readouterr()
        assert rc == 0, out.err
        return out.out

    assert f"{expected[0]}" in run("sql", q) and f"{expected[1]}" in run("sql", q)
    bq_out = run("sql", "--engine", "bigquery", q)
    assert f"{expected[0]}" in bq_out and f"{expected[1]}" in bq_out
    status = run("status", "--date", RERUN_DAY, "--days", "1")
    assert prod.data_dir in status and tables.PLAYER_GAME_SUMMARY.label in status
    published = run("publish", "--start", RERUN_DAY, "--end", RERUN_DAY, "--select", "analytics")
    assert f"{tables.PLAYER_GAME_SUMMARY.label} {RERUN_DAY}: {expected[0]} rows" in published
    assert cli.entry(["publish", "--start", "2025-12-05", "--end", "2025-12-01"]) == 2
    assert "before --start" in capsys.readouterr().err


def test_a_failed_publish_leaves_the_day_as_it_was_and_no_staging_table(prod):
    from google.api_core.exceptions import GoogleAPIError

    count = f"select game_date, count(*) as n from {tables.SCHEDULE.view} group by 1 order by 1"
    with prod.bigquery().get_client() as client:
        before = query_frame(client, count, "nba-lake-test", prod.dataset_prefix)
        publisher = prod.bigquery().publisher(client)
        missing = f"gs://{prod.bucket}/nba/lake/{tables.SCHEDULE.label}/1999-01-01.parquet"
        with pytest.raises(GoogleAPIError):
            publisher.publish_day(tables.SCHEDULE, RERUN_DAY, missing)
        after = query_frame(client, count, "nba-lake-test", prod.dataset_prefix)
        dataset = publisher.table_id(tables.SCHEDULE).rsplit(".", 1)[0]
        leftovers = [t.table_id for t in client.list_tables(dataset) if t.table_id.startswith("_staging_")]
    assert after.equals(before) and leftovers == []
