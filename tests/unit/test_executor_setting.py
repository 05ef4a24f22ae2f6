"""NBA_LAKE_EXECUTOR: in-process by default, multiprocess (with its max_concurrent) when the deployment
sets it; the code location's jobs carry the chosen executor, and a multiprocess run executes independent
steps in their own processes side by side."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from nba_assets.jobs import game_day_job, ingest_job
from resources.settings import ConfigError, settings


def _job_executor(monkeypatch, **env: str) -> dg.ExecutorDefinition:
    for name in ("NBA_LAKE_EXECUTOR", "NBA_LAKE_MAX_CONCURRENT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from nba_assets.definitions import build_definitions

    defs = build_definitions()
    executors = {defs.resolve_job_def(job.name).executor_def for job in (ingest_job, game_day_job)}
    assert len(executors) == 1, "every job of the code location runs with the one executor"
    return executors.pop()


def test_jobs_run_in_process_by_default(monkeypatch):
    assert _job_executor(monkeypatch) is dg.in_process_executor


def test_jobs_run_multiprocess_with_max_concurrent_when_set(monkeypatch):
    executor = _job_executor(monkeypatch, NBA_LAKE_EXECUTOR="multiprocess", NBA_LAKE_MAX_CONCURRENT="3")
    assert executor.name == "multiprocess"
    assert executor.apply_config_mapping({}).value["config"]["max_concurrent"] == 3
    assert _job_executor(monkeypatch, NBA_LAKE_EXECUTOR="multiprocess").apply_config_mapping({}).value[
        "config"]["max_concurrent"] == 4


@pytest.mark.parametrize(("name", "value"), [
    ("NBA_LAKE_EXECUTOR", "celery"), ("NBA_LAKE_EXECUTOR", "multi_process"),
    ("NBA_LAKE_MAX_CONCURRENT", "0"), ("NBA_LAKE_MAX_CONCURRENT", "two"), ("NBA_LAKE_MAX_CONCURRENT", "-1"),
])
def test_a_bad_executor_setting_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name}='{value}'"):
        settings()


def test_a_multiprocess_run_executes_independent_steps_side_by_side(monkeypatch):
    from tests.unit.two_step_job import two_independent_steps

    monkeypatch.setenv("NBA_LAKE_EXECUTOR", "multiprocess")
    monkeypatch.setenv("NBA_LAKE_MAX_CONCURRENT", "2")
    with dg.instance_for_test() as instance:
        result = dg.execute_job(dg.reconstructable(two_independent_steps), instance=instance)
        assert result.success
        events = result.all_events
    pids = {e.step_key: e.pid for e in events if e.event_type == dg.DagsterEventType.STEP_START}
    assert set(pids) == {"first_step", "second_step"}
    assert len({*pids.values(), os.getpid()}) == 3, "each step in a process of its own"
    windows = {name: result for name, result in
               ((e.step_key, e.event_specific_data.metadata) for e in events if e.is_successful_output)}
    (s1, e1), (s2, e2) = ((windows[n]["start"].value, windows[n]["end"].value) for n in ("first_step", "second_step"))
    assert s2 < e1 and s1 < e2, "the two steps overlapped in time"
