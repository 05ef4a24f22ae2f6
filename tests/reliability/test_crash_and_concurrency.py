"""Crash safety and concurrency of lake writes, with real processes.

- SIGKILL of a CLI backfill exactly between a partition's temp file and its rename, half way through
  a six-day range: every partition file is a complete old or new version, the temp file is left, the
  run stays STARTED; the next CLI command marks the run FAILED, the next write sweeps the temp file,
  and the re-run gives the hashes of an uninterrupted run.
- Two processes writing the same partition at once while readers read it: readers always see one
  complete version, and the winner is one writer's whole file, never a mix.
- Two Dagster runs in two processes (the CLI and a run as the daemon's worker executes it) writing
  different days of one table at once, against one DAGSTER_HOME and data dir: both succeed, every day
  equals a sequential run, and `nba-lake status` / `sql` / a DuckDB session meanwhile are answered and
  see whole files only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from nba_assets.cli.guard import open_instance
from nba_assets.raw import bdl_boxscores
from resources.env import resources_for
from resources.settings import PROJECT_ROOT, settings
from tests.conftest import SIM_NOW, file_hashes, range_tags

DAYS = ("2025-12-01", "2025-12-06")
KILLER = """
import os, signal, sys
target, n, seen = os.environ["KILL_TABLE"], int(os.environ["KILL_AT_WRITE"]), [0]
real = os.replace
def replace(src, dst, *a, **k):
    if str(dst).endswith(".parquet") and target in str(dst):
        seen[0] += 1
        if seen[0] == n:  # the temp file is complete and fsynced; the rename never happens
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
from nba_assets.cli.commands import run
sys.argv = ["nba-lake", *sys.argv[1:]]
run()
"""


def _cli(env: dict, *args: str, kill_at: int | None = None) -> subprocess.CompletedProcess:
    env = {**env, "KILL_TABLE": "bdl_boxscores", "KILL_AT_WRITE": str(kill_at or 0)}
    return subprocess.run([sys.executable, "-c", KILLER, *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_sigkill_mid_write_leaves_whole_files_and_the_rerun_equals_an_uninterrupted_run(
    sim_lake, instance, tmp_path, monkeypatch
):
    # The uninterrupted reference, in-process, in its own lake.
    ref = tmp_path / "ref"
    ref.mkdir()
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(ref))
    assert dg.materialize([bdl_boxscores], resources=resources_for(settings()), instance=instance,
                          tags=range_tags(*DAYS)).success
    expected = file_hashes(ref / "lake" / "raw" / "bdl_boxscores")
    assert len(expected) == 6

    home = tmp_path / "home"
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_LAKE_DATA_DIR": str(sim_lake),
           "NBA_LAKE_SOURCE": "sim", "NBA_LAKE_SIM_NOW": SIM_NOW.isoformat()}
    args = ("backfill", "--start", DAYS[0], "--end", DAYS[1], "--select", "raw/bdl_boxscores")
    killed = _cli(env, *args, kill_at=4)
    assert killed.returncode == -9, killed.stderr[-2000:]
    lake = sim_lake / "lake" / "raw" / "bdl_boxscores"
    written = file_hashes(lake)
    assert sorted(written) == [f"2025-12-0{d}.parquet" for d in (1, 2, 3)]  # half way, nothing after
    assert all(written[name] == expected[name] for name in written)  # whole files, never partial
    temps = [p.name for p in lake.iterdir() if p.name.endswith(".tmp")]
    assert len(temps) == 1 and temps[0].startswith(".2025-12-04.parquet."), temps
    # The temp file is a complete Parquet file of day 4, but no reader's glob picks it up.
    con = duckdb.connect()
    n = con.execute(f"select count(*) from read_parquet('{lake}/*.parquet')").fetchone()[0]
    assert n == sum(pl.read_parquet(lake / f).height for f in written)

    monkeypatch.setenv("DAGSTER_HOME", str(home))  # its dagster.yaml reads the storage dir from there
    inst = dg.DagsterInstance.from_config(str(home))
    [run] = inst.get_runs()
    assert run.status == dg.DagsterRunStatus.STARTED  # what a kill leaves behind
    [killed_backfill] = inst.get_backfills()  # "In progress" on the Backfills page
    assert killed_backfill.status.value == "REQUESTED" and run.tags["dagster/backfill"] == killed_backfill.backfill_id

    rerun = _cli(env, *args)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"run {run.run_id[:8]} was left STARTED" in rerun.stderr
    assert inst.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert f"backfill {killed_backfill.backfill_id} was left in progress" in rerun.stderr
    statuses = {b.backfill_id: b.status.value for b in inst.get_backfills()}
    assert statuses.pop(killed_backfill.backfill_id) == "FAILED"
    assert list(statuses.values()) == ["COMPLETED_SUCCESS"]  # the rerun's own
    assert file_hashes(lake) == expected
    assert not [p for p in lake.iterdir() if p.name.endswith(".tmp")]


WRITER = """
import sys, polars as pl
from pathlib import Path
from io_managers.lake import write_parquet_atomic
path, value, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
frame = pl.DataFrame({"writer": [value] * 50_000, "i": list(range(50_000))})
for _ in range(n):
    write_parquet_atomic(frame, path)
"""


def test_two_writers_of_one_partition_and_readers_never_see_a_mix(tmp_path):
    path = tmp_path / "lake" / "raw" / "t" / "2025-12-01.parquet"
    path.parent.mkdir(parents=True)
    pl.DataFrame({"writer": [0] * 50_000, "i": list(range(50_000))}).write_parquet(path)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w), "40"], cwd=PROJECT_ROOT)
               for w in (1, 2)]
    seen: set[int] = set()
    reads = 0
    con = duckdb.connect()
    while any(w.poll() is None for w in writers):
        got = pl.read_parquet(path)
        assert got.height == 50_000 and got["writer"].n_unique() == 1
        (count, distinct), = con.execute(
            f"select count(*), count(distinct writer) from read_parquet('{path.parent}/*.parquet')"
        ).fetchall()
        assert (count, distinct) == (50_000, 1)
        seen.add(got["writer"][0])
        reads += 2
    assert [w.returncode for w in writers] == [0, 0]
    final = pl.read_parquet(path)
    assert final["writer"].n_unique() == 1 and final["writer"][0] in (1, 2)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    print(f"{reads} reads during 80 concurrent rewrites; versions seen: {sorted(seen)}")
    assert reads > 0


OPENER = """
import os, sys
from pathlib import Path
from nba_assets.cli.guard import open_instance
inst = open_instance(Path(os.environ["DAGSTER_HOME"]))
assert inst.get_runs() == []
"""


def test_two_processes_opening_an_empty_dagster_home_at_once_both_start(tmp_path):
    # Without the lock, 2 of 8 such pairs died on `table alembic_version already exists` (docs/reliability.md).
    for i in range(2):
        home = tmp_path / f"home{i}"
        home.mkdir()
        (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
        env = {**os.environ, "DAGSTER_HOME": str(home)}
        procs = [subprocess.Popen([sys.executable, "-c", OPENER], env=env, cwd=PROJECT_ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs


# Each run, at its first write to TABLE, lands the temp file and waits before the rename until both runs
# are there and the test has released them: the two runs are then mid-write at the same time, for sure.
BARRIER = """
import os, sys, time
from pathlib import Path
gate, me, table = Path(os.environ["GATE_DIR"]), os.environ["GATE_NAME"], os.environ["GATE_TABLE"]
real, waited = os.replace, [False]
def replace(src, dst, *a, **k):
    if not waited[0] and str(dst).endswith(".parquet") and f"/{table}/" in str(dst):
        waited[0] = True
        (gate / me).touch()
        deadline = time.monotonic() + 1800  # only if the test itself died: it always releases, then kills
        while not (gate / "release").exists():
            if time.monotonic() > deadline:
                sys.exit(f"{me}: never released at its first write of {table}")
            time.sleep(0.05)
    return real(src, dst, *a, **k)
os.replace = replace
if sys.argv[1] == "nba-lake":
    from nba_assets.cli.commands import run as main
else:
    from dagster._cli import main
sys.argv = sys.argv[1:]
main()
"""
GATE_TIMEOUT = 300.0
READER_TIMEOUT = 300.0  # a bound for a busy machine, not a figure: a blocked reader would never return


def _until(cond, what: str, procs, timeout: float = GATE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        dead = [p.args[3:6] for p in procs if p.poll() is not None]
        assert not dead, f"{what} never happened: {dead} exited first"
        assert time.monotonic() < deadline, f"{what} never happened within {timeout:.0f}s"
        time.sleep(0.1)


def test_a_cli_backfill_and_a_scheduled_style_run_write_days_of_one_table_at_once(
    sim_lake, instance, tmp_path, monkeypatch
):
    """Two processes, one DAGSTER_HOME, one data dir: `nba-lake backfill` of three days and a
    `dagster asset materialize` of a fourth (what the daemon's run worker executes), both mid-write at
    once; readers meanwhile are answered and see only whole files."""
    table, days = "bdl_boxscores", ["2025-10-22", "2025-10-23", "2025-10-24", "2025-10-25"]
    seed_day = "2025-10-21"  # already in the lake: what readers see before the runs' files land
    ref = tmp_path / "ref"
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(ref))
    assert dg.materialize([bdl_boxscores], resources=resources_for(settings()), instance=instance,
                          tags=range_tags(seed_day, days[-1])).success  # the sequential reference
    expected = file_hashes(ref / "lake" / "raw" / table)
    lake = sim_lake / "lake" / "raw" / table
    lake.mkdir(parents=True)
    shutil.copy(ref / "lake" / "raw" / table / f"{seed_day}.parquet", lake)
    rows = {p.stem: pl.read_parquet(p).height for p in (ref / "lake" / "raw" / table).glob("*.parquet")}

    home, gate = tmp_path / "home", tmp_path / "gate"
    home.mkdir()
    gate.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_LAKE_DATA_DIR": str(sim_lake), "NBA_LAKE_SOURCE": "sim",
           "NBA_LAKE_SIM_NOW": SIM_NOW.isoformat(), "GATE_DIR": str(gate), "GATE_TABLE": table}
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    open_instance(home)  # an instance in use, as when the CLI and the daemon share it
    runs = {
        "cli": ["nba-lake", "backfill", "--start", days[0], "--end", days[2], "--select", f"raw/{table}"],
        "scheduled": ["dagster", "asset", "materialize", "-m", "nba_assets.definitions", "-d", str(PROJECT_ROOT),
                      "--select", f"raw/{table}", "--partition", days[3]],
    }
    procs = [subprocess.Popen([sys.executable, "-c", BARRIER, *args], env={**env, "GATE_NAME": name},
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name, args in runs.items()]
    try:
        _until(lambda: {p.name for p in gate.iterdir()} == set(runs), "both runs at their first write", procs)
        inst = dg.DagsterInstance.from_config(str(home))
        assert sorted(r.status.value for r in inst.get_runs()) == ["STARTED", "STARTED"]
        assert len([p for p in lake.iterdir() if p.name.endswith(".tmp")]) == 2  # both temp files written
        # Readers while both runs hold the instance and a half-done write: answered, whole files only.
        for cmd in (["status", "--days", "7"], ["sql", f"select count(*) as n from raw.{table}"]):
            t0 = time.monotonic()
            got = subprocess.run([str(Path(sys.executable).parent / "nba-lake"), *cmd], env=env, cwd=PROJECT_ROOT,
                                 capture_output=True, text=True, timeout=READER_TIMEOUT)
            assert got.returncode == 0, (cmd, got.stdout[-1500:], got.stderr[-1500:])
            print(f"nba-lake {cmd[0]} answered in {time.monotonic() - t0:.1f} s while both runs were mid-write")
        assert f"{rows[seed_day]}" in got.stdout, got.stdout  # the seed day only: no temp file counted
        (gate / "release").touch()
        con, reads, seen = duckdb.connect(), 0, set()
        while any(p.poll() is None for p in procs):
            per_file = con.execute(f"select filename, count(*) from read_parquet('{lake}/*.parquet', "
                                   "filename=true) group by 1").fetchall()
            for name, n in per_file:
                day = name.rsplit("/", 1)[1].removesuffix(".parquet")
                assert n == rows[day], (day, n, rows[day])  # a whole file or none
                seen.add(day)
            reads += 1
        outs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        (gate / "release").touch()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], [o[-3000:] for o in outs]
    assert sorted(r.status.value for r in inst.get_runs()) == ["SUCCESS", "SUCCESS"]
    assert file_hashes(lake) == expected  # every day of both runs, byte-identical to the sequential run
    assert not [p for p in lake.iterdir() if p.name.endswith(".tmp")]
    print(f"{reads} DuckDB reads while the two runs wrote; days seen: {sorted(seen)}")
