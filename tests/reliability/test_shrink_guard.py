"""A re-run never wipes a good day (issue 27, finding 2), through the real pipeline in landing mode.

The day is materialized from the sim (which lands every response), the landing files of the day are
then deleted and the day re-run with NBA_LAKE_SOURCE=landing: nothing says the games went away, so every
guarded table's write is refused and the day's files stay as they were, unless the run carries the
allow-shrink tag; then the row-count check reports the emptied day instead of taking it for a day off.
"""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import polars as pl

from checks.definitions import ROW_COUNT, row_count_check
from io_managers.shrink import ALLOW_SHRINK_TAG
from nba_assets import tables
from nba_assets.analytics import ANALYTICS_ASSETS
from nba_assets.derived import DERIVED_ASSETS
from nba_assets.raw import RAW_ASSETS, bdl_boxscores
from resources.env import resources_for
from resources.settings import settings
from resources.sim.control import add_outage
from tests.conftest import SIM_NOW, file_hashes

DAY = "2025-12-08"
GUARDED = (tables.SCHEDULE, tables.BDL_BOXSCORES, tables.NBACOM_BOXSCORES, tables.GAMES,
           tables.PLAYER_GAME_SUMMARY, tables.TEAM_GAME_SUMMARY)


def _materialize(instance, **kw):
    checks = [row_count_check(tables.BDL_BOXSCORES), row_count_check(tables.PLAYER_GAME_SUMMARY)]
    return dg.materialize([*RAW_ASSETS, *ANALYTICS_ASSETS, *DERIVED_ASSETS, *checks], resources=resources_for(settings()),
                          instance=instance, partition_key=DAY, raise_on_error=False, **kw)


def _rows(lake, table: tables.Table) -> int:
    return pl.read_parquet(lake / "lake" / table.layer / table.name / f"{DAY}.parquet").height


def _messages(err) -> str:
    return "" if err is None else f"{err.message} {_messages(err.cause)}"


def _hashes(lake):
    return {t.label: file_hashes(lake / "lake" / t.layer / t.name) for t in GUARDED}


def test_rerun_without_landing_files_keeps_the_day_and_fails_naming_table_day_and_counts(
    sim_lake, instance, monkeypatch
):
    assert _materialize(instance).success
    before = {t.label: _rows(sim_lake, t) for t in GUARDED}
    assert all(n > 0 for n in before.values()), before
    hashes = _hashes(sim_lake)

    for folder in (sim_lake / "landing").glob(f"*/*/{DAY}"):
        shutil.rmtree(folder)
    monkeypatch.setenv("NBA_LAKE_SOURCE", "landing")

    res = _materialize(instance)
    assert not res.success
    assert _hashes(sim_lake) == hashes  # every guarded day file is the one written before
    errors = " ".join(_messages(e.step_failure_data.error) for e in res.get_step_failure_events())
    assert not [e for e in res.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    for label in (tables.SCHEDULE.label, tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label):
        assert f"{label} {DAY}: {before[label]} -> 0 rows" in errors, errors
    assert ALLOW_SHRINK_TAG in errors

    # On purpose: the tag lets the operator empty the day; the row-count check names what was lost.
    res = _materialize(instance, tags={ALLOW_SHRINK_TAG: "true"})
    assert res.success
    assert all(_rows(sim_lake, t) == 0 for t in GUARDED)
    counts = {e.asset_key.to_user_string(): e for e in res.get_asset_check_evaluations() if e.check_name == ROW_COUNT}
    for t in (tables.BDL_BOXSCORES, tables.PLAYER_GAME_SUMMARY):
        ev = counts[t.label]
        assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
        assert "day emptied" in ev.metadata["offending_sample"].value
        assert str(before[t.label]) in ev.metadata["offending_sample"].value


def test_a_source_down_with_nothing_landed_keeps_the_day_and_the_run_goes_on(sim_lake, instance):
    run = lambda: dg.materialize([bdl_boxscores], resources=resources_for(settings()),  # noqa: E731
                                 instance=instance, partition_key=DAY)
    assert run().success
    path = sim_lake / "lake" / "raw" / "bdl_boxscores" / f"{DAY}.parquet"
    kept, rows = file_hashes(path.parent)[path.name], pl.read_parquet(path).height
    for folder in (sim_lake / "landing" / "bdl").glob(f"*/{DAY}"):
        shutil.rmtree(folder)
    add_outage(sim_lake / "sim", "bdl", SIM_NOW - dt.timedelta(hours=1), SIM_NOW + dt.timedelta(hours=1))

    res = run()
    assert res.success
    assert file_hashes(path.parent)[path.name] == kept
    [mat] = res.get_asset_materialization_events()
    meta = mat.materialization.metadata
    assert DAY in meta["source_unavailable"].value  # the outage recorded as before
    assert meta["dagster/row_count"].value == rows and meta["sha256"].value == kept
    assert meta["shrink"].value == f"source down: kept the previous file ({rows} rows), not 0"
