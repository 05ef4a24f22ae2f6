"""The exports store on GCS (fake-gcs-server): documents written whole into a bucket of their own with
their Content-Type and Cache-Control, read back byte for byte, and served from the bucket's public URL to
a page of another origin with those headers (docs/exports.md, "Serving in prod").

The emulator accepts the bucket's CORS rule (deploy/exports-cors.json) but does not store it: it answers
every origin with `Access-Control-Allow-Origin: *` by itself, so what the rule does is Google's to show."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import httpx
import pytest

from io_managers.exports import CACHE_CONTROL, CONTENT_TYPE, ExportStore
from nba_assets.logic.exports import encode, paths
from resources.exports import ExportsResource, exports_dir
from resources.settings import ConfigError
from tests.prod.conftest import PROJECT

REPO = Path(__file__).resolve().parents[2]
# The exports bucket's CORS rule (docs/exports.md): any origin may GET and HEAD, nothing else.
CORS = json.loads((REPO / "deploy" / "exports-cors.json").read_text())


@pytest.fixture
def exports_bucket(gcs_server, monkeypatch):
    import fsspec.config
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint)
    monkeypatch.setitem(fsspec.config.conf, "gcs", {"token": "anon"})
    client = storage.Client(project=PROJECT, credentials=AnonymousCredentials())
    bucket = client.create_bucket(f"nba-exports-{uuid.uuid4().hex[:8]}")
    bucket.cors = CORS
    bucket.patch()
    return client, bucket


def test_documents_go_whole_to_their_own_bucket_with_cache_headers(exports_bucket, gcs_server):
    _, bucket = exports_bucket
    lake = f"gs://nba-lake-{uuid.uuid4().hex[:8]}/nba"
    root = exports_dir(lake, {"NBA_LAKE_EXPORTS_DIR": f"gs://{bucket.name}"})
    store = ExportsResource(root=root).store()
    doc = {"schema_version": 1, "document": "tonight", "games": []}
    body = encode.encode(doc)
    written = store.write(paths.latest("tonight"), body)
    store.write(paths.results(dt.date(2025, 12, 10)), body)
    assert written.path == f"gs://{bucket.name}/v1/tonight.json" and written.bytes == len(body)
    assert store.read(paths.latest("tonight")) == body
    assert store.write(paths.latest("tonight"), body).sha256 == written.sha256  # a re-write: the same bytes

    live = bucket.get_blob("v1/tonight.json")
    assert live.content_type == CONTENT_TYPE and live.cache_control == CACHE_CONTROL["live"]
    assert bucket.get_blob("v1/results/2025-12-10.json").cache_control == CACHE_CONTROL["archive"]

    # What the page's fetch() gets from the bucket's public URL, from another origin.
    url = f"{gcs_server.endpoint}/{bucket.name}/v1/tonight.json"
    res = httpx.get(url, headers={"Origin": "https://picks.example"}, timeout=10)
    assert res.status_code == 200 and res.content == body
    assert res.headers["cache-control"] == CACHE_CONTROL["live"] and res.headers["content-type"] == CONTENT_TYPE
    assert res.headers["access-control-allow-origin"] == "*"


def test_the_lakes_bucket_is_refused_for_exports():
    with pytest.raises(ConfigError, match="stays private"):
        exports_dir("gs://nba-lake-prod/nba", {"NBA_LAKE_EXPORTS_DIR": "gs://nba-lake-prod/public"})
    with pytest.raises(ConfigError, match="NBA_LAKE_EXPORTS_DIR"):
        ExportsResource(root=exports_dir("gs://nba-lake-prod/nba", {})).store()
    assert ExportStore("gs://nba-exports").remote and not ExportStore("/srv/exports").remote
