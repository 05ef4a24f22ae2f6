"""GraphQL smoke test against the running webserver: what the code location says is what the UI shows.

Expected values come from `nba_assets.definitions.defs`, so a new asset, check or sensor is covered
without editing this file; the fixed names below are the ones the design promises.
"""

from __future__ import annotations

import time

import pytest

from nba_assets import tables
from tests.e2e.conftest import E2E_DAYS, E2E_END, E2E_START, FAULT_DAY, E2EStack

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
    "alerts_sensor": "STANDARD",
    "slate_refresh_sensor": "STANDARD",
    "source_recovery_sensor": "STANDARD",
    "game_day_sim_sensor": "STANDARD",
}


@pytest.fixture(scope="module")
def graph():
    from nba_assets.definitions import defs

    return defs, defs.resolve_asset_graph()


SETTLE_TIMEOUT = 240.0


def _settled_asset_nodes(stack: E2EStack) -> dict[str, dict]:
    """The asset nodes once no check execution of a latest materialization is still running: the tour
    (tests/e2e/test_tour.py, maybe on the other xdist worker) launches a run from the UI, and a node
    read while its checks run shows IN_PROGRESS, not the result these tests assert."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        nodes = {"/".join(n["assetKey"]["path"]): n for n in stack.graphql(ASSETS_Q)["assetNodes"]}
        running = sorted(
            f"{key}:{c['name']}" for key, n in nodes.items()
            if n["assetChecksOrError"]["__typename"] == "AssetChecks"
            for c in n["assetChecksOrError"]["checks"]
            if (c["executionForLatestMaterialization"] or {}).get("status") == "IN_PROGRESS"
        )
        if not running:
            return nodes
        assert time.monotonic() < deadline, f"check executions still IN_PROGRESS after {SETTLE_TIMEOUT:.0f}s: {running}"
        time.sleep(1)


@pytest.fixture(scope="module")
def asset_nodes(e2e_stack: E2EStack) -> dict[str, dict]:
    return _settled_asset_nodes(e2e_stack)


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
    assert len(materialized) == 11  # 8 raw, 3 analytics
    for key in materialized:
        latest = _checks(asset_nodes[key])["no_duplicate_keys"]["executionForLatestMaterialization"]
        assert latest is not None, f"{key}: no_duplicate_keys never ran"
        assert latest["status"] == "SUCCEEDED", (key, latest)
        assert latest["evaluation"] == {"success": True, "severity": "ERROR"}, (key, latest)
    # Nothing downstream of analytics was materialized, so its checks have no execution.
    latest = _checks(asset_nodes[tables.PLAYER_FEATURES.label])["no_duplicate_keys"]
    assert latest["executionForLatestMaterialization"] is None


# The checks the fault day trips (tests/assets/test_fault_checks.py); every other check passes every day.
TRIPPED_ON_FAULT_DAY = {
    (tables.GAMES.label, "final_games_have_boxscores"),
    (tables.GAMES.label, "final_games_in_every_source"),
    (tables.PROP_LINES.label, "prop_availability"),
}


def test_every_check_has_its_own_result_for_every_day_of_the_range(e2e_stack: E2EStack, asset_nodes, graph):
    """One single-run range backfill per layer, and still, for every check of raw and analytics and
    every day of the week: one execution record for that day, from that run, SUCCEEDED or FAILED
    with its own evaluation (never SKIPPED, what the UI shows for a day without a result), FAILED
    exactly on the fault day for exactly the checks that fault trips."""
    _, g = graph
    checks = sorted((ck.asset_key.to_user_string(), ck.name, ck.asset_key.path) for ck in g.asset_check_keys
                    if ck.asset_key.path[0] in ("raw", "analytics"))  # fmt: skip
    assert len(checks) >= 25
    statuses = {}
    for label, name, path in checks:
        for day in E2E_DAYS:
            v = {"key": {"path": path}, "name": name, "partition": day}
            rows = e2e_stack.graphql(CHECK_EXECUTIONS_Q, v)["assetCheckExecutions"]
            assert [r["partition"] for r in rows] == [day], (label, name, rows)
            assert rows[0]["evaluation"] is not None and rows[0]["evaluation"]["partition"] == day, rows
            statuses[(label, name, day)] = rows[0]["status"]
    failed = {k for k, st in statuses.items() if st == "FAILED"}
    assert failed == {(*c, FAULT_DAY) for c in TRIPPED_ON_FAULT_DAY}
    assert {st for k, st in statuses.items() if k not in failed} == {"SUCCEEDED"}
    v = {"key": {"path": tables.BDL_BOXSCORES.path}, "name": "no_duplicate_keys", "partition": "2025-12-03"}
    assert e2e_stack.graphql(CHECK_EXECUTIONS_Q, v)["assetCheckExecutions"] == []  # a day outside the backfill


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
    assert len(schedules) >= 3  # the line refreshes are the slate_refresh_sensor
    assert set(schedules.values()) == {"RUNNING"}, schedules


def _launched_by_the_tour(run: dict) -> bool:
    from tests.e2e.test_tour import UI_RUN_DAY

    return {"key": "dagster/partition", "value": UI_RUN_DAY} in run["tags"]


def test_fixture_runs_are_in_the_instance(e2e_stack: E2EStack):
    runs = e2e_stack.graphql(RUNS_Q)["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    # The tour's one-day run from the UI may have run already (the other xdist worker): not ours.
    results = [r for r in runs["results"] if not _launched_by_the_tour(r)]
    by_job = sorted((r["jobName"], r["status"]) for r in results)
    assert by_job == [
        ("__ASSET_JOB", "SUCCESS"),
        ("ingest_and_features", "SUCCESS"),
        ("ingest_and_features", "SUCCESS"),
    ]
    ranges = sorted(
        (t["key"], t["value"])
        for r in results
        for t in r["tags"]
        if t["key"].startswith("dagster/asset_partition_range")
    )
    assert ranges == [
        ("dagster/asset_partition_range_end", E2E_END),
        ("dagster/asset_partition_range_end", E2E_END),
        ("dagster/asset_partition_range_start", E2E_START),
        ("dagster/asset_partition_range_start", E2E_START),
    ]


BACKFILLS_Q = """query { partitionBackfillsOrError { __typename ... on PartitionBackfills { results {
  id status title isAssetBackfill runs(limit: 10) { runId status jobName }
  assetBackfillData { rootTargetedPartitions { ranges { start end } }
    assetBackfillStatuses { __typename ... on AssetPartitionsStatusCounts { assetKey { path }
      numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized numPartitionsFailed } } } } } } }"""


def test_cli_backfills_are_dagster_backfills_with_their_range_partitions_and_runs(e2e_stack: E2EStack, graph):
    """The fixture's two `nba-lake backfill --select raw|analytics` are on the Backfills page: the range,
    every asset's seven days materialized, and the run each executed."""
    defs, _ = graph
    got = e2e_stack.graphql(BACKFILLS_Q)["partitionBackfillsOrError"]
    assert got["__typename"] == "PartitionBackfills", got
    ours = [b for b in got["results"] if b["title"] == f"nba-lake backfill {E2E_START}..{E2E_END}"]
    assert len(ours) == 2, got
    layers = []
    for b in ours:
        assert b["status"] == "COMPLETED_SUCCESS" and b["isAssetBackfill"], b
        data = b["assetBackfillData"]
        assert data["rootTargetedPartitions"]["ranges"] == [{"start": E2E_START, "end": E2E_END}]
        counts = {"/".join(s["assetKey"]["path"]): s for s in data["assetBackfillStatuses"]}
        (layer,) = {key.split("/")[0] for key in counts}
        layers.append(layer)
        assert set(counts) == {"/".join(a.key.path) for a in defs.resolve_all_asset_specs()
                               if a.group_name == layer and a.partitions_def is not None}
        for key, c in counts.items():
            assert (c["numPartitionsTargeted"], c["numPartitionsMaterialized"], c["numPartitionsFailed"],
                    c["numPartitionsInProgress"]) == (len(E2E_DAYS), len(E2E_DAYS), 0, 0), key
        (run,) = b["runs"]
        assert (run["jobName"], run["status"]) == ("ingest_and_features", "SUCCESS")
    assert sorted(layers) == ["analytics", "raw"]


LINEAGE_Q = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { __typename ... on AssetNode {
  metadataEntries { __typename label ... on TableColumnLineageMetadataEntry {
    lineage { columnName columnDeps { assetKey { path } columnName } } } } } } }"""


def test_column_lineage_reaches_the_ui(e2e_stack: E2EStack):
    """The summary's points come from both sources' raw points: what the asset page's columns show."""
    node = e2e_stack.graphql(LINEAGE_Q, {"key": {"path": tables.PLAYER_GAME_SUMMARY.path}})["assetNodeOrError"]
    entry = next(e for e in node["metadataEntries"] if e["label"] == "dagster/column_lineage")
    assert entry["__typename"] == "TableColumnLineageMetadataEntry"
    deps = {c["columnName"]: c["columnDeps"] for c in entry["lineage"]}
    assert {("/".join(d["assetKey"]["path"]), d["columnName"]) for d in deps["points"]} == {
        (tables.BDL_BOXSCORES.label, "points"),
        (tables.NBACOM_BOXSCORES.label, "points"),
    }
