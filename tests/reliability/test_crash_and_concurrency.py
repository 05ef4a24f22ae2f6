"""Crash safety and concurrency of lake writes, with real processes.

- SIGKILL of a CLI backfill exactly between a partition's temp file and its rename, half way through
  a six-day range: every partition file is a complete old or new version, the temp file is left, the
  run stays STARTED; the next CLI command marks the run FAILED, the next write sweeps the temp file,
  and the re-run gives the hashes of an uninterrupted run.
- Two processes writing the same partition at once while readers read it: readers always see one
  complete version, and the winner is one writer's whole file, never a mix.
"""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import duckdb
import polars as pl

from nba_assets.raw import bdl_boxscores
from resources.env import PROJECT_ROOT, resources_for, settings
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
from nba_assets.ops.cli import run
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

    rerun = _cli(env, *args)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"run {run.run_id[:8]} was left STARTED" in rerun.stderr
    assert inst.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
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
from nba_assets.ops.guard import open_instance
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
