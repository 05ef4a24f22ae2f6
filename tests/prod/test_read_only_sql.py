"""`nba-lake sql` on a gs:// lake (fake-gcs-server through gcsfs): it reads the bucket's lake and
cannot change an object of it, as on a local lake (tests/unit/test_lake_reader.py)."""

from __future__ import annotations

import uuid

import pytest

from io_managers.lake import write_parquet_atomic
from nba_assets import tables
from resources.lake_reader import LakeReader
from tests.unit.test_lake_reader import DAYS, ROWS_PER_DAY, assert_connection_writes_nothing, day_frame


@pytest.fixture
def gcs_lake(gcs_server, monkeypatch):
    """gs://<fresh bucket>/nba holding five days of raw.bdl_boxscores."""
    import fsspec.config
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from upath import UPath

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint)
    monkeypatch.setitem(fsspec.config.conf, "gcs", {"token": "anon"})
    bucket = f"nba-lake-{uuid.uuid4().hex[:8]}"
    storage.Client(project="nba-lake-test", credentials=AnonymousCredentials()).create_bucket(bucket)
    data_dir = f"gs://{bucket}/nba"
    folder = UPath(data_dir) / "lake" / "raw" / "bdl_boxscores"
    for d in DAYS:
        write_parquet_atomic(day_frame(d), folder / f"{d}.parquet")
    return data_dir, folder


def test_sql_on_a_gcs_lake_reads_and_writes_nothing(gcs_lake, tmp_path):
    data_dir, folder = gcs_lake
    reader = LakeReader(data_dir)
    assert reader.tables() == [tables.BDL_BOXSCORES.view]
    day = folder / f"{DAYS[0]}.parquet"
    names = sorted(p.name for p in folder.iterdir())
    snapshot = {day.read_bytes: day.read_bytes()}
    # the day as a user would spell its object: gs://bucket/nba/lake/raw/bdl_boxscores/<day>.parquet
    assert_connection_writes_nothing(reader, str(day), str(tmp_path), snapshot)
    fresh = LakeReader(data_dir)
    assert fresh.connect().execute("select count(*) from raw.bdl_boxscores").fetchone()[0] == ROWS_PER_DAY * len(DAYS)
    assert sorted(p.name for p in folder.iterdir()) == names
    assert list(tmp_path.iterdir()) == []


def test_the_cli_refuses_a_copy_onto_a_gcs_lake(gcs_lake, monkeypatch, capsys):
    from nba_assets.cli import commands as cli

    data_dir, folder = gcs_lake
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", data_dir)
    day = folder / f"{DAYS[0]}.parquet"
    before = day.read_bytes()
    rc = cli.entry(["sql", f"COPY (select 1 as oops) TO '{day}'"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: nba-lake sql is read-only: COPY"), err
    assert day.read_bytes() == before
    assert cli.entry(["sql", "select count(*) as n from raw.bdl_boxscores"]) == 0
    assert f"{ROWS_PER_DAY * len(DAYS)}" in capsys.readouterr().out


def test_a_new_reader_sees_objects_another_process_wrote(gcs_lake):
    """A long-lived process (the code server evaluating sensors) makes a reader per tick: each must see
    the objects run workers wrote since the last one, not gcsfs's cached listing of the folder."""
    import io

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    data_dir, _ = gcs_lake
    first = LakeReader(data_dir)
    sql = "select count(*) as n from raw.bdl_boxscores"
    assert first.query(sql)["n"][0] == ROWS_PER_DAY * len(DAYS)
    new_day = max(DAYS) + (DAYS[1] - DAYS[0])
    buf = io.BytesIO()
    day_frame(new_day).write_parquet(buf)
    bucket, prefix = data_dir.removeprefix("gs://").split("/", 1)
    blob = f"{prefix}/lake/raw/bdl_boxscores/{new_day}.parquet"
    storage.Client(project="nba-lake-test", credentials=AnonymousCredentials()).bucket(bucket).blob(blob) \
        .upload_from_string(buf.getvalue())  # another process: not through this process's gcsfs
    later = LakeReader(data_dir)
    assert new_day in later.days(tables.BDL_BOXSCORES)
    assert later.query(sql)["n"][0] == ROWS_PER_DAY * (len(DAYS) + 1)
