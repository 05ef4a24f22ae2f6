"""NBA_LAKE_ENV=prod: the code location loads and validates with only the documented variables, and a
missing one fails the load with one line naming it. No server is needed to load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from resources.env import resources_for
from resources.gcp import REQUIRED
from resources.settings import ConfigError, settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED = {  # what docs/production.md lists as required, plus the optional prefix
    "NBA_LAKE_ENV": "prod",
    "NBA_LAKE_SOURCE": "live",
    "NBA_LAKE_DATA_DIR": "gs://nba-lake-prod/nba",
    "NBA_LAKE_GCP_PROJECT": "my-project",
    "NBA_LAKE_BQ_LOCATION": "US",
}


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**keep, "DAGSTER_HOME": str(tmp_path), "PYTHONWARNINGS": "ignore", **extra}


def _validate(env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("dagster")
    return subprocess.run(
        [str(exe), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_prod_definitions_validate_with_only_the_documented_variables(tmp_path):
    proc = _validate(_clean_env(tmp_path, **DOCUMENTED))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Validation successful" in proc.stderr + proc.stdout


@pytest.mark.parametrize("missing", [name for name, _ in REQUIRED])
def test_each_required_variable_is_named_when_missing(missing, monkeypatch):
    # resources_for(settings()) is what nba_assets/definitions.py runs at import, i.e. at load.
    for k, v in DOCUMENTED.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError) as err:
        resources_for(settings())
    assert str(err.value).startswith(f"NBA_LAKE_ENV=prod needs {missing}") and "\n" not in str(err.value)


def test_prod_resources_publish_through_bigquery_and_keep_the_lake_on_gcs(monkeypatch):
    for k, v in DOCUMENTED.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("NBA_LAKE_BQ_DATASET_PREFIX", "props_")
    res = resources_for(settings())
    assert type(res["io_manager"]).__name__ == "GcsLakeIOManager"
    assert res["io_manager"].base_dir == "gs://nba-lake-prod/nba" and res["lake"].data_dir == "gs://nba-lake-prod/nba"
    assert res["bigquery"].project == "my-project" and res["bigquery"].dataset_prefix == "props_"
    assert res["bigquery"].api_endpoint is None  # real Google endpoint and default credentials


def test_prod_refuses_a_local_data_dir(monkeypatch):
    for k, v in DOCUMENTED.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", "/srv/lake")
    with pytest.raises(ConfigError, match="NBA_LAKE_DATA_DIR=gs://"):
        settings()
