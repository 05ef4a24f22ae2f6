"""Tamper evidence (issue 27): `nba-lake verify`, the scheduled `verify_lake` job and the pure comparison.

One raw backfill of two days through the CLI (a real DAGSTER_HOME with the repo's event log) serves the
module: first verified clean, then a file is changed, one deleted and two added outside the pipeline.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from checks import integrity
from checks.integrity import ADDED, CHANGED, MISSING, Finding, Recorded, compare
from nba_assets import tables
from nba_assets.dagster_internals.file_records import dagster_records
from nba_assets.dagster_internals.instance_view import DagsterView, SqliteView
from resources.lake import LakeResource
from sensors.verify import recent_window, verify_lake_job, verify_lake_schedule, verify_recent_schedule
from tests.unit.test_cli import _env, entry, invoke, lake  # noqa: F401 - `lake` is a module fixture

D1, D2 = "2025-12-10", "2025-12-11"
RAW = [t for t in tables.LAKE if t.layer == "raw"]


# ----------------------------------------------------------------------------------------- pure
def test_compare_names_changed_missing_added_and_counts_unhashed() -> None:
    recorded = {
        ("raw/schedule", D1): Recorded(7, "a" * 64),  # same bytes
        ("raw/schedule", D2): Recorded(9, "b" * 64),  # changed
        ("raw/injuries", D1): Recorded(3, "c" * 64),  # missing
        ("raw/injuries", D2): Recorded(4, None),  # unhashed, same rows
        ("raw/prop_lines", D1): Recorded(10, None),  # unhashed, rows differ
        ("raw/nope", D1): Recorded(1, "d" * 64),  # not a lake table: ignored
    }
    found = {"raw/schedule/2025-12-10.parquet": "a" * 64, "raw/schedule/2025-12-11.parquet": "e" * 64,
             "raw/injuries/2025-12-11.parquet": "f" * 64, "raw/prop_lines/2025-12-10.parquet": "0" * 64,
             "raw/schedule/copy.parquet": "1" * 64}
    rows = {"raw/schedule/2025-12-11.parquet": 1, "raw/injuries/2025-12-11.parquet": 4,
            "raw/prop_lines/2025-12-10.parquet": 8}
    findings, unhashed = compare(recorded, found, rows.get)
    assert unhashed == 2
    assert [(f.kind, f.file) for f in findings] == [
        (MISSING, "raw/injuries/2025-12-10.parquet"),
        (CHANGED, "raw/prop_lines/2025-12-10.parquet"),
        (CHANGED, "raw/schedule/2025-12-11.parquet"),
        (ADDED, "raw/schedule/copy.parquet"),
    ]
    assert findings[2].detail == "sha256 eeeeeeeeeeee != bbbbbbbbbbbb written; 1 rows now, 9 rows when written"
    assert findings[1].detail == "8 rows now, 10 rows when written"
    assert findings[0].detail == "materialized with 3 rows, no file"
    # A window: records of other days are out of scope (the scan leaves their files out too).
    findings, _ = compare(recorded, {"raw/schedule/2025-12-10.parquet": "a" * 64}, rows.get, {D1})
    assert [(f.kind, f.file) for f in findings] == [
        (MISSING, "raw/injuries/2025-12-10.parquet"), (MISSING, "raw/prop_lines/2025-12-10.parquet")]


def test_window_needs_both_ends_and_report_summary() -> None:
    assert integrity.window_days(None, None) is None
    assert integrity.window_days(dt.date(2025, 12, 30), dt.date(2026, 1, 1)) == {"2025-12-30", "2025-12-31", "2026-01-01"}
    with pytest.raises(ValueError, match="both"):
        integrity.window_days(dt.date(2025, 12, 30), None)
    rep = integrity.Report(window="whole lake", files=3, findings=[Finding(ADDED, "raw/x/a.parquet", "")])
    assert rep.summary() == "1 of 3 file(s) differ from the pipeline's record: 1 added"


def test_schedules_cover_the_last_14_days_daily_and_the_whole_lake_weekly() -> None:
    tick = dt.datetime(2026, 1, 20, 12, 30, tzinfo=dt.UTC)  # 07:30 ET
    assert recent_window(tick) == ("2026-01-06", "2026-01-19")
    req = verify_recent_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert req.run_config["ops"]["verify_lake_files"]["config"] == {"start": "2026-01-06", "end": "2026-01-19"}
    req = verify_lake_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert req.run_config["ops"]["verify_lake_files"]["config"] == {"start": "", "end": ""}


# ------------------------------------------------------------------------------------ a real lake
@pytest.fixture(scope="module")
def verify_lake(lake):  # noqa: F811 - test_cli's lake (raw D1..D2 through `nba-lake backfill`), built anew here
    _env(lake["mp"], lake["data"], lake["home"])
    # The latest materialization of D1's schedule is a second, single-day run.
    res = invoke("backfill", "--start", D1, "--end", D1, "--select", tables.SCHEDULE.label)
    assert res.exit_code == 0, res.output
    return lake


@pytest.fixture
def lake_env(verify_lake, monkeypatch):
    _env(monkeypatch, verify_lake["data"], verify_lake["home"])
    return verify_lake


def _file(env, table: tables.Table, day: str) -> Path:
    return env["data"] / "lake" / table.layer / table.name / f"{day}.parquet"


def test_an_untouched_lake_verifies_clean_and_both_record_readers_agree(lake_env, capsys) -> None:
    labels = [t.label for t in tables.LAKE]
    view = SqliteView.open(lake_env["home"])
    assert view is not None
    local = view.file_records(labels)
    with dg.DagsterInstance.from_config(str(lake_env["home"])) as inst:
        assert DagsterView(inst).file_records(labels) == local
        assert dagster_records(inst, labels, [D2]) == {k: v for k, v in local.items() if k[1] == D2}
    assert len(local) == 2 * len(RAW) and all(r.sha256 for r in local.values())
    assert local[(tables.SCHEDULE.label, D1)].run_id != local[(tables.SCHEDULE.label, D2)].run_id  # the re-run

    rc, out, _ = entry(capsys, "verify")
    assert rc == 0, out
    assert f"{2 * len(RAW)} file(s) match their materializations" in out and "whole lake" in out
    rc, out, _ = entry(capsys, "status", "--date", D2, "--days", "2")
    assert "last verify" in out and "nba-lake verify, whole lake" in out and "match their materializations" in out


def test_changed_deleted_and_added_files_are_each_named(lake_env, capsys) -> None:
    changed = _file(lake_env, tables.BDL_BOXSCORES, D1)
    pl.read_parquet(changed).head(3).write_parquet(changed)  # e.g. a COPY ... TO from a shell
    _file(lake_env, tables.INJURIES, D2).unlink()
    shutil.copy(_file(lake_env, tables.SCHEDULE, D2), _file(lake_env, tables.SCHEDULE, "2025-12-12"))
    stray = _file(lake_env, tables.PROP_LINES, D1).with_name("backup.parquet")
    shutil.copy(_file(lake_env, tables.PROP_LINES, D1), stray)

    rc, out, _ = entry(capsys, "verify")
    assert rc == 1
    flat = " ".join(out.split())
    assert "4 of 17 file(s) differ from the pipeline's record: 1 changed, 1 missing, 2 added" in flat
    for name, kind in [("raw/bdl_boxscores/2025-12-10.parquet", "changed"), ("raw/injuries/2025-12-11.parquet", "missing"),
                       ("raw/schedule/2025-12-12.parquet", "added"), ("raw/prop_lines/backup.parquet", "added")]:
        assert any(name in line and kind in line for line in out.splitlines()), (name, out)
    assert "3 rows now" in flat

    rc, out, _ = entry(capsys, "verify", "--start", D2, "--end", D2)  # a window: D2's files and odd names
    flat = " ".join(out.split())
    assert rc == 1 and "2 of 8 file(s) differ" in flat and "1 missing, 1 added" in flat
    rc, out, _ = entry(capsys, "status", "--date", D2, "--days", "2")
    assert "2 of 8 file(s) differ" in " ".join(out.split()) and "missing raw/injuries/2025-12-11.parquet" in out

    # The scheduled job: the same findings, as a run failure naming the files.
    with dg.DagsterInstance.from_config(str(lake_env["home"])) as inst:
        res = verify_lake_job.execute_in_process(
            instance=inst, resources={"lake": LakeResource(data_dir=str(lake_env["data"]))}, raise_on_error=False)
        assert not res.success
        [failure] = res.get_step_failure_events()
        msg = failure.step_failure_data.error.message
        assert "changed raw/bdl_boxscores/2025-12-10.parquet" in msg and "added raw/prop_lines/backup.parquet" in msg
    assert integrity.load(str(lake_env["data"])).by.startswith("verify_lake run ")

    # Re-running the tampered days restores them; the added files are the operator's to remove.
    stray.unlink()
    _file(lake_env, tables.SCHEDULE, "2025-12-12").unlink()
    res = invoke("backfill", "--start", D1, "--end", D2, "--select", "raw")
    assert res.exit_code == 0, res.output
    rc, out, _ = entry(capsys, "verify")
    assert rc == 0, out


def test_verify_refuses_half_a_window(lake_env, capsys) -> None:
    rc, _, err = entry(capsys, "verify", "--start", D1)
    assert rc == 2 and "--start and --end go together" in err


def test_backfill_allow_shrink_tags_each_run(lake_env, capsys, monkeypatch) -> None:
    """`--allow-shrink` reaches the IO manager as the run tag (tests/reliability/test_shrink_guard.py
    shows what the tag does)."""
    from types import SimpleNamespace

    from io_managers.shrink import ALLOW_SHRINK_TAG
    from nba_assets.cli.commands import backfill

    seen: list[dict] = []

    def execute(job, s, e, sel, extra_tags=None):  # the run a backfill step executes, not run here
        seen.append(dict(extra_tags or {}))
        return SimpleNamespace(success=True, materialized={}, failed_checks=[], run_id="r", seconds=0.0)

    monkeypatch.setattr(backfill, "_execute", execute)
    assert entry(capsys, "backfill", "--start", D1, "--end", D1, "--select", "raw/schedule", "--allow-shrink")[0] == 0
    assert entry(capsys, "backfill", "--start", D1, "--end", D1, "--select", "raw/schedule")[0] == 0
    assert [t.get(ALLOW_SHRINK_TAG) for t in seen] == ["true", None]
    assert all(t.get("dagster/backfill") for t in seen)  # each run still belongs to its backfill
