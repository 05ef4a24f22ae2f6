"""Benchmark harness (`make bench`): what users wait for, on the simulated league, median of N repeats.

Every measurement is a fresh process on a fresh data dir and DAGSTER_HOME (NBA_LAKE_SOURCE=sim, the
sim clock 8 days after the window so every game is final):

  a  a season raw -> grades through Dagster: `runner.run_range` per job (the CLI's code path), one
     single run per job and range, then the season report; per job and per asset seconds
  b  three seasons the same way, season after season on one lake (per-season seconds, peak RSS of
     the whole process tree)
  c  a season of raw ingest replayed from the landing zone (NBA_LAKE_SOURCE=landing) of (a)'s lake,
     nothing fetched; every raw table compared with (a)'s
  d  one game day as an operator runs it: `nba-lake backfill --start D --end D` in a subprocess on a
     copy of (a)'s lake, process start included
  e  `nba-lake status`, `checks --date D`, `sql "select 1"`, `trace G:P:S` in subprocesses on a copy
     of (a)'s lake
  f  the floor (bench/floor.py): the same pure functions and Parquet writes without Dagster, raw
     parsing included, every output compared with (a)'s lake; the ratio (a)/(f)
  g  a week of ingest in prod mode on the loopback emulators (GCS, BigQuery, a PostgreSQL instance)
     against the same week locally (bench/prod_week.py): seconds, the ratio, PostgreSQL's event
     tables per table-day; reported, not judged
  h  Dagster state per table-day after (a): the instance folder's bytes over the table-days
     materialized in it (bench/state.py)
  demo  `make demo` on a fresh data dir and DAGSTER_HOME (the venv already installed)

c..f and h need a season lake: the lake of (a)'s first repeat, or (without a) one built first, untimed.
The model evaluation (bench/evaluate.py) runs on that lake too. Results: <name>.json (+
<name>_calibration.png) in $NBA_LAKE_BENCH_DIR (default ~/.cache/nba-lake/bench), or in bench/results
with --keep-results, and the table on stdout.

    .venv/bin/python bench/run.py                              # everything, 2025-26, median of 3
    nice -n 10 .venv/bin/python bench/run.py --days 21 --repeat 1 --name dev   # a quick pass
    .venv/bin/python bench/run.py --only a,c,e                 # a subset
    .venv/bin/python bench/run.py --keep-results --name reference_acdefh   # a reference run, in bench/results
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import format_table, parse_only, ratio, results_dir, summarize, targets  # noqa: E402
from measure import run_measured  # noqa: E402
from state import local_state  # noqa: E402

PY = ROOT / ".venv" / "bin" / "python"
CLI = ROOT / ".venv" / "bin" / "nba-lake"
WORKER = ROOT / "bench" / "worker.py"
PROD_WEEK = ROOT / "bench" / "prod_week.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default=None, help="comma-separated parts to run: a,b,c,d,e,f,g,h,demo (default: all)")
    p.add_argument("--repeat", type=int, default=3, help="repeats per measurement; the table shows the median")
    p.add_argument("--season", type=int, default=2025, help="season_year of (a) (start year); (b) is it and the "
                   "two before")
    p.add_argument("--days", type=int, default=0, help="a shorter window for development: the first N days of "
                   "each season (and `nba-lake demo --days N` instead of `make demo`)")
    p.add_argument("--day", default=None, help="the game day of (d) and (e) (default <season+1>-03-10, or the "
                   "window's last day when that is outside it)")
    p.add_argument("--name", default=None, help="results name (default bench<season>[_d<N>])")
    p.add_argument("--no-eval", action="store_true", help="skip the model evaluation")
    p.add_argument("--keep", action="store_true", help="keep the temporary lakes (path printed)")
    p.add_argument("--keep-results", action="store_true", help="write the results into bench/results (a "
                   "reference run to commit) instead of $NBA_LAKE_BENCH_DIR (default ~/.cache/nba-lake/bench)")
    p.add_argument("--tmp", default=None, help="parent folder of the temporary lakes (default: the system's)")
    return p.parse_args(argv)


def destination(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Path:
    """The folder this run's results go to (harness.results_dir)."""
    return results_dir(ROOT, keep=args.keep_results, environ=os.environ if environ is None else environ)


# --------------------------------------------------------------------------------------- windows
def windows(season: int, days: int) -> tuple[tuple[dt.date, dt.date], list[tuple[dt.date, dt.date]]]:
    """(a)'s window, and (b)'s three contiguous chunks: each season from its opening night to the
    day before the next one's (the off-season days are partitions too: a backfill over
    2023-10-24..2026-04-12 writes them), the last to its final day. With `days`, each season's first
    `days` days only."""
    from resources.sim.schedule import calendar_for

    cals = [calendar_for(y) for y in (season - 2, season - 1, season)]

    def first_days(cal) -> tuple[dt.date, dt.date]:
        return cal.opening, min(cal.last_day, cal.opening + dt.timedelta(days=days - 1))

    if days:
        return first_days(cals[-1]), [first_days(c) for c in cals]
    chunks = [(c.opening, nxt.opening - dt.timedelta(days=1)) for c, nxt in zip(cals, cals[1:], strict=False)]
    chunks.append((cals[-1].opening, cals[-1].last_day))
    return (cals[-1].opening, cals[-1].last_day), chunks


def sim_now_after(end: dt.date) -> dt.datetime:
    """The sim clock after the window: every game final, every boxscore released."""
    return dt.datetime.combine(end + dt.timedelta(days=8), dt.time(12, 0), tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------- environments
def base_env() -> dict[str, str]:
    """The caller's environment without any lake setting of its own (the bench sets every one), and
    without PYTHONDONTWRITEBYTECODE (which `make` exports): an operator's shell writes bytecode, so
    the CLI's start-up is measured as it is from the second command on."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("NBA_LAKE_") and k not in ("DAGSTER_HOME", "PYTHONDONTWRITEBYTECODE")}


def lake_env(home: Path, first_day: dt.date, sim_now: dt.datetime, source: str = "sim") -> dict[str, str]:
    data, dagster_home = home / "data", home / "dagster_home"
    data.mkdir(parents=True, exist_ok=True)
    dagster_home.mkdir(parents=True, exist_ok=True)
    cfg = dagster_home / "dagster.yaml"
    if not cfg.exists():
        shutil.copy(ROOT / "dagster.yaml", cfg)
    return base_env() | {
        "NBA_LAKE_DATA_DIR": str(data), "DAGSTER_HOME": str(dagster_home), "NBA_LAKE_SOURCE": source,
        "NBA_LAKE_ENV": "local", "NBA_LAKE_SIM_NOW": sim_now.isoformat(),
        # the partitions start where the benchmark's history starts
        "NBA_LAKE_FIRST_GAME_DATE": first_day.isoformat(),
    }


def copy_lake(src: Path, dst: Path) -> None:
    """A private copy of a prepared lake (data dir + DAGSTER_HOME): a measurement may write to it."""
    shutil.copytree(src, dst, symlinks=True)


# -------------------------------------------------------------------------------------- running
class Bench:
    def __init__(self, args: argparse.Namespace, parts: list[str] | None = None) -> None:
        self.args = args
        self.parts = parts or []
        self.root = Path(tempfile.mkdtemp(prefix="nba-bench-", dir=args.tmp))
        # Logs outlive the lakes (kept for a failed run's post-mortem; small).
        self.logs = Path(tempfile.mkdtemp(prefix="nba-bench-logs-", dir=args.tmp))
        (self.a_window, self.b_chunks) = windows(args.season, args.days)
        start, end = self.a_window
        default_day = dt.date(args.season + 1, 3, 10)
        day = dt.date.fromisoformat(args.day) if args.day else default_day
        self.day = day if start <= day <= end else end
        self.sim_now = sim_now_after(end)
        self.template: Path | None = None  # the season lake c..f start from
        self.states: list[dict] = []  # (h): the instance of every season lake built (a's repeats)
        self.summaries: dict[str, dict | None] = {}

    def worker(self, tag: str, mode: str, env: dict[str, str], *extra: str) -> dict:
        """One worker process; its JSON result with the process's wall time and tree RSS added."""
        out = self.logs / f"{tag}.json"
        m = run_measured([str(PY), str(WORKER), mode, *extra, "--out", str(out)], env=env, cwd=ROOT,
                         log=self.logs / f"{tag}.log")
        try:
            res = json.loads(out.read_text())
        except (OSError, ValueError):
            res = {"success": False, "error": f"worker wrote no result (exit {m.returncode}); see {m.log}"}
        res["process"] = m.as_dict()
        if not res.get("success"):
            print(f"    {tag}: FAILED (exit {m.returncode}); log {m.log}", flush=True)
        return res

    def cli(self, tag: str, argv: list[str], env: dict[str, str]) -> dict:
        m = run_measured([str(CLI), *argv], env=env, cwd=ROOT, log=self.logs / f"{tag}.log", timeout=1800)
        if m.returncode != 0:
            print(f"    {tag}: nba-lake {' '.join(argv)} exited {m.returncode}; log {m.log}", flush=True)
        return m.as_dict() | {"success": m.returncode == 0}

    def reps(self):
        return range(1, self.args.repeat + 1)

    def _done(self, home: Path) -> None:
        if not self.args.keep and home != self.template:
            shutil.rmtree(home, ignore_errors=True)

    # ---------------------------------------------------------------------------------- parts
    def part_a(self) -> dict:
        start, end = self.a_window
        reps = []
        for r in self.reps():
            home = self.root / f"a{r}"
            env = lake_env(home, start, self.sim_now)
            print(f"(a) season {start}..{end}, repeat {r}/{self.args.repeat}", flush=True)
            res = self.worker(f"a{r}", "season", env, "--start", str(start), "--end", str(end))
            reps.append(res)
            if res.get("success"):
                self._measure_state(home)
                if self.template is None:
                    self.template = home
            self._done(home)
        ok = [x for x in reps if x.get("success")]
        self.summaries["a.season"] = summarize([x["seconds"] for x in ok])
        return {"start": str(start), "end": str(end), "repeats": reps, "jobs_median": median_jobs([x["jobs"] for x in ok])}

    def ensure_template(self) -> bool:
        if self.template is not None:
            return True
        start, end = self.a_window
        home = self.root / "season"
        print(f"preparing the season lake {start}..{end} (untimed) ...", flush=True)
        res = self.worker("season-lake", "season", lake_env(home, start, self.sim_now),
                          "--start", str(start), "--end", str(end))
        if res.get("success"):
            self.template = home
            self._measure_state(home)
        return self.template is not None

    def _measure_state(self, home: Path) -> None:
        """(h) on a season lake just built: its DAGSTER_HOME's bytes per materialized table-day."""
        if "h" in self.parts:
            self.states.append(local_state(home / "dagster_home"))

    def part_b(self) -> dict:
        chunks = ",".join(f"{s}:{e}" for s, e in self.b_chunks)
        first, last = self.b_chunks[0][0], self.b_chunks[-1][1]
        reps = []
        for r in self.reps():
            home = self.root / f"b{r}"
            print(f"(b) three seasons {first}..{last}, repeat {r}/{self.args.repeat}", flush=True)
            reps.append(self.worker(f"b{r}", "seasons", lake_env(home, first, sim_now_after(last)), "--chunks", chunks))
            self._done(home)
        ok = [x for x in reps if x.get("success")]
        self.summaries["b.three_seasons"] = summarize([x["seconds"] for x in ok])
        if "a.season" in self.summaries:  # (a) over the same window, in this run
            a = self.summaries["a.season"]
            self.summaries["b.vs_a"] = _median_only(ratio(_med(self.summaries["b.three_seasons"]), _med(a)))
        # per repeat: the slowest season over the first
        worst = [max(c["seconds"] for c in x["chunks"]) / x["chunks"][0]["seconds"] for x in ok]
        self.summaries["b.worst_season"] = summarize(worst)
        self.summaries["b.peak_rss"] = summarize([x["process"]["peak_tree_rss_mb"] for x in ok])
        per_season = [summarize([x["chunks"][i]["seconds"] for x in ok]) for i in range(len(self.b_chunks))]
        return {"chunks": [{"start": str(s), "end": str(e)} for s, e in self.b_chunks], "repeats": reps,
                "per_season_median_s": [_med(s) for s in per_season]}

    def part_c(self) -> dict:
        start, end = self.a_window
        src = self.template / "data"
        reps = []
        for r in self.reps():
            home = self.root / f"c{r}"
            env = lake_env(home, start, self.sim_now, source="landing")
            shutil.copytree(src / "landing", home / "data" / "landing")  # untimed: the input
            print(f"(c) raw replayed from landing {start}..{end}, repeat {r}/{self.args.repeat}", flush=True)
            reps.append(self.worker(f"c{r}", "landing", env, "--start", str(start), "--end", str(end),
                                    "--reference", str(src)))
            self._done(home)
        self.summaries["c.landing_replay"] = summarize([x["seconds"] for x in reps if x.get("success")])
        return {"start": str(start), "end": str(end), "repeats": reps}

    def _template_env(self, home: Path) -> dict[str, str]:
        copy_lake(self.template, home)
        return lake_env(home, self.a_window[0], self.sim_now)

    def part_d(self) -> dict:
        # --yes: a --day without games would be refused (nba_assets/cli/range_scope.py); (d) times the run.
        argv = ["backfill", "--start", str(self.day), "--end", str(self.day), "--yes"]
        # One untimed run first on its own copy: an operator's venv has the bytecode of the second run on.
        warmup = self.cli("d-warmup", argv, self._template_env(self.root / "d0"))
        self._done(self.root / "d0")
        reps = []
        for r in self.reps():
            home = self.root / f"d{r}"
            env = self._template_env(home)
            print(f"(d) nba-lake {' '.join(argv)}, repeat {r}/{self.args.repeat}", flush=True)
            reps.append(self.cli(f"d{r}", argv, env))
            self._done(home)
        self.summaries["d.one_day_cli"] = summarize([x["seconds"] for x in reps if x["success"]])
        return {"day": str(self.day), "argv": argv, "warmup": warmup, "repeats": reps}

    def trace_id(self) -> str | None:
        """A real prediction of the day: game:player:system from the lake (untimed)."""
        import duckdb

        glob = self.template / "data" / "lake" / "predictions" / "player_prop_predictions" / f"{self.day}.parquet"
        if not glob.exists():
            return None
        row = duckdb.sql(
            f"select game_id, player_lookup, system_id from read_parquet('{glob}') "
            "order by system_id = 'lgbm_points_v1' desc, game_id, player_lookup limit 1"
        ).fetchall()
        return ":".join(str(v) for v in row[0]) if row else None

    def part_e(self) -> dict:
        row = self.trace_id()
        commands = {
            "e.status": ["status"],
            "e.checks": ["checks", "--date", str(self.day)],
            "e.sql": ["sql", "select 1"],
            "e.trace": ["trace", row] if row else None,
        }
        warm_env = self._template_env(self.root / "e0")
        warmup = {key: self.cli(f"{key}-warmup", argv, warm_env) for key, argv in commands.items() if argv}
        self._done(self.root / "e0")
        out: dict = {"day": str(self.day), "trace_row": row, "warmup": warmup, "commands": {}}
        runs: dict[str, list[dict]] = {k: [] for k in commands}
        for r in self.reps():
            home = self.root / f"e{r}"
            env = self._template_env(home)
            print(f"(e) status / checks / sql / trace, repeat {r}/{self.args.repeat}", flush=True)
            for key, argv in commands.items():
                if argv:
                    runs[key].append(self.cli(f"{key}{r}", argv, env))
            self._done(home)
        for key, argv in commands.items():
            self.summaries[key] = summarize([x["seconds"] for x in runs[key] if x["success"]]) if argv else None
            out["commands"][key] = {"argv": argv, "repeats": runs[key]}
        return out

    def part_f(self) -> dict:
        start, end = self.a_window
        reps = []
        for r in self.reps():
            home = self.root / f"f{r}"
            env = lake_env(home, start, self.sim_now)
            print(f"(f) floor {start}..{end}, repeat {r}/{self.args.repeat}", flush=True)
            reps.append(self.worker(f"f{r}", "floor", env, "--lake", str(self.template / "data"),
                                    "--start", str(start), "--end", str(end)))
            self._done(home)
        ok = [x for x in reps if x.get("success")]
        self.summaries["f.floor"] = summarize([x["seconds"] for x in ok])
        if "a.season" in self.summaries:
            a = self.summaries["a.season"]
            self.summaries["f.ratio"] = _median_only(ratio(_med(a), _med(self.summaries["f.floor"])))
        steps = {}
        for name in (ok[0]["steps"] if ok else {}):
            steps[name] = {k: statistics.median(x["steps"][name][k] for x in ok)
                           for k in ("seconds", "read_s", "compute_s", "write_s")}
            steps[name] |= {k: ok[0]["steps"][name][k] for k in ("rows", "like_for_like", "note")}
            steps[name]["same_as_lake"] = [x["steps"][name]["same_as_lake"] for x in ok]
        return {"start": str(start), "end": str(end), "repeats": reps, "steps_median": steps}

    def prod_week(self) -> tuple[dt.date, dt.date]:
        """(g)'s week: 1-7 December of the season when the window holds it, else the window's last 7 days."""
        start, end = self.a_window
        first = dt.date(self.args.season, 12, 1)
        if start <= first and first + dt.timedelta(days=6) <= end:
            return first, first + dt.timedelta(days=6)
        return max(start, end - dt.timedelta(days=6)), end

    def part_g(self) -> dict:
        start, end = self.prod_week()
        reps = []
        for r in self.reps():
            out = self.logs / f"g{r}.json"
            print(f"(g) a week in prod mode on the emulators vs locally, {start}..{end}, repeat {r}/{self.args.repeat}",
                  flush=True)
            m = run_measured([str(PY), str(PROD_WEEK), "--start", str(start), "--end", str(end), "--out", str(out)],
                             env=base_env(), cwd=ROOT, log=self.logs / f"g{r}.log", timeout=1800)
            try:
                res = json.loads(out.read_text())
            except (OSError, ValueError):
                res = {"success": False, "error": f"prod_week.py wrote no result (exit {m.returncode}); see {m.log}"}
                print(f"    g{r}: FAILED (exit {m.returncode}); log {m.log}", flush=True)
            reps.append(res | {"process": m.as_dict()})
        ok = [x for x in reps if x.get("success")]
        self.summaries["g.local_week"] = summarize([x["local_seconds"] for x in ok])
        self.summaries["g.prod_week"] = summarize([x["prod_seconds"] for x in ok])
        self.summaries["g.prod_over_local"] = summarize([x["prod_over_local"] for x in ok])
        self.summaries["g.pg_state"] = summarize([x["prod_instance"]["kb_per_table_day"] for x in ok
                                                  if x["prod_instance"].get("instance") == "postgresql"])
        return {"start": str(start), "end": str(end), "repeats": reps}

    def part_h(self) -> dict:
        self.summaries["h.state_per_table_day"] = summarize([x["kb_per_table_day"] for x in self.states])
        return {"measured_after": "a" if "a" in self.parts else "the season lake (a) builds", "repeats": self.states}

    def part_demo(self) -> dict:
        reps = []
        for r in self.reps():
            home = self.root / f"demo{r}"
            (home / "data").mkdir(parents=True)
            env = base_env() | {"NBA_LAKE_DATA_DIR": str(home / "data")}
            if self.args.days:
                env["DAGSTER_HOME"] = str(home / "dagster_home")
                cmd = [str(CLI), "demo", "--days", str(self.args.days)]
            else:  # the README's command; DAGSTER_HOME on make's command line beats the Makefile's
                cmd = ["make", "--no-print-directory", "demo", f"DAGSTER_HOME={home / 'dagster_home'}"]
            print(f"(demo) {' '.join(cmd[:3])}, repeat {r}/{self.args.repeat}", flush=True)
            m = run_measured(cmd, env=env, cwd=ROOT, log=self.logs / f"demo{r}.log")
            reps.append(m.as_dict() | {"success": m.returncode == 0})
            if m.returncode:
                print(f"    demo{r}: exited {m.returncode}; log {m.log}", flush=True)
            self._done(home)
        self.summaries["demo"] = summarize([x["seconds"] for x in reps if x["success"]])
        return {"days": self.args.days or None, "repeats": reps}


def _med(s: dict | None) -> float | None:
    return None if s is None else s["median"]


def _median_only(v: float | None) -> dict | None:
    return None if v is None else {"median": v, "min": None, "max": None, "n": None}


def median_jobs(runs: list[list[dict]]) -> list[dict]:
    """Per job and per asset: the median (and min/max) seconds over the repeats (same jobs in each)."""
    if not runs:
        return []
    out = []
    for i, job in enumerate(runs[0]):
        same = [r[i] for r in runs if i < len(r)]
        assets = {}
        for label, a in job["assets"].items():
            secs = summarize([r["assets"].get(label, {}).get("seconds") for r in same])
            assets[label] = {"seconds": secs, "rows": a.get("rows"), "checks_passed": a.get("checks_passed"),
                             "checks_failed": a.get("checks_failed")}
        # What the asset steps do not cover: run start, the asset-check steps, the event log.
        outside = summarize([r["seconds"] - r["steps_seconds"] for r in same if r.get("steps_seconds") is not None])
        out.append({"job": job["job"], "start": job["start"], "end": job["end"],
                    "seconds": summarize([r["seconds"] for r in same]), "outside_asset_steps_s": outside,
                    "rows": job["rows"], "assets": assets,
                    "failed_checks": job.get("failed_checks", {})})
    return out


# ---------------------------------------------------------------------------------------- output
def print_jobs(title: str, jobs: list[dict]) -> None:
    print(f"\n{title}")
    print(f"  {'job / asset':<44}{'median s':>9}{'min..max':>15}{'rows':>11}  checks")
    for j in jobs:
        s = j["seconds"]
        print(f"  {j['job']:<44}{s['median']:>9.1f}{s['min']:>7.1f}..{s['max']:<6.1f}{j['rows'] or 0:>11,}")
        for label, a in j["assets"].items():
            s = a["seconds"]
            if s is None:
                continue
            checks = "" if a["checks_passed"] is None else (
                f"{a['checks_passed']} ok" + (f", {a['checks_failed']} failed" if a["checks_failed"] else ""))
            print(f"    {label:<42}{s['median']:>9.1f}{s['min']:>7.1f}..{s['max']:<6.1f}{a['rows'] or 0:>11,}  {checks}")
        o = j.get("outside_asset_steps_s")
        if o:
            print(f"    {'(outside asset steps: run, checks, events)':<42}{o['median']:>9.1f}"
                  f"{o['min']:>7.1f}..{o['max']:<6.1f}")
        for check, n in j.get("failed_checks", {}).items():
            print(f"      failed check {check} x{n}")


def print_floor(a: dict | None, f: dict, c_median: float | None) -> dict:
    """Floor vs Dagster per asset; returns the like-for-like totals."""
    dag = {}
    for j in (a or {}).get("jobs_median", []):
        for label, x in j["assets"].items():
            if x["seconds"]:
                dag[label] = x["seconds"]["median"]
    print("\nfloor (bench/floor.py): the same functions and writes without Dagster, median seconds")
    print(f"  {'asset':<38}{'dagster':>9}{'floor':>8}{'read':>7}{'compute':>9}{'write':>7}{'ratio':>7}  same as lake")
    like_d = like_f = raw_f = 0.0
    for name, st in f["steps_median"].items():
        d = dag.get(name)
        r = ratio(d, st["seconds"])
        mark = "" if st["like_for_like"] else " *"
        same = "yes" if all(st["same_as_lake"]) else ("-" if all(v is None for v in st["same_as_lake"]) else "NO")
        print(f"  {name + mark:<38}{'-' if d is None else f'{d:.1f}':>9}{st['seconds']:>8.2f}{st['read_s']:>7.2f}"
              f"{st['compute_s']:>9.2f}{st['write_s']:>7.2f}{'-' if r is None else f'{r:.2f}':>7}  {same}")
        if st["like_for_like"] and d is not None:
            like_d, like_f = like_d + d, like_f + st["seconds"]
        elif not st["like_for_like"]:
            raw_f += st["seconds"]
    totals = {"analytics_to_grading": {"dagster_steps_s": like_d, "floor_s": like_f, "ratio": ratio(like_d, like_f)},
              "raw_parse": {"landing_replay_c_s": c_median, "floor_s": raw_f, "ratio": ratio(c_median, raw_f)}}
    lf = totals["analytics_to_grading"]
    if lf["ratio"]:
        print(f"  like for like, analytics..grading: dagster steps {like_d:.1f}s / floor {like_f:.1f}s = x{lf['ratio']:.2f}")
    if c_median:
        print(f"  like for like, raw parsing: (c) {c_median:.1f}s / floor raw {raw_f:.1f}s = x{ratio(c_median, raw_f):.2f}")
    print("  * raw: (a) also fetches every response from the simulated league over HTTP; the floor parses the "
          "landed files")
    return totals


def print_states(states: list[dict]) -> None:
    """(h): each season lake's instance, by top-level entry."""
    for st in states:
        parts = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in st["by_entry"].items())
        print(f"\n(h) DAGSTER_HOME {st['instance_bytes'] / 1e6:.1f} MB for {st['table_days']:,} table-days = "
              f"{st['kb_per_table_day']} KB each ({parts})")


def print_prod_week(g: dict) -> None:
    """(g): per repeat, the week's seconds both ways, the instance state and the publish."""
    for x in g["repeats"]:
        if not x.get("success"):
            continue
        loc, prod = x["local_instance"], x["prod_instance"]
        print(f"\n(g) {g['start']}..{g['end']}: local {x['local_seconds']} s, prod {x['prod_seconds']} s "
              f"(x{x['prod_over_local']}); state per table-day: local folder {loc['kb_per_table_day']} KB, prod "
              f"{prod.get('instance')} {prod['kb_per_table_day']} KB ({prod['table_days']} table-days); "
              f"publish_range {x['publish_range_seconds']} s for {x['publish_table_days']} table-days")


def cpu_loop_s() -> float:
    """Seconds of a fixed pure-Python loop: how fast this machine is right now. The 2 cores we run on
    have measured 0.5..1.5 s on different days, so figures are compared with others measured at a
    similar loop time (recorded at the start and end of every bench)."""
    t = time.perf_counter()
    sum(i * i for i in range(10**7))
    return round(time.perf_counter() - t, 3)


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "load_at_start": [round(x, 2) for x in os.getloadavg()], "cpu_loop_s_at_start": cpu_loop_s()}


def commit() -> str | None:
    """The checkout's commit (`-dirty` when it has uncommitted changes): what the figures measured."""
    out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or None


def versions() -> dict:
    out = subprocess.run([str(PY), "-c", "import dagster, polars, duckdb, lightgbm; print(dagster.__version__, "
                          "polars.__version__, duckdb.__version__, lightgbm.__version__)"],
                         capture_output=True, text=True, check=False).stdout.split()
    return dict(zip(("dagster", "polars", "duckdb", "lightgbm"), out, strict=False))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        parts = parse_only(args.only)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    name = args.name or (f"bench{args.season}" + (f"_d{args.days}" if args.days else ""))
    out_dir = destination(args)
    b = Bench(args, parts)
    start, end = b.a_window
    print(f"bench {name}: parts {','.join(parts)}, {args.repeat} repeat(s); (a) {start}..{end} "
          f"({(end - start).days + 1} days), (b) {b.b_chunks[0][0]}..{b.b_chunks[-1][1]}, day {b.day}; "
          f"temporary lakes in {b.root}", flush=True)
    result: dict = {"name": name, "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "commit": commit(), "machine": machine(), "versions": versions(), "parts": parts, "repeat": args.repeat,
                    "window_days": args.days or None, "season": args.season}
    t0 = time.perf_counter()
    if "a" in parts:
        result["a_season"] = b.part_a()
    if set(parts) & {"c", "d", "e", "f", "h"} or ("a" in parts and not args.no_eval):
        have = b.ensure_template()
        if not have:
            print("no season lake: (c)..(f), (h) and the model evaluation are skipped", flush=True)
            parts = [p for p in parts if p not in ("c", "d", "e", "f", "h")]
        elif not args.no_eval:
            from evaluate import evaluate, format_eval

            result["model_evaluation"] = evaluate(b.template / "data", out_dir, name)
    if "b" in parts:
        result["b_three_seasons"] = b.part_b()
    for part, key in (("c", "c_landing_replay"), ("d", "d_one_day_cli"), ("e", "e_commands"), ("f", "f_floor"),
                      ("g", "g_prod_week"), ("h", "h_dagster_state"), ("demo", "demo")):
        if part in parts:
            result[key] = getattr(b, f"part_{part}")()
    result["total_bench_s"] = round(time.perf_counter() - t0, 1)
    result["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["machine"]["cpu_loop_s_at_end"] = cpu_loop_s()

    if "a_season" in result and result["a_season"]["jobs_median"]:
        print_jobs(f"(a) season {start}..{end}, per job and asset", result["a_season"]["jobs_median"])
    if "b_three_seasons" in result:
        bs = result["b_three_seasons"]
        print("\n(b) per season (median s): " + ", ".join(
            f"{c['start']}..{c['end']} {'-' if s is None else f'{s:.1f}'}"
            for c, s in zip(bs["chunks"], bs["per_season_median_s"], strict=True)))
    if "model_evaluation" in result:
        print()
        print(format_eval(result["model_evaluation"]))
    if "h_dagster_state" in result:
        print_states(result["h_dagster_state"]["repeats"])
    if "g_prod_week" in result:
        print_prod_week(result["g_prod_week"])
    if "f_floor" in result and result["f_floor"]["steps_median"]:
        result["f_floor"]["like_for_like"] = print_floor(result.get("a_season"), result["f_floor"],
                                                         _med(b.summaries.get("c.landing_replay")))
    rows = targets(b.summaries, full_window=not args.days)
    result["targets"] = rows
    ok = all(r["median"] is not None for r in rows)
    result["success"] = ok
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    window = "" if not args.days else f" (window of {args.days} days: full-season targets are n/a)"
    m = result["machine"]
    print(f"\nmake bench: median of {args.repeat}{window}; load {m['load_at_start']} at start, "
          f"{m['load_at_end']} at end; CPU loop {m['cpu_loop_s_at_start']} s at start, {m['cpu_loop_s_at_end']} s at end")
    print(format_table(rows))
    print(f"\nresults: {path}; bench took {result['total_bench_s']:.0f} s; logs in {b.logs}")
    if args.keep:
        print(f"lakes kept: {b.root}")
    else:
        shutil.rmtree(b.root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
