"""Tamper evidence on a gs:// lake (fake-gcs-server): the same `verify` over objects in a bucket, the
materializations read through Dagster's public API (what production runs against PostgreSQL)."""

from __future__ import annotations

import dagster as dg

from checks import integrity
from nba_assets.dagster_internals.file_records import dagster_records
from nba_assets.raw import nbacom_boxscores, schedule
from resources.env import resources_for
from resources.settings import settings
from tests.conftest import lake_instance_for_test, range_tags

D1, D2 = "2025-12-08", "2025-12-09"


def test_verify_names_changed_missing_and_added_objects_in_the_bucket(prod_env):
    bucket = prod_env.storage_client().bucket(prod_env.bucket)
    with lake_instance_for_test() as inst:
        res = dg.materialize([schedule, nbacom_boxscores], resources=resources_for(settings()), instance=inst,
                             tags=range_tags(D1, D2))
        assert res.success

        def records(labels, days):
            return dagster_records(inst, labels, days)

        report = integrity.verify(prod_env.data_dir, records, by="test")
        assert report.clean and report.files == 4, report.findings

        bucket.blob(f"nba/lake/raw/schedule/{D1}.parquet").upload_from_string(b"PAR1 not the pipeline's PAR1")
        bucket.blob(f"nba/lake/raw/nbacom_boxscores/{D2}.parquet").delete()
        bucket.blob("nba/lake/raw/nbacom_boxscores/2025-12-10.parquet").upload_from_string(
            bucket.blob(f"nba/lake/raw/nbacom_boxscores/{D1}.parquet").download_as_bytes())
        report = integrity.verify(prod_env.data_dir, records, by="test")
    assert [(f.kind, f.file) for f in report.findings] == [
        (integrity.MISSING, f"raw/nbacom_boxscores/{D2}.parquet"),
        (integrity.ADDED, "raw/nbacom_boxscores/2025-12-10.parquet"),
        (integrity.CHANGED, f"raw/schedule/{D1}.parquet"),
    ]
    assert "unreadable now" in report.findings[2].detail
    stored = integrity.load(prod_env.data_dir)  # the record status reads, in the bucket
    assert stored is not None and stored.findings == report.findings
