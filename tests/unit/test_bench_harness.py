"""bench/harness.py: the repeat statistics, target verdicts, `--only` parsing and the results folder
`make bench` relies on."""

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest

from bench.harness import MISS, NA, PASS, format_table, parse_only, results_dir, summarize, targets, verdict

REPO = Path(__file__).resolve().parents[2]


def test_summarize_median_min_max_leaves_failed_repeats_out():
    assert summarize([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert summarize([4.0, None, 2.0]) == {"median": 3.0, "min": 2.0, "max": 4.0, "n": 2}
    assert summarize([None, None]) is None
    assert summarize([]) is None


def test_verdict_at_the_limit_passes_above_misses_unknown_is_na():
    assert verdict(60.0, 60.0) == PASS
    assert verdict(60.01, 60.0) == MISS
    assert verdict(None, 60.0) == NA
    assert verdict(5.0, None) == NA
    assert verdict(5.0, 60.0, judged=False) == NA


def test_targets_resolve_b_from_a_and_skip_full_season_figures_on_a_short_window():
    s = {
        "a.season": summarize([50.0, 70.0, 55.0]),
        "b.three_seasons": summarize([170.0, 180.0, 190.0]),
        "e.status": summarize([2.5, 2.4, 2.6]),
        "c.landing_replay": summarize([4.0]),
    }
    full = {r["key"]: r for r in targets(s, full_window=True)}
    assert list(full) == ["a.season", "b.three_seasons", "c.landing_replay", "e.status"]  # TARGETS order
    assert full["a.season"]["verdict"] == PASS and full["a.season"]["median"] == 55.0
    assert full["b.three_seasons"]["limit"] == pytest.approx(3.2 * 55.0)
    assert full["b.three_seasons"]["verdict"] == MISS  # 180 > 176
    assert full["e.status"]["verdict"] == MISS
    short = {r["key"]: r for r in targets(s, full_window=False)}
    assert short["a.season"]["verdict"] == NA  # 60 s is a full season's target
    assert short["c.landing_replay"]["verdict"] == NA
    assert short["e.status"]["verdict"] == MISS  # a command's 2 s holds on any lake
    assert short["b.three_seasons"]["verdict"] == MISS  # relative to (a) on the same window


def test_targets_row_without_a_measurement_is_na_not_pass():
    rows = targets({"d.one_day_cli": None}, full_window=True)
    assert rows[0]["verdict"] == NA and rows[0]["median"] is None


def test_format_table_shows_median_spread_limit_and_verdict():
    text = format_table(targets({"f.ratio": {"median": 1.8, "min": None, "max": None, "n": None},
                                 "b.peak_rss": summarize([1100.0, 1300.0, 1250.0])}, full_window=True))
    lines = text.splitlines()
    ratio_line = next(line for line in lines if line.strip().startswith("(a) / (f)"))
    assert "x1.80" in ratio_line and "<= x1.50" in ratio_line and ratio_line.endswith("miss")
    rss_line = next(line for line in lines if "peak RSS" in line)
    assert "1,250" in rss_line and "1,100..1,300" in rss_line and rss_line.endswith("miss")


def test_parse_only_keeps_the_harness_order_and_refuses_unknown_parts():
    assert parse_only(None) == ["a", "b", "c", "d", "e", "f", "g", "h", "demo"]
    assert parse_only("e, a,DEMO") == ["a", "e", "demo"]
    assert parse_only("h,g") == ["g", "h"]
    with pytest.raises(ValueError, match="unknown part"):
        parse_only("a,i")


def test_results_go_outside_the_repo_by_default(tmp_path):
    home = tmp_path / "home"
    where = results_dir(REPO, keep=False, environ={"HOME": str(home)})
    assert where == home / ".cache" / "nba-lake" / "bench"
    assert not where.is_relative_to(REPO)
    xdg = results_dir(REPO, keep=False, environ={"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert xdg == tmp_path / "xdg" / "nba-lake" / "bench"
    chosen = results_dir(REPO, keep=False, environ={"HOME": str(home), "NBA_LAKE_BENCH_DIR": str(tmp_path / "b")})
    assert chosen == tmp_path / "b"


def test_keep_results_writes_into_bench_results_whatever_the_environment(tmp_path):
    env = {"HOME": str(tmp_path), "NBA_LAKE_BENCH_DIR": str(tmp_path / "b")}
    assert results_dir(REPO, keep=True, environ=env) == REPO / "bench" / "results"


@pytest.fixture
def run(monkeypatch):
    """bench/run.py as the script sees it; its sys.path entries (bench/ holds a `profile` module) end
    with the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    from bench import run

    return run


def test_run_py_writes_outside_the_repo_unless_asked_to_keep(run, tmp_path):
    env = {"HOME": str(tmp_path)}
    assert run.destination(run.parse_args([]), env) == tmp_path / ".cache" / "nba-lake" / "bench"
    assert run.destination(run.parse_args(["--keep-results"]), env) == REPO / "bench" / "results"


def test_bench_g_week_is_early_december_when_the_window_holds_it_else_the_last_seven_days(run):
    full = run.Bench(run.parse_args(["--repeat", "1", "--tmp", "/tmp"]), ["g"])
    assert full.prod_week() == (dt.date(2025, 12, 1), dt.date(2025, 12, 7))
    short = run.Bench(run.parse_args(["--days", "21", "--tmp", "/tmp"]), ["g"])
    assert short.a_window == (dt.date(2025, 10, 21), dt.date(2025, 11, 10))
    assert short.prod_week() == (dt.date(2025, 11, 4), dt.date(2025, 11, 10))
    tiny = run.Bench(run.parse_args(["--days", "3", "--tmp", "/tmp"]), ["g"])
    assert tiny.prod_week() == (dt.date(2025, 10, 21), dt.date(2025, 10, 23))
    for b in (full, short, tiny):
        shutil.rmtree(b.root), shutil.rmtree(b.logs)
