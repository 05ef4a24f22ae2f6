"""A CLI backfill is a Dagster backfill (nba_assets/cli/backfills.py), on toy assets and a real instance:
recorded before its first run, its runs tagged with its id, the partitions each run wrote, the final
status, and the per-asset partition counts Dagster computes for the Backfills page from that record."""

# No `from __future__ import annotations`: Dagster compares the `context` annotation by identity.
import socket
import subprocess
import sys

import dagster as dg
import pytest

from nba_assets.cli import backfills, guard
from nba_assets.cli.runner import run_range
from nba_assets.dagster_internals import private_api
from nba_assets.dagster_internals.instance_view import HOST_TAG, PID_TAG
from tests.conftest import lake_instance_for_test

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=0, fmt="%Y-%m-%d")
WEEKS = dg.WeeklyPartitionsDefinition(start_date="2025-01-06", day_offset=1, end_offset=1, fmt="%Y-%m-%d")
FAIL = {"on": False}


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def day_rows(context: dg.AssetExecutionContext) -> None:
    return None


@dg.asset(partitions_def=WEEKS, deps=[day_rows], backfill_policy=dg.BackfillPolicy.single_run())
def week_model(context: dg.AssetExecutionContext) -> None:
    if FAIL["on"]:
        raise RuntimeError("the week's fit failed")


@dg.asset(partitions_def=DAYS, deps=[week_model], backfill_policy=dg.BackfillPolicy.single_run())
def day_scores(context: dg.AssetExecutionContext) -> None:
    return None


JOBS = [dg.define_asset_job("rows", [day_rows]), dg.define_asset_job("model", [week_model]),
        dg.define_asset_job("scores", [day_scores])]
DEFS = dg.Definitions(assets=[day_rows, week_model, day_scores], jobs=JOBS)
FIRST, LAST = "2025-01-07", "2025-01-20"
STEPS = [("rows", FIRST, LAST, None), ("model", "2025-01-06", "2025-01-13", None), ("scores", FIRST, LAST, None)]


@pytest.fixture
def instance():
    FAIL["on"] = False
    with lake_instance_for_test() as inst:
        yield inst


def _execute(instance, seen: list | None = None):
    def execute(job, start, end, selection, tags):
        if seen is not None:  # what the UI shows while the run executes
            seen.append(instance.get_backfills()[0].status.value)
        return run_range(DEFS, job, start, end, instance=instance, selection=selection, extra_tags=tags)

    return execute


def _counts(instance, backfill_id: str) -> dict[str, dict[str, int]]:
    """Per asset: Dagster's own partition counts from the record (what the Backfills page shows)."""
    data = instance.get_backfill(backfill_id).asset_backfill_data
    out = {}
    for status in data.get_backfill_status_per_asset_key(DEFS.resolve_asset_graph()):
        out[status.asset_key.to_user_string()] = {
            "targeted": status.num_targeted_partitions,
            **{k.value.lower(): v for k, v in status.partitions_counts_by_status.items()},
        }
    return out


def test_a_backfill_is_recorded_its_runs_carry_its_id_and_its_partitions_are_materialized(instance):
    seen: list[str] = []
    outcome = backfills.run_backfill(DEFS, instance, STEPS, _execute(instance, seen), kind="backfill")
    assert outcome.success and len(outcome.runs) == 3
    assert seen == ["REQUESTED"] * 3  # "In progress" on the Backfills page while the runs execute
    (record,) = instance.get_backfills()
    assert record.backfill_id == outcome.backfill_id and record.status.value == "COMPLETED_SUCCESS"
    assert record.title == f"nba-lake backfill {FIRST}..{LAST}" and record.backfill_end_timestamp
    assert record.tags[guard.BACKFILL_TAG] == "backfill" and record.tags[HOST_TAG] == socket.gethostname()
    data = record.asset_backfill_data
    # Every target partition counts as requested: a BackfillDaemon that sees it launches nothing.
    assert data.requested_subset == data.target_subset and data.requested_runs_for_target_roots
    assert data.materialized_subset == data.target_subset
    assert data.target_subset.get_partitions_subset(week_model.key).get_partition_keys() == ["2025-01-06",
                                                                                           "2025-01-13"]
    assert _counts(instance, outcome.backfill_id) == {
        "day_rows": {"targeted": 14, "materialized": 14, "failed": 0, "in_progress": 0},
        "week_model": {"targeted": 2, "materialized": 2, "failed": 0, "in_progress": 0},
        "day_scores": {"targeted": 14, "materialized": 14, "failed": 0, "in_progress": 0},
    }
    runs = instance.get_runs(dg.RunsFilter(tags={backfills.BACKFILL_ID_TAG: outcome.backfill_id}))
    assert sorted(r.job_name for r in runs) == ["model", "rows", "scores"]
    assert {r.run_id for r in runs} == {s.run_id for s in outcome.runs}


def test_a_failed_run_ends_the_backfill_and_marks_its_and_later_targets_failed(instance):
    FAIL["on"] = True
    outcome = backfills.run_backfill(DEFS, instance, STEPS, _execute(instance))
    assert outcome.status == "COMPLETED_FAILED" and not outcome.success
    assert [s.job for s in outcome.runs] == ["rows", "model"]  # the scores never ran
    assert instance.get_backfill(outcome.backfill_id).status.value == "COMPLETED_FAILED"
    assert _counts(instance, outcome.backfill_id) == {
        "day_rows": {"targeted": 14, "materialized": 14, "failed": 0, "in_progress": 0},
        "week_model": {"targeted": 2, "materialized": 0, "failed": 2, "in_progress": 0},
        "day_scores": {"targeted": 14, "materialized": 0, "failed": 14, "in_progress": 0},
    }


def test_canceled_in_the_ui_the_backfill_stops_before_its_next_run(instance):
    def execute(job, start, end, selection, tags):
        summary = run_range(DEFS, job, start, end, instance=instance, selection=selection, extra_tags=tags)
        record = instance.get_backfills()[0]  # what "Cancel backfill" on the Backfills page stores
        instance.update_backfill(record.with_status(type(record.status)("CANCELING")))
        return summary

    outcome = backfills.run_backfill(DEFS, instance, STEPS, execute)
    assert outcome.status == "CANCELED" and [s.job for s in outcome.runs] == ["rows"]
    assert instance.get_backfill(outcome.backfill_id).status.value == "CANCELED"
    assert _counts(instance, outcome.backfill_id)["day_scores"]["failed"] == 14


def test_a_daemon_taking_the_backfill_for_stalled_between_two_runs_is_overruled(instance):
    """A BackfillDaemon tick between two runs (none in progress) marks the backfill COMPLETED_FAILED with
    the later steps failed (what `_backfill_is_stalled` does); the next update puts the truth back."""
    graph = DEFS.resolve_asset_graph()
    seen = []

    def execute(job, start, end, selection, tags):
        summary = run_range(DEFS, job, start, end, instance=instance, selection=selection, extra_tags=tags)
        if job == "rows":
            bid = tags[backfills.BACKFILL_ID_TAG]
            later = {week_model.key: ("2025-01-06", "2025-01-13"), day_scores.key: (FIRST, LAST)}
            private_api.update_backfill(instance, graph, bid, materialized={}, failed=later, status="COMPLETED_FAILED")
        else:
            seen.append(instance.get_backfills()[0].status.value)
        return summary

    outcome = backfills.run_backfill(DEFS, instance, STEPS, execute)
    assert outcome.success and seen == ["REQUESTED", "REQUESTED"]
    record = instance.get_backfill(outcome.backfill_id)
    assert record.status.value == "COMPLETED_SUCCESS"
    assert {k: v["failed"] for k, v in _counts(instance, outcome.backfill_id).items()} == {
        "day_rows": 0, "week_model": 0, "day_scores": 0}


def test_ctrl_c_cancels_the_backfill_and_is_raised(instance):
    def execute(job, start, end, selection, tags):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backfills.run_backfill(DEFS, instance, STEPS, execute)
    assert instance.get_backfills()[0].status.value == "CANCELED"


def test_a_backfill_left_by_a_killed_process_is_failed_by_the_next_command(instance):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    live = {HOST_TAG: socket.gethostname(), PID_TAG: str(gone.pid)}
    graph = DEFS.resolve_asset_graph()
    private_api.add_backfill(instance, graph, "killedab", {day_rows.key: (FIRST, LAST)}, tags=live,
                             title="t", description="d")
    private_api.add_backfill(instance, graph, "aliveabc", {day_rows.key: (FIRST, LAST)}, tags=guard.process_tags(),
                             title="t", description="d")
    assert guard.fail_dead_backfills(instance) == ["killedab"]
    assert instance.get_backfill("killedab").status.value == "FAILED"
    assert "no longer exists" in instance.get_backfill("killedab").error.message
    assert instance.get_backfill("aliveabc").status.value == "REQUESTED"


def test_targets_span_every_step_of_an_asset():
    steps = [("rows", "2025-01-07", "2025-01-08", None), ("rows", "2025-01-03", "2025-01-05", [day_rows.key])]
    assert backfills.targets(DEFS, steps) == {day_rows.key: ("2025-01-03", "2025-01-08")}
    assert backfills.title_of("demo", steps) == "nba-lake demo 2025-01-07..2025-01-08"
