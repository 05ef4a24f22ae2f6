"""The raw layer through Dagster on the simulated league: idempotence, ranges, faults, landing mode."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import polars as pl

from nba_assets.raw import RAW_ASSETS, REJECTS_CHECK, bdl_boxscores
from resources.env import resources_for
from resources.settings import settings
from resources.sim import SimConfig, SimLeague
from tests.conftest import file_hashes, range_tags, samples_dir


def _materialize(assets, instance, **kw):
    return dg.materialize(assets, resources=resources_for(settings()), instance=instance, **kw)


def test_rerunning_a_partition_leaves_identical_files(sim_lake, instance):
    for _ in range(2):
        assert _materialize(RAW_ASSETS, instance, partition_key="2025-12-08").success
        if _ == 0:
            first = {t: file_hashes(sim_lake / "lake" / "raw" / t) for t in ("schedule", "bdl_boxscores", "prop_lines")}
    second = {t: file_hashes(sim_lake / "lake" / "raw" / t) for t in ("schedule", "bdl_boxscores", "prop_lines")}
    assert first == second
    assert all(len(h) == 1 for h in second.values())


def test_a_range_run_equals_daily_runs(sim_lake, instance, tmp_path, monkeypatch):
    days = ["2025-12-05", "2025-12-06", "2025-12-07"]
    assert _materialize(RAW_ASSETS, instance, tags=range_tags(days[0], days[-1])).success
    ranged = {t: file_hashes(sim_lake / "lake" / "raw" / t) for t in ("schedule", "bdl_boxscores", "nbacom_boxscores", "prop_lines", "injuries")}

    daily_dir = tmp_path / "daily"
    daily_dir.mkdir()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(daily_dir))
    for d in days:
        assert _materialize(RAW_ASSETS, instance, partition_key=d).success
    daily = {t: file_hashes(daily_dir / "lake" / "raw" / t) for t in ranged}
    assert ranged == daily
    assert all(len(v) == 3 for v in ranged.values())


def test_boxscores_match_the_simulated_truth(sim_lake, instance):
    assert _materialize([bdl_boxscores], instance, partition_key="2025-12-08").success
    got = pl.read_parquet(sim_lake / "lake" / "raw" / "bdl_boxscores" / "2025-12-08.parquet")
    truth = SimLeague(SimConfig()).boxscores(2025).filter(pl.col("game_date") == pl.date(2025, 12, 8))
    assert got.height == truth.height
    assert got["points"].sum() == truth["points"].sum()
    assert got.filter(pl.col("dnp"))["minutes"].sum() == 0


def test_a_malformed_record_is_rejected_by_name_and_the_rest_of_the_day_kept(sim_lake, instance):
    # The sim nulls the points of one BDL row on 2025-11-15 (Kristaps Žižić).
    res = _materialize([bdl_boxscores], instance, partition_key="2025-11-15", raise_on_error=False)
    evals = [e for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK]
    assert len(evals) == 1 and not evals[0].passed
    assert evals[0].severity == dg.AssetCheckSeverity.ERROR
    table = evals[0].metadata["rejects"].value
    assert "Kristaps Žižić" in table and "pts" in table and "points is required" in table
    got = pl.read_parquet(sim_lake / "lake" / "raw" / "bdl_boxscores" / "2025-11-15.parquet")
    truth = SimLeague(SimConfig()).boxscores(2025).filter(pl.col("game_date") == pl.date(2025, 11, 15))
    assert got.height == truth.height - 1  # only the bad record is missing
    assert got.filter(pl.col("player_lookup") == "kristapszizic").height == 0


def test_a_clean_day_passes_the_rejects_check(sim_lake, instance):
    res = _materialize([bdl_boxscores], instance, partition_key="2025-12-08")
    evals = [e for e in res.get_asset_check_evaluations() if e.check_name == REJECTS_CHECK]
    assert evals and all(e.passed for e in evals)


def test_mid_pagination_failure_names_the_page_keeps_landed_pages_and_resumes(sim_lake, instance):
    # 2025-10-28: the sim fails /v1/stats page 2 six times; one fetch call makes five requests.
    res = _materialize([bdl_boxscores], instance, partition_key="2025-10-28")
    warnings = [
        e.user_message for e in instance.all_logs(res.run_id) if "PaginationError" in e.user_message
        or "page 2" in e.user_message
    ]
    assert any("page 2" in w and "2025-10-28" in w and "resum" in w for w in warnings), warnings
    manifest = (sim_lake / "landing" / "bdl" / "stats" / "2025-10-28" / "_manifest.jsonl").read_text()
    pages = [json.loads(line)["page"] for line in manifest.splitlines()]
    assert pages[0] == 1 and pages.count(1) == 1  # page 1 landed once: the retry resumed at page 2
    assert 2 in pages
    retries = [e for e in res.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert not retries  # resumed inside the step, no whole-step re-run


def test_landing_mode_ingests_a_real_bdl_response(tmp_path, monkeypatch, instance):
    sample = samples_dir() / "bdl" / "box_scores_2026-01-09.json"
    data = tmp_path / "data"
    folder = data / "landing" / "bdl" / "box_scores" / "2026-01-09"
    folder.mkdir(parents=True)
    shutil.copy(sample, folder / "real_response.json")
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(data))
    monkeypatch.setenv("NBA_LAKE_SOURCE", "landing")
    assert _materialize([bdl_boxscores], instance, partition_key="2026-01-09").success
    got = pl.read_parquet(data / "lake" / "raw" / "bdl_boxscores" / "2026-01-09.parquet")
    body = json.loads(sample.read_text())
    players = [p for g in body["data"] for side in ("home_team", "visitor_team") for p in g[side]["players"]]
    assert got.height == len(players)
    assert got["points"].sum() == sum(p["pts"] or 0 for p in players)
    dnp_listed = sum(1 for p in players if p["min"] in (None, "", "0", "00", "0:00"))
    assert got["dnp"].sum() == dnp_listed > 0
    # Re-materializing adds nothing: the same file is parsed once per run.
    assert _materialize([bdl_boxscores], instance, partition_key="2026-01-09").success
    again = pl.read_parquet(data / "lake" / "raw" / "bdl_boxscores" / "2026-01-09.parquet")
    assert again.equals(got)
