"""Profile one job over a date range on an existing lake (pyinstrument): where a step's time goes.

    .venv/bin/python bench/run.py --only a --days 60 --repeat 1 --no-eval --keep   # a lake: <printed>/a1/data
    .venv/bin/python bench/profile.py LAKE predict_and_grade 2025-12-01 2025-12-19
    .venv/bin/python bench/profile.py LAKE train_points_model 2025-12-01 2025-12-15 --first 2025-10-21
    .venv/bin/python bench/profile.py LAKE ingest_and_features 2025-10-21 2026-04-12 --landing   # as (c)

`--first` must be the first day the lake was built from (`NBA_LAKE_FIRST_GAME_DATE`; the bench uses the
season's opening night). The run uses a fresh DAGSTER_HOME beside the lake (`<lake>_dagster_home`) and
re-materializes the range (idempotent: same inputs, same files). Writes `<out>.html` (flame view) and
`<out>.txt` (the call tree; `<out>` defaults to profile_<job> in $NBA_LAKE_BENCH_DIR, default
~/.cache/nba-lake/bench) and prints wall and CPU seconds, the load average and per-step seconds:
on a shared machine compare CPU seconds and the tree's proportions, not wall clock alone.
`--landing` runs the raw assets only with NBA_LAKE_SOURCE=landing, as (c) does: parsing the landed
files, nothing fetched.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import results_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data_dir")
    p.add_argument("job", help="e.g. ingest_and_features, train_points_model, predict_and_grade")
    p.add_argument("start")
    p.add_argument("end", help="inclusive; weeks (Mondays) for train_points_model")
    p.add_argument("--first", default="2025-10-21", help="NBA_LAKE_FIRST_GAME_DATE the lake was built with")
    p.add_argument("--now", default="2026-04-20T12:00:00+00:00", help="sim clock (after the range)")
    p.add_argument("--out", default=None, help="profile path without extension (default profile_<job> in the bench's "
                   "results folder: $NBA_LAKE_BENCH_DIR, default ~/.cache/nba-lake/bench)")
    p.add_argument("--all", action="store_true", help="keep library frames (Dagster, SQLAlchemy) in the call tree")
    p.add_argument("--landing", action="store_true", help="the raw assets only, replayed from the landing zone "
                   "(NBA_LAKE_SOURCE=landing), as bench part (c)")
    args = p.parse_args(argv)

    home = Path(f"{args.data_dir.rstrip('/')}_dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    # Before nba_assets is imported: the partitions and resources read the environment once.
    os.environ.update(
        NBA_LAKE_DATA_DIR=args.data_dir, DAGSTER_HOME=str(home), NBA_LAKE_SOURCE="landing" if args.landing else "sim", NBA_LAKE_ENV="local",
        NBA_LAKE_SIM_NOW=args.now, NBA_LAKE_FIRST_GAME_DATE=args.first,
    )
    import dagster as dg
    from pyinstrument import Profiler

    for category in (dg.BetaWarning, dg.PreviewWarning):
        warnings.filterwarnings("ignore", category=category)
    from nba_assets.cli.runner import run_range
    from nba_assets.definitions import defs

    instance = dg.DagsterInstance.get()
    selection = None
    if args.landing:
        from nba_assets import raw, raw_feeds, tables

        selection = [feed.table.key for feed in (*raw.FEEDS, *raw_feeds.FEEDS)] + [tables.INJURY_REPORT.key]
    out = Path(args.out) if args.out else results_dir(ROOT, keep=False) / f"profile_{args.job}"
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.002)
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.start()
    summary = run_range(defs, args.job, args.start, args.end, instance=instance, selection=selection)
    profiler.stop()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    out.with_suffix(".html").write_text(profiler.output_html())
    out.with_suffix(".txt").write_text(profiler.output_text(unicode=False, color=False, show_all=args.all))
    print(f"{args.job} {args.start}..{args.end}: success={summary.success} wall {wall:.1f}s cpu {cpu:.1f}s "
          f"load {os.getloadavg()[0]:.2f} peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for name, step in sorted(summary.steps.items()):
        print(f"  {name:45s} {step.seconds:7.1f}s  {step.status}")
    print(f"profile: {out.with_suffix('.html')} and {out.with_suffix('.txt')}")
    return 0 if summary.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
