"""Idempotence at the scale of a month, across every layer (raw -> analytics -> features -> model ->
predictions -> grades).

The same simulated month is materialized twice, each time into a fresh data dir:
- as `nba-lake backfill` plans it: one single run per job over the whole range (the model job over
  the month's weeks);
- day by day: one run per game day for the daily jobs, one run per week for the model job.
Every table's content for every day is then the same (rows compared as a multiset, whatever their
order in the file), every weekly model file is the same, and every duplicate check is green on both.

Cost: the month is the first of the 2025-26 season (2025-10-24..2025-11-23), so features read little
history; the model trains with `min_history_days=15` (the asset's own config, within its floor), so
the month's last two weeks get a model. The day-by-day side runs each job's assets with their
duplicate checks and the checks its steps yield themselves (the other checks write nothing; the range
side runs them all, as the CLI does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

import dagster as dg
import polars as pl

from checks.definitions import DUPLICATES
from nba_assets.definitions import build_definitions
from nba_assets.jobs import ingest_job, predict_job, train_job
from nba_assets.partitions import week_range
from nba_assets.raw import SOURCE_DUPLICATES_CHECK
from tests.conftest import SIM_NOW, lake_instance_for_test, range_tags

FIRST, LAST = dt.date(2025, 10, 24), dt.date(2025, 11, 23)
DAYS = [str(FIRST + dt.timedelta(days=i)) for i in range((LAST - FIRST).days + 1)]
MODEL_CONFIG = {"ops": {"predictions__points_model": {"config": {"min_history_days": 15}}}}
DUPLICATE_CHECKS = (DUPLICATES, SOURCE_DUPLICATES_CHECK)


def _config(job) -> dict | None:
    return MODEL_CONFIG if job is train_job else None


def _weeks(job_def: dg.JobDefinition) -> list[str]:
    w0, w1 = week_range(FIRST, LAST)
    return [k for k in job_def.partitions_def.get_partition_keys() if w0 <= k <= w1]


def _range_runs(instance) -> list[dg.ExecuteInProcessResult]:
    defs, results = build_definitions(), []
    for job in (ingest_job, train_job, predict_job):
        job_def = defs.resolve_job_def(job.name)
        keys = _weeks(job_def) if job is train_job else DAYS
        res = job_def.execute_in_process(instance=instance, tags=range_tags(keys[0], keys[-1]),
                                         run_config=_config(job), raise_on_error=False)
        assert res.success, f"range run of {job.name} failed"
        results.append(res)
    return results


def _daily_runs(instance) -> list[dg.ExecuteInProcessResult]:
    defs, results = build_definitions(), []
    for job in (ingest_job, train_job, predict_job):
        job_def = defs.resolve_job_def(job.name)
        graph = job_def.asset_layer.asset_graph
        dup_checks = {k for k in graph.asset_check_keys if k.name in DUPLICATE_CHECKS}
        in_asset = {k for ad in graph.assets_defs if ad.keys for k in ad.check_keys}  # the step yields them
        subset = job_def.get_subset(asset_selection=set(job_def.asset_layer.executable_asset_keys),
                                    asset_check_selection=dup_checks | in_asset)
        for key in _weeks(job_def) if job is train_job else DAYS:
            res = subset.execute_in_process(instance=instance, partition_key=key, run_config=_config(job),
                                            raise_on_error=False)
            assert res.success, f"{job.name} {key} failed"
            results.append(res)
    return results


def content_hash(path: Path) -> str:
    """The rows of a Parquet file as a multiset (order-free) with the schema: equal contents, equal hash."""
    df = pl.read_parquet(path)
    rows = sorted(df.hash_rows(seed=7).to_list())
    return hashlib.sha256(f"{df.schema}|{rows}".encode()).hexdigest()


def _tables(data: Path) -> dict[str, dict[str, str]]:
    """{layer/table: {day: content hash}} of every table folder in the lake."""
    return {f"{p.parent.name}/{p.name}": {f.stem: content_hash(f) for f in sorted(p.glob("*.parquet"))}
            for p in sorted((data / "lake").glob("*/*")) if p.is_dir()}


def _models(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((data / "models").rglob("*")) if p.is_file()}


def _materialize(tmp_path_factory, monkeypatch, name: str, runs) -> dict:
    data = tmp_path_factory.mktemp(name) / "data"
    data.mkdir()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(data))
    t0 = time.monotonic()
    with lake_instance_for_test() as instance:
        results = runs(instance)
    evals = [(e.asset_key.to_user_string(), e.check_name, e.partition, e.passed)
             for r in results for e in r.get_asset_check_evaluations() if e.check_name in DUPLICATE_CHECKS]
    seconds = round(time.monotonic() - t0, 1)
    print(f"{name}: {len(results)} runs in {seconds} s")
    return {"data": data, "tables": _tables(data), "models": _models(data), "dups": evals, "runs": len(results)}


def test_a_month_as_range_runs_and_day_by_day_gives_the_same_lake_every_layer_every_day(
    tmp_path_factory, monkeypatch
):
    # One test, not several over a shared fixture: xdist cannot split it and build the month twice.
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    month = {"range": _materialize(tmp_path_factory, monkeypatch, "month_range", _range_runs),
             "daily": _materialize(tmp_path_factory, monkeypatch, "month_daily", _daily_runs)}
    _same_tables(month)
    _same_models(month)
    _duplicate_checks_green(month)


def _same_tables(month: dict) -> None:
    ranged, daily = month["range"]["tables"], month["daily"]["tables"]
    assert sorted(ranged) == sorted(daily)
    assert {k.split("/")[0] for k in ranged} == {"raw", "analytics", "features", "predictions", "grading"}
    for table, days in ranged.items():
        assert sorted(days) == DAYS, f"{table}: days {sorted(days)[:3]}..."  # every day, no other
        differ = [d for d in DAYS if days[d] != daily[table][d]]
        assert not differ, f"{table}: content differs on {differ}"
    # Not a month of empty files: games, player rows, lines, predictions and grades on most days.
    lake = month["range"]["data"] / "lake"
    for table in ("analytics/player_game_summary", "raw/prop_lines", "predictions/player_prop_predictions",
                  "grading/prediction_grades"):
        heights = [pl.read_parquet(lake / table / f"{d}.parquet").height for d in DAYS]
        assert sum(h > 0 for h in heights) >= 25, (table, heights)
    byte_equal = sum((month["range"]["data"] / "lake" / t / f"{d}.parquet").read_bytes()
                     == (month["daily"]["data"] / "lake" / t / f"{d}.parquet").read_bytes()
                     for t in ranged for d in DAYS)
    print(f"{len(ranged)} tables x {len(DAYS)} days: content identical ({byte_equal} files byte-identical)")


def _same_models(month: dict) -> None:
    ranged, daily = month["range"]["models"], month["daily"]["models"]
    assert sorted(ranged) == sorted(daily)
    trained = sorted(n for n in ranged if n.endswith(".txt"))
    assert trained == ["2025-11-10.txt", "2025-11-17.txt"], trained  # weeks with >= 15 days of history
    assert [n for n in ranged if ranged[n] != daily[n]] == []


def _duplicate_checks_green(month: dict) -> None:
    for side in ("range", "daily"):
        evals = month[side]["dups"]
        assert evals and all(passed for *_, passed in evals), [e for e in evals if not e[-1]]
    # Day by day, every table with a duplicate check got one green evaluation per day.
    per_check = {}
    for asset, check, _, _ in month["daily"]["dups"]:
        per_check[(asset, check)] = per_check.get((asset, check), 0) + 1
    assert len(per_check) >= 14 and set(per_check.values()) == {len(DAYS)}, per_check
