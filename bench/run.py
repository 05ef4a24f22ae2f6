"""Benchmark harness (docs/architecture.md): time the pipeline on the simulated league, against a bare floor.

1. season backfill: every job over the season through the real code path (nba_assets.ops.runner.run_range,
   one single run per job and range): ingest_and_features (days), train_points_model (weeks),
   predict_and_grade (days), season_report; per job and per asset: seconds, rows, rows/s, RSS.
2. one game day end to end: the same jobs re-run for one day (its week for the model) on the full lake.
3. the floor: the same transforms as a bare polars/DuckDB script (bench/floor.py); ratio = dagster / floor.
4. model evaluation over the graded lake (bench/evaluate.py): MAE, hit rate, coverage, Brier per system.

Everything runs on a fresh temporary data dir and DAGSTER_HOME with NBA_LAKE_SOURCE=sim and a sim clock
after the season. Results: bench/results/<name>.json (+ <name>_calibration.png) and a table on stdout.

    .venv/bin/python bench/run.py                       # the 2025-26 season (2025-10-21..2026-04-12)
    .venv/bin/python bench/run.py --days 21             # its first 21 days (a quick run)
    .venv/bin/python bench/run.py --season 2025 --days 60 --day 2025-12-10 --name quick

Peak RSS: `ru_maxrss` of this process after each job (a high-water mark: it never goes down), and per
asset the largest RSS sampled (every 0.5 s, /proc/self/statm) while its step was running.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULTS = ROOT / "bench" / "results"
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb() -> float:
    """Current resident set size of this process."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE_MB
    except OSError:
        return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--season", type=int, default=2025, help="season_year (start year); default 2025 = 2025-26")
    p.add_argument("--days", type=int, default=0, help="only the first N calendar days of the season")
    p.add_argument("--day", default=None, help="the game day re-run end to end (default 2026-03-10, or the "
                   "range's last game day when that is outside the range)")
    p.add_argument("--name", default=None, help="results name (default season<year>[_d<N>])")
    p.add_argument("--data-dir", default=None, help="keep the lake here instead of a temporary dir")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dir (path printed)")
    p.add_argument("--no-floor", action="store_true", help="skip the bare polars/DuckDB floor")
    p.add_argument("--no-day", action="store_true", help="skip the one-game-day run")
    return p.parse_args(argv)


def season_window(season: int, days: int) -> tuple[dt.date, dt.date]:
    from resources.sim.schedule import calendar_for

    cal = calendar_for(season)
    end = cal.last_day if not days else min(cal.last_day, cal.opening + dt.timedelta(days=days - 1))
    return cal.opening, end


def setup_env(data_dir: Path, dagster_home: Path, sim_now: dt.datetime, first_day: dt.date) -> None:
    """Must run before nba_assets.definitions is imported: `defs` reads the environment once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    dagster_home.mkdir(parents=True, exist_ok=True)
    cfg = dagster_home / "dagster.yaml"
    if not cfg.exists():
        shutil.copy(ROOT / "dagster.yaml", cfg)
    os.environ.update(
        NBA_LAKE_DATA_DIR=str(data_dir),
        DAGSTER_HOME=str(dagster_home),
        NBA_LAKE_SOURCE="sim",
        NBA_LAKE_ENV="local",
        NBA_LAKE_SIM_NOW=sim_now.isoformat(),
        # the partitions start where the benchmark's history starts (the season's opening night)
        NBA_LAKE_FIRST_GAME_DATE=first_day.isoformat(),
    )


# ------------------------------------------------------------------------------------------ runs
def run_job(defs, instance, job: str, start: str, end: str, phase: str) -> dict:
    """One run_range call; per-asset seconds/rows and the largest RSS sampled while each step ran."""
    import dagster as dg

    from nba_assets.ops.runner import run_range

    step_rss: dict[str, float] = {}

    def on_update(summary) -> None:
        now = rss_mb()
        for s in summary.steps.values():
            if s.status == "running":
                step_rss[s.asset] = max(step_rss.get(s.asset, 0.0), now)

    t0 = time.perf_counter()
    print(f"  [{phase}] {job} {start}..{end} ...", end="", flush=True)
    summary = run_range(defs, job, start, end, instance=instance, on_update=on_update)
    wall = time.perf_counter() - t0
    print(f" {'ok' if summary.success else 'FAILED'} {wall:.1f}s", flush=True)
    if not summary.success:
        print(f"    error: {summary.error}", flush=True)
    assets = {}
    for label, s in summary.steps.items():
        assets[label] = {
            "status": s.status,
            "seconds": round(s.seconds, 3),
            "rows": s.rows,
            "rows_per_s": round(s.rows / s.seconds, 1) if s.rows and s.seconds > 0 else None,
            "checks_passed": s.checks_passed,
            "checks_failed": s.checks_failed,
            "max_sampled_rss_mb": round(step_rss[label], 1) if label in step_rss else None,
        }
    failed_checks: dict[str, int] = {}
    for rec in instance.all_logs(summary.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        ev = rec.dagster_event.event_specific_data
        if not ev.passed:
            label = f"{'/'.join(ev.asset_key.path)}:{ev.check_name}"
            failed_checks[label] = failed_checks.get(label, 0) + 1
    rows = sum(a["rows"] or 0 for a in assets.values())
    return {
        "phase": phase,
        "job": job,
        "start": start,
        "end": end,
        "run_id": summary.run_id,
        "success": summary.success,
        "error": summary.error,
        "seconds": round(wall, 3),
        "steps_seconds": round(sum(a["seconds"] for a in assets.values()), 3),
        "rows": rows,
        "rows_per_s": round(rows / wall, 1) if wall > 0 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "assets": assets,
        "failed_checks": failed_checks,
    }


def run_all_jobs(defs, instance, start: dt.date, end: dt.date, phase: str) -> list[dict]:
    from nba_assets import tables
    from nba_assets.jobs import ingest_job, predict_job, report_job, train_job
    from nba_assets.partitions import week_range

    w0, w1 = week_range(start, end)
    plan = [
        (ingest_job.name, str(start), str(end)),
        (train_job.name, w0, w1),
        (predict_job.name, str(start), str(end)),
    ]
    out = [run_job(defs, instance, job, s, e, phase) for job, s, e in plan]
    # season_report is unpartitioned: no range tags, one materialization over every graded day.
    t0 = time.perf_counter()
    print(f"  [{phase}] {report_job.name} ...", end="", flush=True)
    res = defs.resolve_job_def(report_job.name).execute_in_process(
        instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    wall = time.perf_counter() - t0
    print(f" {'ok' if res.success else 'FAILED'} {wall:.1f}s", flush=True)
    mats = res.get_asset_materialization_events()
    graded = None
    if mats:
        md = mats[0].event_specific_data.materialization.metadata
        graded = md["graded_rows"].value if "graded_rows" in md else None
    out.append({
        "phase": phase, "job": report_job.name, "start": None, "end": None, "run_id": res.run_id,
        "success": res.success, "error": None, "seconds": round(wall, 3), "steps_seconds": None,
        "rows": graded, "rows_per_s": round(graded / wall, 1) if graded and wall > 0 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "assets": {tables.SEASON_REPORT.label: {"status": "success" if res.success else "failed",
                                             "seconds": round(wall, 3), "rows": graded,
                                             "rows_per_s": round(graded / wall, 1) if graded and wall > 0 else None}},
    })
    return out


# ----------------------------------------------------------------------------------------- output
def _fmt(v, spec: str = ",.1f") -> str:
    return "-" if v is None else format(v, spec)


def print_jobs(title: str, jobs: list[dict]) -> None:
    print(f"\n{title}")
    print(f"  {'job / asset':<44}{'seconds':>9}{'rows':>11}{'rows/s':>11}{'RSS MB':>9}  checks")
    for j in jobs:
        print(f"  {j['job']:<44}{_fmt(j['seconds']):>9}{_fmt(j['rows'], ',d'):>11}{_fmt(j['rows_per_s']):>11}"
              f"{_fmt(j['peak_rss_mb'], '.0f'):>9}  {'' if j['success'] else 'FAILED'}")
        for label, a in j["assets"].items():
            if not a.get("checks_passed") and "checks_failed" not in a:  # the unpartitioned report
                continue
            checks = f"{a['checks_passed']} ok" + (f", {a['checks_failed']} failed" if a["checks_failed"] else "")
            print(f"    {label:<42}{_fmt(a['seconds']):>9}{_fmt(a['rows'], ',d'):>11}{_fmt(a['rows_per_s']):>11}"
                  f"{_fmt(a.get('max_sampled_rss_mb'), '.0f'):>9}  {checks}")
        for check, n in j.get("failed_checks", {}).items():
            print(f"      failed check {check} x{n}")
    total = sum(j["seconds"] for j in jobs)
    print(f"  {'total':<44}{total:>9.1f}")


def floor_table(season_jobs: list[dict], floor) -> dict:
    """Per asset: dagster step seconds vs floor seconds; totals like for like (raw apart)."""
    dag = {}
    for j in season_jobs:
        for label, a in j["assets"].items():
            dag[label] = a
    rows = {}
    like_d = like_f = 0.0
    for name, st in floor.steps.items():
        d = dag.get(name, {}).get("seconds")
        rows[name] = {
            "dagster_s": d,
            "floor_s": round(st.seconds, 3),
            "floor_read_s": round(st.read_s, 3),
            "floor_compute_s": round(st.compute_s, 3),
            "floor_write_s": round(st.write_s, 3),
            "floor_rows": st.rows,
            "floor_rows_per_s": round(st.rows / st.seconds, 1) if st.rows and st.seconds > 0 else None,
            "ratio": round(d / st.seconds, 2) if d and st.seconds > 0 else None,
            "same_as_lake": st.same_as_lake,
            "like_for_like": st.like_for_like,
            "note": st.note,
        }
        if st.like_for_like and d is not None:
            like_d += d
            like_f += st.seconds
    # Job wall time includes what the step timings do not: run setup, check steps, the event log.
    job_wall = sum(j["seconds"] for j in season_jobs)
    raw_d = sum(r["dagster_s"] or 0 for n, r in rows.items() if not r["like_for_like"])
    raw_f = sum(r["floor_s"] for r in rows.values() if not r["like_for_like"])
    return {
        "steps": rows,
        "like_for_like": {"dagster_steps_s": round(like_d, 3), "floor_s": round(like_f, 3),
                          "ratio": round(like_d / like_f, 2) if like_f else None},
        "end_to_end": {"dagster_job_wall_s": round(job_wall, 3), "floor_total_s": round(floor.seconds, 3),
                       "ratio": round(job_wall / floor.seconds, 2) if floor.seconds else None,
                       "note": "dagster includes HTTP fetch from the sim in raw; floor parses landed JSON"},
        "raw": {"dagster_s": round(raw_d, 3), "floor_parse_only_s": round(raw_f, 3)},
    }


def print_floor(ft: dict) -> None:
    print("\nfloor: the same transforms without Dagster (bench/floor.py); ratio = dagster step / floor")
    print(f"  {'asset':<38}{'dagster s':>10}{'floor s':>9}{'read':>7}{'compute':>9}{'write':>7}"
          f"{'rows/s':>11}{'ratio':>7}  same as lake")
    for name, r in ft["steps"].items():
        mark = "" if r["like_for_like"] else " *"
        print(f"  {name + mark:<38}{_fmt(r['dagster_s']):>10}{r['floor_s']:>9.2f}{r['floor_read_s']:>7.2f}"
              f"{r['floor_compute_s']:>9.2f}{r['floor_write_s']:>7.2f}{_fmt(r['floor_rows_per_s']):>11}"
              f"{_fmt(r['ratio'], '.2f'):>7}  {r['same_as_lake']}")
    lf, ee = ft["like_for_like"], ft["end_to_end"]
    print(f"  like for like (analytics..grading): dagster steps {lf['dagster_steps_s']:.1f}s / floor "
          f"{lf['floor_s']:.1f}s = framework overhead x{lf['ratio']}")
    print(f"  end to end: dagster jobs {ee['dagster_job_wall_s']:.1f}s / floor {ee['floor_total_s']:.1f}s = "
          f"x{ee['ratio']}  (* raw: dagster fetches over HTTP from the sim, the floor only parses)")


# ------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start, end = season_window(args.season, args.days)
    day = dt.date.fromisoformat(args.day) if args.day else dt.date(args.season + 1, 3, 10)
    name = args.name or (f"season{args.season}" + (f"_d{args.days}" if args.days else ""))
    # The sim clock after the season: every game final, every boxscore released.
    sim_now = dt.datetime.combine(end + dt.timedelta(days=8), dt.time(12, 0), tzinfo=dt.UTC)

    tmp = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    data_dir = Path(args.data_dir) if args.data_dir else tmp / "data"
    if args.data_dir and data_dir.exists() and any(data_dir.iterdir()):
        print(f"--data-dir {data_dir} is not empty: the benchmark needs a fresh lake", file=sys.stderr)
        return 2
    setup_env(data_dir, tmp / "dagster_home", sim_now, start)

    import dagster as dg

    for category in (dg.BetaWarning, dg.PreviewWarning):
        warnings.filterwarnings("ignore", category=category)
    import logging

    logging.getLogger("resources").setLevel(logging.ERROR)

    from nba_assets.definitions import defs

    instance = dg.DagsterInstance.get()
    print(f"bench {name}: season {args.season} {start}..{end} ({(end - start).days + 1} days), "
          f"sim now {sim_now.isoformat()}, lake {data_dir}")
    result: dict = {
        "name": name,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "season": args.season, "start": str(start), "end": str(end), "sim_now": sim_now.isoformat(),
        "versions": {"dagster": dg.__version__},
    }
    import duckdb
    import lightgbm
    import polars as pl

    result["versions"].update(polars=pl.__version__, duckdb=duckdb.__version__, lightgbm=lightgbm.__version__)

    t0 = time.perf_counter()
    season_jobs = run_all_jobs(defs, instance, start, end, "season")
    result["season_backfill"] = {"seconds": round(time.perf_counter() - t0, 3), "jobs": season_jobs}
    print_jobs(f"season backfill {start}..{end}", season_jobs)
    ok = all(j["success"] for j in season_jobs)

    from evaluate import evaluate, format_eval

    if ok:
        # Before the one-day re-run: that run retrains one week's model and rewrites one day.
        ev = evaluate(data_dir, RESULTS, name)
        result["model_evaluation"] = ev
        print()
        print(format_eval(ev))

    if ok and not args.no_floor:
        from floor import run_floor

        print("\n  [floor] running the same transforms without Dagster ...", flush=True)
        floor = run_floor(data_dir, tmp / "floor", start, end, primary=os.environ.get("NBA_LAKE_PRIMARY_SOURCE", "nbacom"))
        result["floor"] = floor_table(season_jobs, floor)
        print_floor(result["floor"])

    if ok and not args.no_day:
        if not start <= day <= end:
            day = end
        t0 = time.perf_counter()
        day_jobs = run_all_jobs(defs, instance, day, day, "day")
        result["one_day"] = {"day": str(day), "seconds": round(time.perf_counter() - t0, 3), "jobs": day_jobs}
        print_jobs(f"one game day end to end: {day} (its week's model retrained; season report over the lake)",
                   day_jobs)
        ok = ok and all(j["success"] for j in day_jobs)

    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["success"] = ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\npeak RSS {result['peak_rss_mb']:.0f} MB; results: {path}")
    if args.keep or args.data_dir:
        print(f"lake kept: {data_dir}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
