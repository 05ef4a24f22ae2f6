"""GraphQL smoke test against the running webserver: what the code location says is what the UI shows.

Expected values come from `nba_assets.definitions.defs`, so a new asset, check or sensor is covered
without editing this file; the fixed names below are the ones the design promises.
"""

from __future__ import annotations

import pytest

from nba_assets import tables
from tests.e2e.conftest import E2E_END, E2E_START, E2EStack

pytestmark = pytest.mark.e2e

ASSETS_Q = """query { assetNodes { assetKey { path } isPartitioned automationCondition { label }
  assetChecksOrError { __typename ... on AssetChecks { checks { name blocking
    executionForLatestMaterialization { runId status evaluation { success severity } } } } } } }"""

CHECK_EXECUTIONS_Q = """query($key: AssetKeyInput!, $name: String!, $partition: String) {
  assetCheckExecutions(assetKey: $key, checkName: $name, partition: $partition, limit: 20) {
    runId status partition evaluation { success severity partition } } }"""

REPO_Q = """query { repositoriesOrError { __typename ... on RepositoryConnection { nodes { name
  sensors { name sensorType sensorState { status } } schedules { name scheduleState { status } } } } } }"""

RUNS_Q = """query { runsOrError { __typename ... on Runs { results { runId jobName status
  tags { key value } } } } }"""

# sensor -> its type in the UI; all are designed RUNNING by default (no one has to switch them on).
DESIGNED_SENSORS = {
    "nba_automation": "AUTO_MATERIALIZE",
    "late_boxscore_sensor": "STANDARD",
    "record_run_failures": "RUN_STATUS",
}


@pytest.fixture(scope="module")
def graph():
    from nba_assets.definitions import defs

    return defs, defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def asset_nodes(e2e_stack: E2EStack) -> dict[str, dict]:
    nodes = e2e_stack.graphql(ASSETS_Q)["assetNodes"]
    return {"/".join(n["assetKey"]["path"]): n for n in nodes}


def _checks(node: dict) -> dict[str, dict]:
    assert node["assetChecksOrError"]["__typename"] == "AssetChecks", node["assetChecksOrError"]
    return {c["name"]: c for c in node["assetChecksOrError"]["checks"]}


def test_every_asset_is_listed(asset_nodes, graph):
    _, g = graph
    expected = {k.to_user_string() for k in g.get_all_asset_keys()}
    assert set(asset_nodes) == expected
    for key in (tables.BDL_BOXSCORES.label, tables.PLAYER_GAME_SUMMARY.label, tables.SEASON_REPORT.label):
        assert key in asset_nodes
    partitioned = {k.to_user_string() for k in g.get_all_asset_keys() if g.get(k).partitions_def}
    assert {k for k, n in asset_nodes.items() if n["isPartitioned"]} == partitioned


def test_every_check_is_listed_per_asset(asset_nodes, graph):
    _, g = graph
    expected: dict[str, set[str]] = {}
    for ck in g.asset_check_keys:
        expected.setdefault(ck.asset_key.to_user_string(), set()).add(ck.name)
    listed = {k: set(_checks(n)) for k, n in asset_nodes.items() if _checks(n)}
    assert listed == expected
    assert "no_duplicate_keys" in listed[tables.BDL_BOXSCORES.label]
    assert _checks(asset_nodes[tables.BDL_BOXSCORES.label])["no_duplicate_keys"]["blocking"] is True


def test_materialized_assets_have_passing_check_results(asset_nodes):
    """The backfilled layers (raw, analytics) have a latest, passing evaluation of their duplicate check."""
    materialized = [k for k in asset_nodes if k.split("/")[0] in ("raw", "analytics")]
    assert len(materialized) == 8
    for key in materialized:
        latest = _checks(asset_nodes[key])["no_duplicate_keys"]["executionForLatestMaterialization"]
        assert latest is not None, f"{key}: no_duplicate_keys never ran"
        assert latest["status"] == "SUCCEEDED", (key, latest)
        assert latest["evaluation"] == {"success": True, "severity": "ERROR"}, (key, latest)
    # Nothing downstream of analytics was materialized, so its checks have no execution.
    latest = _checks(asset_nodes[tables.PLAYER_FEATURES.label])["no_duplicate_keys"]
    assert latest["executionForLatestMaterialization"] is None


def test_check_executions_per_partition(e2e_stack: E2EStack, asset_nodes):
    """Each backfilled day has an execution record of the check, from the run that evaluated the range.

    A single-run range backfill evaluates a partitioned check once over the whole range: the instance
    keeps one evaluated execution (partition null, success) plus one record per day, which Dagster
    1.13 marks SKIPPED (it is what the UI's check list shows for such a day).
    """
    check = _checks(asset_nodes[tables.BDL_BOXSCORES.label])["no_duplicate_keys"]
    run_id = check["executionForLatestMaterialization"]["runId"]
    key = {"path": tables.BDL_BOXSCORES.path}

    def executions(partition):
        v = {"key": key, "name": "no_duplicate_keys", "partition": partition}
        return e2e_stack.graphql(CHECK_EXECUTIONS_Q, v)["assetCheckExecutions"]

    for day in (E2E_START, E2E_END):
        rows = executions(day)
        assert [r["partition"] for r in rows] == [day], rows
        assert rows[0]["runId"] == run_id
        assert rows[0]["status"] in {"SUCCEEDED", "SKIPPED"}, rows
    assert executions("2026-11-10") == []  # a day outside the backfill
    evaluated = [r for r in executions(None) if r["evaluation"] is not None]
    assert [(r["runId"], r["status"], r["evaluation"]["success"]) for r in evaluated] == [
        (run_id, "SUCCEEDED", True)
    ]


def test_automation_condition_labels(asset_nodes, graph):
    _, g = graph
    for key in g.get_all_asset_keys():
        cond = g.get(key).automation_condition
        shown = asset_nodes[key.to_user_string()]["automationCondition"]
        if cond is None:
            assert shown is None, key
        else:
            assert shown == {"label": cond.get_label()}, key
    labels = {n["automationCondition"]["label"] for n in asset_nodes.values() if n["automationCondition"]}
    assert {"rerun_on_upstream_update", "rerun_graded_days", "rerun_today_only"} <= labels
    assert asset_nodes[tables.PLAYER_GAME_SUMMARY.label]["automationCondition"]["label"] == (
        "rerun_on_upstream_update"
    )


def test_sensors_and_schedules_running_as_designed(e2e_stack: E2EStack, graph):
    defs, _ = graph
    repos = e2e_stack.graphql(REPO_Q)["repositoriesOrError"]
    assert repos["__typename"] == "RepositoryConnection", repos
    (repo,) = repos["nodes"]
    sensors = {s["name"]: (s["sensorType"], s["sensorState"]["status"]) for s in repo["sensors"]}
    assert {s.name for s in defs.sensors} == set(sensors)
    assert sensors == {name: (kind, "RUNNING") for name, kind in DESIGNED_SENSORS.items()}
    schedules = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    assert set(schedules) == {s.name for s in defs.schedules}
    assert len(schedules) >= 4
    assert set(schedules.values()) == {"RUNNING"}, schedules


def test_fixture_runs_are_in_the_instance(e2e_stack: E2EStack):
    runs = e2e_stack.graphql(RUNS_Q)["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    by_job = sorted((r["jobName"], r["status"]) for r in runs["results"])
    assert by_job == [
        ("__ASSET_JOB", "SUCCESS"),
        ("ingest_and_features", "SUCCESS"),
        ("ingest_and_features", "SUCCESS"),
    ]
    ranges = sorted(
        (t["key"], t["value"])
        for r in runs["results"]
        for t in r["tags"]
        if t["key"].startswith("dagster/asset_partition_range")
    )
    assert ranges == [
        ("dagster/asset_partition_range_end", E2E_END),
        ("dagster/asset_partition_range_end", E2E_END),
        ("dagster/asset_partition_range_start", E2E_START),
        ("dagster/asset_partition_range_start", E2E_START),
    ]
