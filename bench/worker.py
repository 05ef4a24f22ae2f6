"""One measurement in its own process (bench/run.py starts it; its environment says which lake).

    worker.py season   --start S --end E --out R.json           (a): every job over S..E
    worker.py seasons  --chunks S1:E1,S2:E2,... --out R.json    (b): the same, one chunk after another
    worker.py landing  --start S --end E --reference DIR --out R.json
                                                                 (c): the raw assets over S..E with
                                                                 NBA_LAKE_SOURCE=landing, compared
                                                                 with DIR's lake
    worker.py floor    --lake DIR --start S --end E --out R.json  (f): bench/floor.py on DIR's lake

The environment (NBA_LAKE_DATA_DIR, DAGSTER_HOME, NBA_LAKE_SOURCE, NBA_LAKE_SIM_NOW,
NBA_LAKE_FIRST_GAME_DATE) is set by bench/run.py before this process starts: `defs` reads it once at
import. Timings are taken inside the process, around the runs (imports and the definitions' load are
outside them; bench/run.py records the whole process's wall time beside them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

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


def _quiet() -> None:
    import dagster as dg

    for category in (dg.BetaWarning, dg.PreviewWarning):
        warnings.filterwarnings("ignore", category=category)
    logging.getLogger("resources").setLevel(logging.ERROR)


# ------------------------------------------------------------------------------------------ runs
def run_job(defs, instance, job: str, start: str, end: str, phase: str, selection=None,
            extra_tags: dict[str, str] | None = None) -> tuple[dict, object]:
    """One run_range call (the CLI's code path); per-asset seconds/rows and the largest RSS sampled
    (every progress poll, 0.25 s) while each step ran, and the run's summary."""
    import dagster as dg

    from nba_assets.cli.runner import run_range

    step_rss: dict[str, float] = {}

    def on_update(summary) -> None:
        now = rss_mb()
        for s in summary.steps.values():
            if s.status == "running":
                step_rss[s.asset] = max(step_rss.get(s.asset, 0.0), now)

    t0, c0 = time.perf_counter(), time.process_time()
    print(f"  [{phase}] {job} {start}..{end} ...", end="", flush=True)
    summary = run_range(defs, job, start, end, instance=instance, selection=selection, on_update=on_update,
                        extra_tags=extra_tags)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f" {'ok' if summary.success else 'FAILED'} {wall:.1f}s (CPU {cpu:.1f}s)", flush=True)
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
        "phase": phase, "job": job, "start": start, "end": end, "run_id": summary.run_id,
        "success": summary.success, "error": summary.error, "seconds": round(wall, 3),
        # CPU seconds of the whole process (every thread) during the run: on a shared machine the
        # figure to compare across loads, beside the wall clock.
        "cpu_seconds": round(cpu, 3),
        "steps_seconds": round(sum(a["seconds"] for a in assets.values()), 3), "rows": rows,
        "rows_per_s": round(rows / wall, 1) if wall > 0 else None, "peak_rss_mb": round(peak_rss_mb(), 1),
        "assets": assets, "failed_checks": failed_checks,
    }, summary


def run_all_jobs(defs, instance, start: dt.date, end: dt.date, phase: str) -> list[dict]:
    """ingest (days), train (weeks), predict+grade (days), then the unpartitioned season report."""
    from nba_assets import tables
    from nba_assets.cli.backfills import run_backfill
    from nba_assets.jobs import ingest_job, predict_job, report_job, train_job
    from nba_assets.partitions import week_range

    w0, w1 = week_range(start, end)
    steps = [(ingest_job, str(start), str(end), None), (train_job, w0, w1, None),
             (predict_job, str(start), str(end), None)]
    out: list[dict] = []
    in_steps = [0.0]

    def execute(job, s, e, selection, tags):
        t = time.perf_counter()
        record, summary = run_job(defs, instance, job.name, s, e, phase, selection, extra_tags=tags)
        out.append(record)
        in_steps[0] += time.perf_counter() - t
        return summary

    # The CLI's backfill: one Dagster backfill recorded around the runs. What the record and its
    # updates cost (the wall time outside the steps) is a job row of its own, in the total.
    t0 = time.perf_counter()
    outcome = run_backfill(defs, instance, steps, execute, kind="bench")
    record_s = time.perf_counter() - t0 - in_steps[0]
    out.append({"phase": phase, "job": "backfill_record", "start": None, "end": None, "run_id": outcome.backfill_id,
                "success": True, "error": None, "seconds": round(record_s, 3), "steps_seconds": None, "rows": None,
                "rows_per_s": None, "peak_rss_mb": round(peak_rss_mb(), 1), "assets": {}})
    if not outcome.success:
        return out
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
    per_s = round(graded / wall, 1) if graded and wall > 0 else None
    out.append({
        "phase": phase, "job": report_job.name, "start": None, "end": None, "run_id": res.run_id,
        "success": res.success, "error": None, "seconds": round(wall, 3), "steps_seconds": None,
        "rows": graded, "rows_per_s": per_s, "peak_rss_mb": round(peak_rss_mb(), 1),
        "assets": {tables.SEASON_REPORT.label: {"status": "success" if res.success else "failed",
                                                "seconds": round(wall, 3), "rows": graded, "rows_per_s": per_s}},
    })
    return out


def _definitions():
    _quiet()
    import dagster as dg

    from nba_assets.definitions import defs

    return defs, dg.DagsterInstance.get()


# ----------------------------------------------------------------------------------------- modes
def season(args) -> dict:
    defs, instance = _definitions()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    jobs = run_all_jobs(defs, instance, start, end, "season")
    return {"start": args.start, "end": args.end, "jobs": jobs, "seconds": round(sum(j["seconds"] for j in jobs), 3),
            "success": all(j["success"] for j in jobs) and len(jobs) == 5}


def seasons(args) -> dict:
    defs, instance = _definitions()
    chunks = []
    for i, chunk in enumerate(args.chunks.split(",")):
        s, e = (dt.date.fromisoformat(x) for x in chunk.split(":"))
        jobs = run_all_jobs(defs, instance, s, e, f"season {i + 1}")
        chunks.append({"start": str(s), "end": str(e), "days": (e - s).days + 1, "jobs": jobs,
                       "seconds": round(sum(j["seconds"] for j in jobs), 3),
                       "success": all(j["success"] for j in jobs) and len(jobs) == 5,
                       "peak_rss_mb": round(peak_rss_mb(), 1)})
        if not chunks[-1]["success"]:
            break
    return {"chunks": chunks, "seconds": round(sum(c["seconds"] for c in chunks), 3),
            "success": all(c["success"] for c in chunks) and len(chunks) == len(args.chunks.split(","))}


def landing(args) -> dict:
    """(c): parse the landed season again, nothing fetched; every raw table compared with the lake."""
    from floor import read_days, same_frames

    defs, instance = _definitions()
    from nba_assets import raw, raw_feeds, tables
    from nba_assets.jobs import ingest_job

    assert os.environ.get("NBA_LAKE_SOURCE") == "landing", "the landing replay needs NBA_LAKE_SOURCE=landing"
    raw_tables = [feed.table for feed in (*raw.FEEDS, *raw_feeds.FEEDS)] + [tables.INJURY_REPORT]
    keys = [table.key for table in raw_tables]
    job, _ = run_job(defs, instance, ingest_job.name, args.start, args.end, "landing", selection=keys)
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    ours = Path(os.environ["NBA_LAKE_DATA_DIR"]) / "lake"
    ref = Path(args.reference) / "lake"
    same = {}
    if job["success"]:
        for table in raw_tables:
            label = table.label
            same[label] = same_frames(read_days(ours, label, start, end), read_days(ref, label, start, end))
    return {"start": args.start, "end": args.end, "job": job, "seconds": job["seconds"], "same_as_lake": same,
            "success": job["success"] and all(same.values())}


def floor(args) -> dict:
    _quiet()
    from floor import run_floor

    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    t0 = time.perf_counter()
    res = run_floor(Path(args.lake), Path(os.environ["NBA_LAKE_DATA_DIR"]), start, end,
                    primary=os.environ.get("NBA_LAKE_PRIMARY_SOURCE", "nbacom"))
    wall = time.perf_counter() - t0
    steps = {
        name: {"seconds": round(st.seconds, 3), "read_s": round(st.read_s, 3), "compute_s": round(st.compute_s, 3),
               "write_s": round(st.write_s, 3), "rows": st.rows, "same_as_lake": st.same_as_lake,
               "like_for_like": st.like_for_like, "note": st.note}
        for name, st in res.steps.items()
    }
    # None = not compared (the season report is a figure and metadata, not a table).
    differs = [n for n, s in steps.items() if s["same_as_lake"] is False]
    return {"start": args.start, "end": args.end, "seconds": round(res.seconds, 3), "wall_s": round(wall, 3),
            "steps": steps, "differs_from_lake": differs, "success": not differs}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["season", "seasons", "landing", "floor"])
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--chunks", help="S1:E1,S2:E2,... (seasons)")
    p.add_argument("--reference", help="data dir whose lake the landing replay must equal")
    p.add_argument("--lake", help="data dir the floor reads (its lake and landing zone)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = {"season": season, "seasons": seasons, "landing": landing, "floor": floor}[args.mode](args)
    result.update(mode=args.mode, process_in_worker_s=round(time.perf_counter() - t0, 3),
                  worker_peak_rss_mb=round(peak_rss_mb(), 1))
    Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0 if result["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
