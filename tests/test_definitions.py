"""The code location loads, and its shape is what operators rely on (keys, checks, automation, sensors)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from nba_assets import tables
from nba_assets.definitions import defs
from resources.http import RETRY_BUDGET

ROOT = Path(__file__).resolve().parents[1]

DAILY_TABLES = sorted(t.label for t in tables.LAKE)
EXPECTED_ASSETS = sorted(
    [*DAILY_TABLES, tables.POINTS_MODEL.label, tables.SEASON_REPORT.label, tables.PIPELINE_HEALTH.label,
     *(t.label for t in tables.ALL if t.layer == "exports")]
)
# How each layer's daily tables are kept fresh (raw is fetched by schedules/sensors; the model and the
# report are scheduled): every table of a layer gets its layer's condition.
AUTOMATION_BY_LAYER = {
    "analytics": "rerun_on_upstream_update", "features": "rerun_on_upstream_update",
    "predictions": "rerun_today_only", "grading": "rerun_graded_days",
}
AUTOMATION = {t.label: AUTOMATION_BY_LAYER[t.layer] for t in tables.LAKE if t.layer in AUTOMATION_BY_LAYER}
# The exports follow their inputs: every refresh of a slate re-writes its documents; a day's results
# follow its grades (docs/exports.md).
AUTOMATION.update({
    tables.EXPORT_TONIGHT.label: "rerun_on_upstream_update", tables.EXPORT_BEST_BETS.label: "rerun_on_upstream_update",
    tables.EXPORT_LEADERBOARD.label: "rerun_on_upstream_update", tables.EXPORT_PLAYERS.label: "rerun_on_upstream_update",
    tables.EXPORT_RESULTS.label: "rerun_graded_days",
})
# The one exception: today's champion backs tonight's picks and reads only the days graded before today.
AUTOMATION[tables.CHAMPION.label] = "rerun_on_upstream_update"


def _specs() -> dict[str, dg.AssetSpec]:
    return {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}


def test_asset_keys_snapshot():
    assert sorted(_specs()) == EXPECTED_ASSETS


def test_every_table_explains_itself_in_the_ui():
    for key, spec in _specs().items():
        assert spec.description and len(spec.description) > 40, key
        assert spec.group_name == tables.get(key).group, key
        assert spec.owners, key
        assert spec.kinds, key
        if key != tables.PIPELINE_HEALTH.label:
            assert spec.code_version, key
    for table in DAILY_TABLES:
        spec = _specs()[table]
        assert spec.partitions_def is not None, table
        assert spec.metadata.get("partition_expr") == "game_date", table


def test_automation_labels_snapshot():
    labels = {
        key: spec.automation_condition.get_label()
        for key, spec in _specs().items()
        if spec.automation_condition is not None
    }
    assert labels == AUTOMATION  # raw is fetched by schedules/sensors; the model and report are scheduled


def test_every_table_has_a_blocking_duplicate_check_on_raw_and_analytics():
    graph = defs.resolve_asset_graph()
    checks = {
        (k.asset_key.to_user_string(), k.name): graph.get_check_spec(k) for k in graph.asset_check_keys
    }
    for table in DAILY_TABLES:
        spec = checks.get((table, "no_duplicate_keys"))
        assert spec is not None, f"{table} has no duplicate check"
        assert spec.blocking == table.startswith(("raw/", "analytics/")), table
    for raw in (tables.SCHEDULE.label, tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label, tables.PROP_LINES.label, tables.INJURIES.label):
        assert (raw, "no_rejected_records") in checks
    assert (tables.PIPELINE_HEALTH.label, "game_day_run_recent") in checks
    assert len(checks) >= 35


def test_sensors_and_schedules_ship_running():
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {
        "nba_automation", "late_boxscore_sensor", "source_recovery_sensor", "record_run_failures", "alerts_sensor",
        "slate_refresh_sensor", "game_day_sim_sensor",
    }
    for s in sensors.values():
        assert s.default_status == dg.DefaultSensorStatus.RUNNING, s.name
    schedules = {s.name: s for s in defs.schedules}
    assert set(schedules) == {
        "game_day_schedule", "weekly_retrain_schedule", "hourly_health_schedule",
        "verify_recent_schedule", "verify_lake_schedule",
    }
    for s in schedules.values():
        assert s.default_status == dg.DefaultScheduleStatus.RUNNING, s.name


def test_network_assets_retry_and_freshness_is_declared():
    for key, spec in _specs().items():
        if key.startswith("raw/") or key == tables.PLAYER_PROP_PREDICTIONS.label:
            assert spec.freshness_policy is not None, key
    for asset in defs.assets:
        if isinstance(asset, dg.AssetsDefinition) and asset.key.path[0] == "raw":
            node = asset.node_def
            # The "per run" part of the one retry budget (resources/http.py), nothing stacked on top.
            assert node.retry_policy is not None, asset.key
            assert node.retry_policy.max_retries == RETRY_BUDGET.step_retries >= 1, asset.key


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    exe = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(exe), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Validation successful" in proc.stderr + proc.stdout


def test_loading_the_code_location_does_not_import_matplotlib():
    """matplotlib (0.5-1 s to import) is loaded by the steps that draw a plot, not by every process
    that loads the definitions (`nba-lake backfill`, the daemon's run workers, the webserver)."""
    code = "import sys\nfrom nba_assets.definitions import defs\nprint('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]


def test_every_table_has_the_freshness_policy_of_its_registry_entry():
    for table in tables.ALL:
        spec = _specs()[table.label]
        if table.fresh_hours is None:
            assert spec.freshness_policy is None, table.label
            continue
        warn, fail = table.fresh_hours
        policy = spec.freshness_policy
        assert policy is not None, table.label
        assert policy.fail_window.to_timedelta().total_seconds() == fail * 3600, table.label
        assert policy.warn_window.to_timedelta().total_seconds() == warn * 3600, table.label


def test_every_lake_table_has_its_duplicate_check_on_its_business_key():
    from checks.definitions import DUPLICATES

    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    for table in tables.LAKE:
        assert table.business_key, table.label
        assert (table.label, DUPLICATES) in checks, table.label
