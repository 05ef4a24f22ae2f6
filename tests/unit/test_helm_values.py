"""deploy/k8s/values.yaml against the official Dagster chart's own JSON schema (deploy/k8s/values.schema.json,
dagster-io/dagster helm/dagster/values.schema.json, kept as published), with the jsonschema package.

Helm validates the chart's defaults merged with the user's values; the chart's values.yaml is not kept
here, so the schema's `required` lists are lifted (ours is an override file) and everything else holds:
every key must exist where `additionalProperties: false` says so, every type and enum must match.
The schema points Kubernetes objects (probes, resources, affinity) at kubernetesjsonschema.dev; offline
those resolve to an empty schema, so their inner shape is not checked. Draft 7, as Helm's validator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "deploy/k8s/values.schema.json").read_text())
VALUES = yaml.safe_load((REPO / "deploy/k8s/values.yaml").read_text())
PROD = yaml.safe_load((REPO / "deploy/dagster.prod.yaml").read_text())
IMAGE = "REGION-docker.pkg.dev/PROJECT/nba-lake/nba-props-lake"


def _without_required(node):
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def _external_refs(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if str(node.get("$ref", "")).startswith("https://") else []
        return own + [r for v in node.values() for r in _external_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _external_refs(v)]
    return []


def _stand_ins() -> dict[str, dict]:
    """For each external document the schema refers to, one holding an empty schema (anything goes) at
    every pointer the schema uses."""
    docs: dict[str, dict] = {}
    for ref in _external_refs(SCHEMA):
        uri, _, pointer = ref.partition("#")
        assert uri.startswith("https://kubernetesjsonschema.dev/"), uri
        node = docs.setdefault(uri, {})
        for part in pointer.strip("/").split("/"):
            node = node.setdefault(part, {})
    return docs


STAND_INS = _stand_ins()


def _errors(values: dict) -> list[str]:
    def kubernetes_object(uri: str) -> Resource:
        return Resource.from_contents(STAND_INS[uri], default_specification=DRAFT7)

    validator = jsonschema.Draft7Validator(_without_required(SCHEMA), registry=Registry(retrieve=kubernetes_object))
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values))


def test_the_values_are_valid_for_the_chart_schema():
    assert _errors(VALUES) == []


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("computeLogManager", "type"), "GcsComputeLogManager", "is not one of"),
    (("runLauncher", "config", "k8sRunLauncher", "imagePullPolicy"), "Sometimes",  # inside an anyOf
     "runLauncher/config/k8sRunLauncher: {'imagePullPolicy': 'Sometimes'"),
    (("dagsterDaemon", "runMonitor"), {"enabled": True}, "Additional properties are not allowed"),
    (("dagsterWebserver", "enableReadOnly"), "yes", "is not of type 'boolean'"),
])
def test_a_wrong_key_or_value_is_caught(path, value, expected):
    values = copy.deepcopy(VALUES)
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert any(expected in e for e in _errors(values)), _errors(values)


def test_the_deployment_is_the_one_docs_describe():
    deployment = VALUES["dagster-user-deployments"]["deployments"][0]
    images = [VALUES["dagsterWebserver"]["image"], VALUES["dagsterDaemon"]["image"], deployment["image"]]
    assert {i["repository"] for i in images} == {IMAGE} and len({i["tag"] for i in images}) == 1
    assert deployment["codeServerArgs"] == ["-m", "nba_assets.definitions"]
    assert deployment["env"]["NBA_LAKE_ENV"] == "prod" and deployment["env"]["NBA_LAKE_EXECUTOR"] == "multiprocess"
    assert VALUES["runLauncher"]["type"] == "K8sRunLauncher"
    assert VALUES["computeLogManager"]["type"] == "GCSComputeLogManager"
    assert VALUES["dagsterWebserver"]["enableReadOnly"] is True
    assert VALUES["postgresql"]["enabled"] is False and VALUES["postgresql"]["postgresqlPassword"] == ""
    assert VALUES["generatePostgresqlPasswordSecret"] is False


def test_runs_and_the_ui_use_separate_workload_identities():
    runs_ksa = VALUES["dagster-user-deployments"]["serviceAccount"]
    ui_ksa = VALUES["serviceAccount"]
    launcher = VALUES["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["podSpecConfig"]
    assert launcher["serviceAccountName"] == runs_ksa["name"] != ui_ksa["name"]
    gsa = "iam.gke.io/gcp-service-account"
    assert runs_ksa["annotations"][gsa].startswith("nba-lake-runs@")
    assert ui_ksa["annotations"][gsa].startswith("nba-lake-ui@")


def test_the_daemon_keeps_the_limits_retries_and_monitoring_of_the_compose_instance():
    daemon = VALUES["dagsterDaemon"]
    queued = daemon["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert queued["maxConcurrentRuns"] == PROD["concurrency"]["runs"]["max_concurrent_runs"]
    assert queued["tagConcurrencyLimits"] == PROD["concurrency"]["runs"]["tag_concurrency_limits"]
    assert daemon["runRetries"]["maxRetries"] == PROD["run_retries"]["max_retries"]
    assert daemon["runMonitoring"]["pollIntervalSeconds"] == PROD["run_monitoring"]["poll_interval_seconds"]
    gcs = VALUES["computeLogManager"]["config"]["gcsComputeLogManager"]
    assert gcs["prefix"] == PROD["compute_logs"]["config"]["prefix"]
    assert gcs["uploadInterval"] == PROD["compute_logs"]["config"]["upload_interval"]
