"""Google credentials in prod: application default credentials when no key file is mounted (the VM's or
pod's service account), a key file when GOOGLE_APPLICATION_CREDENTIALS names one, and a clear one-line
error naming the variable when it names no file. The ADC lookup is replaced at its boundary
(`google.auth.default`); no server and no network is needed."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import fsspec.config
import google.auth
import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import DefaultCredentialsError

from resources.files import quiet_gcs_reads
from resources.gcp import KEY_FILE_VAR, bigquery_resource, gcp_settings
from resources.settings import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PROD = {"NBA_LAKE_ENV": "prod", "NBA_LAKE_DATA_DIR": "gs://nba-lake-prod/nba", "NBA_LAKE_GCP_PROJECT": "my-project",
        "NBA_LAKE_BQ_LOCATION": "US"}


class VmServiceAccount(AnonymousCredentials):
    """Stands for the credentials the metadata server (GCE) or workload identity (GKE) hands out."""


@pytest.fixture
def no_key_file(monkeypatch):
    """A prod process with no key file and no emulator: only Google's default credentials are left."""
    for name in (KEY_FILE_VAR, "STORAGE_EMULATOR_HOST", "FSSPEC_GCS_TOKEN", "NBA_LAKE_BQ_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(fsspec.config.conf, "gcs", raising=False)
    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    quiet_gcs_reads()


@pytest.fixture
def adc(monkeypatch, no_key_file):
    """google.auth.default replaced at the boundary: records each lookup, answers with the VM's account."""
    calls: list[tuple] = []
    creds = VmServiceAccount()

    def default(scopes=None, request=None, **_):
        calls.append(tuple(scopes or ()))
        return creds, "my-project"

    monkeypatch.setattr(google.auth, "default", default)
    return creds, calls


def test_without_a_key_file_bigquery_and_gcs_clients_use_the_default_credentials(adc):
    creds, calls = adc
    with bigquery_resource(gcp_settings()).get_client() as client:
        assert client._credentials is creds
    assert len(calls) == 1, "the BigQuery client asked for the default credentials"
    fs = fsspec.filesystem("gs", skip_instance_cache=True)
    assert type(fs).__name__ == "ReadaheadGCSFileSystem"
    assert fs.credentials.credentials is creds
    assert len(calls) == 2 and any("devstorage" in scope for scope in calls[-1]), calls


def test_without_any_credentials_gcs_fails_at_once_instead_of_going_anonymous(monkeypatch, no_key_file):
    def default(scopes=None, request=None, **_):
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", default)
    with pytest.raises(DefaultCredentialsError, match="default credentials were not found"):
        fsspec.filesystem("gs", skip_instance_cache=True)


def test_an_explicit_gcs_token_still_wins(monkeypatch, no_key_file):
    monkeypatch.setitem(fsspec.config.conf, "gcs", {"token": "anon"})  # the emulator tests' FSSPEC_GCS_TOKEN
    assert fsspec.filesystem("gs", skip_instance_cache=True).credentials.method == "anon"


def _service_account_key(path: Path, email: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "my-project", "private_key_id": "k1",
        "private_key": pem.decode(), "client_email": email, "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    return path


def test_a_mounted_key_file_is_used_when_the_variable_names_it(monkeypatch, no_key_file, tmp_path):
    email = "nba-lake-runs@my-project.iam.gserviceaccount.com"
    monkeypatch.setenv(KEY_FILE_VAR, str(_service_account_key(tmp_path / "gcp-key.json", email)))
    with bigquery_resource(gcp_settings()).get_client() as client:
        assert client._credentials.service_account_email == email
    assert fsspec.filesystem("gs", skip_instance_cache=True).credentials.credentials.service_account_email == email


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_key_file_variable_naming_no_file_fails_naming_the_variable(monkeypatch, no_key_file, tmp_path, kind):
    # A bind mount of a host file that does not exist makes an empty directory in the container.
    path = tmp_path / "gcp-key.json"
    if kind == "directory":
        path.mkdir()
    monkeypatch.setenv(KEY_FILE_VAR, str(path))
    with pytest.raises(ConfigError, match=rf"^GOOGLE_APPLICATION_CREDENTIALS='{path}' names no file: .*unset"):
        gcp_settings()


def test_compose_sets_no_key_file_unless_the_key_file_override_is_added():
    base = yaml.safe_load((ROOT / "deploy/docker-compose.yaml").read_text())
    for name, service in base["services"].items():
        assert KEY_FILE_VAR not in (service.get("environment") or {}), name
        assert not any("gcp-key" in str(v) for v in service.get("volumes") or []), name
    override = yaml.safe_load((ROOT / "deploy/docker-compose.key-file.yaml").read_text())
    for service in override["services"].values():
        assert service["environment"][KEY_FILE_VAR] == "/run/secrets/gcp-key.json"
        assert any(str(v).endswith(":/run/secrets/gcp-key.json:ro") for v in service["volumes"])
