"""Step logs in GCS: the compute log manager of deploy/dagster.prod.yaml (dagster-gcp's
GCSComputeLogManager), pointed at the GCS emulator by STORAGE_EMULATOR_HOST as google-cloud-storage
allows. A run's stdout/stderr land as objects in the bucket, and another process's instance (a
webserver elsewhere, with an empty staging folder) reads them back from the bucket."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PREFIX = "dagster-compute-logs"


@dg.op
def chatty_step() -> None:
    print("box scores landed for 2025-12-11")
    print("retrying nba.com after a 503", file=sys.stderr)


@dg.job
def chatty():
    chatty_step()


def _instance_config(local_dir: Path) -> dict:
    config = yaml.safe_load((REPO / "deploy" / "dagster.prod.yaml").read_text())["compute_logs"]
    assert config["class"] == "GCSComputeLogManager" and config["config"]["bucket"] == {
        "env": "NBA_LAKE_COMPUTE_LOG_BUCKET"}
    config["config"]["local_dir"] = str(local_dir)  # the image's /tmp/dagster-compute-logs
    return {"compute_logs": config}


@pytest.fixture
def log_bucket(gcs_server, monkeypatch) -> str:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint)
    bucket = f"nba-logs-{uuid.uuid4().hex[:8]}"
    storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket(bucket)
    monkeypatch.setenv("NBA_LAKE_COMPUTE_LOG_BUCKET", bucket)
    return bucket


def test_step_logs_go_to_the_bucket_and_another_instance_reads_them(log_bucket, tmp_path):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    staging = tmp_path / "run-worker"
    with dg.instance_for_test(overrides=_instance_config(staging)) as instance:
        assert type(instance.compute_log_manager).__name__ == "GCSComputeLogManager"
        result = chatty.execute_in_process(instance=instance)
        assert result.success
        captured = [e.logs_captured_data for e in result.all_events
                    if e.event_type == dg.DagsterEventType.LOGS_CAPTURED]
        assert captured, "the run captured its step logs"
        log_key = instance.compute_log_manager.build_log_key_for_run(result.run_id, captured[0].file_key)

    objects = {b.name: b for b in storage.Client(project="test", credentials=AnonymousCredentials())
               .list_blobs(log_bucket, prefix=f"{PREFIX}/")}
    out = [n for n in objects if n.endswith(".out")]
    err = [n for n in objects if n.endswith(".err")]
    assert out and err, sorted(objects)
    assert "box scores landed for 2025-12-11" in objects[out[0]].download_as_text()
    assert "retrying nba.com after a 503" in objects[err[0]].download_as_text()

    shutil.rmtree(staging)  # the run worker's disk is gone (its pod ended)
    with dg.instance_for_test(overrides=_instance_config(tmp_path / "webserver")) as webserver:
        data = webserver.compute_log_manager.get_log_data(log_key)
    assert b"box scores landed for 2025-12-11" in data.stdout
    assert b"retrying nba.com after a 503" in data.stderr


def test_a_missing_log_bucket_stops_the_instance_from_loading(gcs_server, monkeypatch, tmp_path):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint)
    monkeypatch.setenv("NBA_LAKE_COMPUTE_LOG_BUCKET", f"nba-no-such-{uuid.uuid4().hex[:8]}")
    with pytest.raises(Exception, match="Invariant failed"):
        with dg.instance_for_test(overrides=_instance_config(tmp_path)) as instance:
            instance.compute_log_manager  # noqa: B018 - built on first use
