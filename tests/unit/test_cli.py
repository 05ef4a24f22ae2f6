"""The operator CLI against a real (tiny) lake: one 2-day `--select raw` backfill on the sim per module.

The sim clock is fixed at conftest.SIM_NOW (2025-12-12 17:00 UTC). Seed 7 puts a zero-prop game on
2025-12-10, so the range run's `prop_availability` check fails for 12-10 only, and a late boxscore
of 2025-12-10 that the sim releases at 2025-12-12 23:58 UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nba_assets import tables
from nba_assets.cli import commands as cli
from resources.sim.clock import SimClock
from tests.conftest import SIM_NOW

D1, D2 = "2025-12-10", "2025-12-11"
ROOT = Path(__file__).resolve().parents[2]


def _env(mp: pytest.MonkeyPatch, data: Path, home: Path, sim_now: str | None = SIM_NOW.isoformat()) -> None:
    mp.setenv("NBA_LAKE_DATA_DIR", str(data))
    mp.setenv("DAGSTER_HOME", str(home))
    mp.setenv("NBA_LAKE_SOURCE", "sim")
    mp.delenv("NBA_LAKE_ENV", raising=False)
    if sim_now:
        mp.setenv("NBA_LAKE_SIM_NOW", sim_now)
    else:
        mp.delenv("NBA_LAKE_SIM_NOW", raising=False)


def invoke(*args: str):
    result = CliRunner().invoke(cli.app, list(args), catch_exceptions=False)
    return result


def entry(capsys, *args: str) -> tuple[int, str, str]:
    """The real entry point's error handling (exit codes, one-line errors) in-process."""
    rc = cli.entry(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A lake with raw 2025-12-10..11 backfilled through `nba-lake backfill` (one run)."""
    root = tmp_path_factory.mktemp("cli")
    data, home = root / "data", root / "dagster_home"
    mp = pytest.MonkeyPatch()
    _env(mp, data, home)
    try:
        res = invoke("backfill", "--start", D1, "--end", D2, "--select", "raw")
        assert res.exit_code == 0, res.output
        yield {"data": data, "home": home, "backfill_output": res.output, "mp": mp}
    finally:
        mp.undo()


@pytest.fixture
def lake_env(lake, monkeypatch):
    _env(monkeypatch, lake["data"], lake["home"])
    return lake


def test_backfill_summary_table(lake_env):
    out = lake_env["backfill_output"]
    for table in (tables.BDL_BOXSCORES.label, tables.NBACOM_BOXSCORES.label, tables.PROP_LINES.label, tables.SCHEDULE.label, tables.INJURIES.label):
        line = next(ln for ln in out.splitlines() if table in ln)
        assert "✓ success" in line, line
    assert "succeeded" in out
    # The run belongs to a Dagster backfill of the five raw tables over the range, which says so.
    import dagster as dg

    from nba_assets.cli.backfills import BACKFILL_ID_TAG

    (record,) = cli.common.instance().get_backfills()
    assert f"backfill {record.backfill_id} COMPLETED_SUCCESS" in out
    assert record.status.value == "COMPLETED_SUCCESS" and record.title == f"nba-lake backfill {D1}..{D2}"
    target = record.asset_backfill_data.target_subset
    assert sorted(k.to_user_string() for k in target.asset_keys) == sorted(
        t.label for t in tables.ALL if t.layer == "raw" and t.partitioned == tables.DAILY)
    assert all(target.get_partitions_subset(k).get_partition_keys() == [D1, D2] for k in target.asset_keys)
    assert record.asset_backfill_data.materialized_subset == target
    (run,) = cli.common.instance().get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: record.backfill_id}))
    assert run.run_id[:8] in out and run.status == dg.DagsterRunStatus.SUCCESS
    # The failed check beside "✓ success" is the sim's seeded zero-prop game, and the summary says so.
    assert "1 failed check result(s)" in out
    assert "1 on 1 day(s) where the simulated league seeded a fault on purpose" in out
    assert f"{D1}  zero_prop_game: {tables.PROP_LINES.label} prop_availability" in out
    assert f"nba-lake checks --failed --date {D1}" in out
    # The summary's rows are the rows really written: compare with the Parquet files.
    import polars as pl

    files = sorted((lake_env["data"] / "lake" / "raw" / "schedule").glob("*.parquet"))
    assert [f.stem for f in files] == [D1, D2]
    n = sum(pl.read_parquet(f).height for f in files)
    line = next(ln for ln in out.splitlines() if tables.SCHEDULE.label in ln)
    assert f" {n} " in line


def test_status_after_backfill(lake_env):
    res = invoke("status", "--date", D2, "--days", "3")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Tue 12-09" in out and "Wed 12-10" in out and "Thu 12-11" in out
    import pyarrow.parquet as pq

    rows = pq.read_metadata(lake_env["data"] / "lake" / "raw" / "bdl_boxscores" / f"{D1}.parquet").num_rows
    line = next(ln for ln in out.splitlines() if tables.BDL_BOXSCORES.label in ln and "materialized" not in ln)
    cells = [c.strip() for c in line.strip("│ ").split("│")]
    assert cells[0] == tables.BDL_BOXSCORES.label
    assert cells[1] == "·"  # 12-09: never backfilled
    assert cells[2] == f"{rows:,}"
    # The zero-prop game of 12-10 fails prop_availability: the range run recorded 12-10 FAILED, 12-11 passed.
    props = next(ln for ln in out.splitlines() if tables.PROP_LINES.label in ln and "materialized" not in ln)
    pcells = [c.strip() for c in props.strip("│ ").split("│")]
    assert pcells[2].endswith("✗1"), props
    assert "✗" not in pcells[3], props
    # analytics was not run: no files.
    games = next(ln for ln in out.splitlines() if tables.GAMES.label in ln)
    assert "✗" not in games and games.count("·") == 3
    # Freshness: raw was just materialized (fresh), no game_day run ever.
    assert "raw/schedule materialized" in out and "fresh" in out
    assert "game_day run succeeded" in out and "NEVER" in out


def test_status_defaults_to_sim_today(lake_env):
    res = invoke("status", "--days", "1")
    assert res.exit_code == 0, res.output
    assert "Fri 12-12" in res.output and "today on the sim clock" in res.output


def test_checks_for_a_day_with_range_results(lake_env):
    res = invoke("checks", "--date", D1)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "prop_availability" in out and "no_duplicate_keys" in out
    assert f"range {D1}..{D2}" in out
    failed = invoke("checks", "--date", D1, "--failed").output
    assert "raw/prop_lines:prop_availability" in failed
    assert "FAILED" in failed and "WARN" in failed
    assert "n_offending:" in failed and f"failing_dates: {D1}" in failed
    # the day's own record: evaluated on 12-10 alone, not the range
    assert f"evaluated_dates: {D1}\n" in failed
    assert "no_duplicate_keys" not in failed
    # 12-11 has its own (passing) record from the same run.
    other = invoke("checks", "--date", D2, "--failed").output
    assert "no failed checks" in other
    every = invoke("checks", "--date", D2).output
    assert "SKIPPED" not in every and "PASSED" in every


def test_checks_defaults_to_the_latest_game_day(lake_env):
    """Without --date: the last day up to today (the sim clock, 12-12) whose schedule lists games."""
    res = invoke("checks")
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"checks for {D2} (the latest game day)"), res.output
    assert "no failed checks" in invoke("checks", "--failed").output


def test_status_tables_are_the_definitions_partitioned_assets(lake_env):
    """`status` lists the registry's partitioned tables (no definitions built): the same set, in the
    same layer order, as the code location's partitioned assets."""
    from nba_assets.definitions import defs

    specs = [a for a in defs.resolve_all_asset_specs() if a.partitions_def is not None and a.group_name in cli.common.LAYERS]
    shown = [tb for tb in tables.ALL if tb.partitioned != tables.NONE and tb.layer in cli.common.LAYERS]
    assert sorted(a.key for a in specs) == sorted(tb.key for tb in shown)
    assert all(a.group_name == tables.get(a.key).layer for a in specs)


def test_instance_is_opened_once_per_dagster_home(lake_env, tmp_path, monkeypatch):
    first = cli.common.instance()
    assert cli.common.instance() is first
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "other_home"))
    assert cli.common.instance() is not first


def _views(home: Path):
    from nba_assets.dagster_internals.instance_view import DagsterView, SqliteView

    local = SqliteView.open(home)
    assert local is not None, "the CLI's DAGSTER_HOME is the local sqlite layout"
    return local, DagsterView(cli.common.instance())


def test_status_and_checks_read_the_instance_without_dagster_and_get_dagsters_answers(lake_env):
    from nba_assets.cli.check_history import CheckHistory
    from nba_assets.history import GAME_DAY_JOB, week_key

    local, dagster = _views(lake_env["home"])
    keys = local.check_keys()
    assert keys == dagster.check_keys() and len(keys) >= 10
    for day in ("2025-12-09", D1, D2, week_key(dt.date.fromisoformat(D1))):
        got = local.latest_checks(keys, day)
        assert got == dagster.latest_checks(keys, day)
        assert bool(got) == (day in (D1, D2)), day
    failed = local.latest_checks(keys, D1)[(tables.PROP_LINES.label, "prop_availability")]
    assert failed.status == "FAILED" and failed.passed is False and failed.severity == "WARN"
    assert failed.metadata["failing_dates"] == D1 and failed.metadata["n_offending"] >= 1
    runs = {r.run_id for r in local.latest_checks(keys, D1).values()}
    assert runs and all(local.run(r) == dagster.run(r) and local.run(r).is_finished for r in runs)
    assert local.run("no-such-run") is None and dagster.run("no-such-run") is None
    raw = [tb.label for tb in tables.ALL if tb.layer == "raw" and tb.partitioned == tables.DAILY]
    stamps = local.last_materializations([*raw, tables.GAMES.label])
    assert stamps == dagster.last_materializations([*raw, tables.GAMES.label])
    assert stamps[tables.GAMES.label] is None and all(stamps[label] for label in raw)
    for job in (GAME_DAY_JOB, "ingest_and_features"):
        assert local.last_success_end(job) == dagster.last_success_end(job)
    assert local.last_success_end("ingest_and_features") and local.last_success_end(GAME_DAY_JOB) is None
    for day in (D1, D2):
        assert CheckHistory(local).for_day(dt.date.fromisoformat(day)) == \
            CheckHistory(dagster).for_day(dt.date.fromisoformat(day))


@pytest.mark.parametrize("args", [["status", "--date", D2, "--days", "3"], ["checks", "--date", D1]])
def test_status_and_checks_never_import_dagster_on_the_local_instance(lake_env, args):
    # Nor universal-pathlib/fsspec: a local lake's paths are pathlib's (resources.files.data_path).
    code = ("import sys\nfrom nba_assets.cli.commands import entry\nrc = entry(sys.argv[1:])\n"
            "print('RESULT', rc, [m for m in ('dagster', 'upath') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1] == "RESULT 0 []", out.stdout[-2000:] + out.stderr[-2000:]


def test_a_run_left_by_a_killed_process_sends_status_through_dagster_which_fails_it(tmp_path, monkeypatch):
    import dagster as dg
    from dagster._core.test_utils import create_run_for_test

    from nba_assets.dagster_internals.instance_view import HOST_TAG, PID_TAG, DagsterView, FallbackView

    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    inst = cli.common.instance()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run = create_run_for_test(inst, job_name="ingest_and_features", status=dg.DagsterRunStatus.STARTED,
                              tags={HOST_TAG: socket.gethostname(), PID_TAG: str(gone.pid)})
    cli.common._INSTANCES.clear()  # a new command: the instance is opened again
    assert isinstance(cli.common.instance_view(), DagsterView)
    assert inst.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert isinstance(cli.common.instance_view(), FallbackView)  # nothing left to fail: no Dagster


def test_checks_for_a_day_never_run(lake_env, capsys):
    rc, _, err = entry(capsys, "checks", "--date", "2025-11-01")
    assert rc == 1
    assert "no check evaluations recorded for 2025-11-01" in err
    assert "nba-lake backfill --start 2025-11-01 --end 2025-11-01" in err


def test_failing_run_exits_nonzero_with_step_and_error(lake, tmp_path, monkeypatch, capsys):
    """A corrupt upstream file: the run fails, the CLI says which step and why on one line."""
    data = tmp_path / "data"
    shutil.copytree(lake["data"], data)
    (data / "lake" / "raw" / "schedule" / f"{D2}.parquet").write_bytes(b"not a parquet file")
    _env(monkeypatch, data, tmp_path / "home")
    rc, out, err = entry(capsys, "backfill", "--start", D2, "--end", D2, "--select", tables.GAMES.label)
    assert rc == 1, out + err
    line = next(ln for ln in err.splitlines() if ln.startswith("error:"))
    assert "FAILED" in line and "analytics__games" in line
    assert "Traceback" not in err + out
    assert "✗ failed" in out
    (record,) = cli.common.instance().get_backfills()  # the backfill says it failed, and on what
    assert f"backfill {record.backfill_id} COMPLETED_FAILED" in out
    assert record.status.value == "COMPLETED_FAILED"
    assert record.asset_backfill_data.failed_and_downstream_subset.get_partitions_subset(
        tables.GAMES.key).get_partition_keys() == [D2]
    # the failed step's checks were planned for the day but never evaluated: shown as such
    rc, out, _ = entry(capsys, "checks", "--date", D2)
    line = next(ln for ln in out.splitlines() if "final_games_have_boxscores" in ln)
    assert "SKIPPED" in line, out
    from nba_assets.cli.check_history import CheckHistory

    local, dagster = _views(tmp_path / "home")  # a skipped record: the same through both views
    day = dt.date.fromisoformat(D2)
    assert CheckHistory(local).for_day(day) == CheckHistory(dagster).for_day(day)


def test_status_on_empty_lake(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    rc, out, err = entry(capsys, "status")
    assert rc == 1
    assert err.splitlines()[0].startswith("error: no lake yet under")
    assert "make demo" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["backfill", "--start", "2025-13-01", "--end", "2025-12-02"], "--start '2025-13-01' is not a date"),
        (["backfill", "--start", "2025-12-05", "--end", "2025-12-01"], "is before --start"),
        (["backfill", "--start", "2025-12-01", "--end", "2025-12-02", "--select", "nope"], "not a layer"),
        (["backfill", "--start", "2025-12-01", "--end", "2025-12-02", "--select", "raw/nope"], "no such asset"),
        (["backfill", "--end", "2025-12-02"], "--start"),
        (["status", "--date", "yesterday"], "is not a date"),
        (["status", "--days", "0"], "--days"),
        (["sim", "advance"], "exactly one of --to"),
        (["sim", "advance", "--to", "noonish"], "is not an ISO timestamp"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, needle, tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home", sim_now=None)
    rc, out, err = entry(capsys, *args)
    assert rc == 2, (out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0].startswith("error:") and needle in lines[0], err
    assert len(lines) == 2 and lines[1].startswith("hint:"), err
    assert "Traceback" not in err + out


def test_debug_shows_traceback(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    rc, _, err = entry(capsys, "--debug", "backfill", "--start", "2025-13-01", "--end", "2025-12-02")
    assert rc == 2
    assert "Traceback (most recent call last)" in err and "error: --start" in err


def test_entry_point_subprocess_bad_config(tmp_path):
    """The installed entry point: a bad setting is one line + hint, exit 2, through a real process."""
    env = {"PATH": "/usr/bin:/bin", "NBA_LAKE_SOURCE": "nope", "DAGSTER_HOME": str(tmp_path / "home"),
           "NBA_LAKE_DATA_DIR": str(tmp_path / "data")}
    exe = Path(sys.executable).with_name("nba-lake")
    p = subprocess.run([str(exe), "sim", "status"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: NBA_LAKE_SOURCE='nope' is not one of")
    assert "Traceback" not in p.stderr


# --------------------------------------------------------------------------------------------- sim
@pytest.fixture
def sim_env(tmp_path, monkeypatch):
    """A sim state dir driven by clock.json (no env override), starting at SIM_NOW."""
    data = tmp_path / "data"
    _env(monkeypatch, data, tmp_path / "home", sim_now=None)
    clock = SimClock(data / "sim")
    clock.set(SIM_NOW)
    return data, clock


def test_sim_status_shows_clock_and_pending(sim_env):
    data, _ = sim_env
    res = invoke("sim", "status")
    assert res.exit_code == 0, res.output
    assert "2025-12-12 17:00:00 UTC" in res.output
    assert f"override file {data / 'sim' / 'clock.json'}" in res.output
    assert "seeded late-boxscore fault" in res.output and "2025-12-10" in res.output
    # Only boxscores that are late now: the seeded faults of games weeks away are counted, not listed.
    assert "pending late boxscores: 1 of games already final; 2 more for games not final yet" in res.output
    assert "2026-02-06" not in res.output and "2026-04-01" not in res.output


def test_sim_advance_and_reset(sim_env):
    data, clock = sim_env
    res = invoke("sim", "advance", "--hours", "6")
    assert res.exit_code == 0, res.output
    assert clock.now() == SIM_NOW + dt.timedelta(hours=6)
    res = invoke("sim", "advance", "--to", "2025-12-14T09:30Z")
    assert res.exit_code == 0, res.output
    assert clock.now() == dt.datetime(2025, 12, 14, 9, 30, tzinfo=dt.UTC)
    # Crossing the 12-10 late boxscore's release time says so.
    assert "released: " in res.output and "seeded late-boxscore fault" in res.output
    assert json.loads((data / "sim" / "clock.json").read_text())["now"].startswith("2025-12-14T09:30")
    res = invoke("sim", "reset")
    assert res.exit_code == 0, res.output
    assert not (data / "sim" / "clock.json").exists()
    assert "removed the clock override" in res.output


def test_sim_release_late(sim_env):
    from resources.sim.control import pending_releases
    from resources.sources import _sim_league

    data, clock = sim_env
    league = _sim_league(7)
    before = pending_releases(league, clock, data / "sim")
    first = before.row(0, named=True)
    res = invoke("sim", "release-late")
    assert res.exit_code == 0, res.output
    assert clock.now() == first["release_ts"] + dt.timedelta(seconds=1)
    assert f"released: {first['game_id']}" in res.output
    after = pending_releases(league, clock, data / "sim")
    assert first["game_id"] not in after["game_id"].to_list()
    assert after.height == before.height - before.filter(before["release_ts"] == first["release_ts"]).height


def test_sim_withhold(sim_env):
    from resources.sim.control import pending_releases, withheld
    from resources.sources import _sim_league

    data, clock = sim_env
    game = _sim_league(7).schedule(2025).filter(
        __import__("polars").col("game_date") == dt.date(2025, 12, 11)
    ).row(0, named=True)
    res = invoke("sim", "withhold", "--game", game["game_id"], "--hours", "5")
    assert res.exit_code == 0, res.output
    assert withheld(data / "sim") == {game["game_id"]: SIM_NOW + dt.timedelta(hours=5)}
    pending = pending_releases(_sim_league(7), clock, data / "sim")
    assert game["game_id"] in pending["game_id"].to_list()
    status = invoke("sim", "status").output
    assert game["game_id"] in status and "withheld by operator" in status
    # It is the earliest pending release, so release-late frees exactly it.
    res = invoke("sim", "release-late")
    assert f"released: {game['game_id']}" in res.output


def test_sim_withhold_unknown_game(sim_env, capsys):
    rc, _, err = entry(capsys, "sim", "withhold", "--game", "0029999999", "--hours", "5")
    assert rc == 2 and "no game '0029999999'" in err


def test_sim_refused_outside_sim_mode(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    monkeypatch.setenv("NBA_LAKE_SOURCE", "landing")
    rc, _, err = entry(capsys, "sim", "status")
    assert rc == 2
    assert "NBA_LAKE_SOURCE=landing" in err and "hint:" in err


def test_sim_advance_refused_when_env_pins_the_clock(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    rc, _, err = entry(capsys, "sim", "advance", "--hours", "1")
    assert rc == 2
    assert "NBA_LAKE_SIM_NOW=" in err and "unset NBA_LAKE_SIM_NOW" in err
    assert not (tmp_path / "data" / "sim" / "clock.json").exists()


def test_ui_port_in_use_names_the_process_and_a_free_port(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, tmp_path / "data", tmp_path / "home")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        rc, _, err = entry(capsys, "ui", "--port", str(port))
    assert rc == 2
    first = err.splitlines()[0]
    assert f"port {port} on 127.0.0.1 is already in use" in first
    import os

    assert f"pid {os.getpid()}" in first
    assert "nba-lake ui --port " in err


def test_sql_query_and_bad_sql(lake_env, capsys):
    res = invoke("sql", "select count(*) as n from raw.schedule")
    assert res.exit_code == 0, res.output
    import polars as pl

    n = sum(pl.read_parquet(f).height for f in (lake_env["data"] / "lake" / "raw" / "schedule").glob("*.parquet"))
    assert str(n) in res.output
    rc, _, err = entry(capsys, "sql", "select * from raw.nope")
    assert rc == 2 and err.startswith("error: CatalogException")


def test_sql_is_read_only(lake_env, capsys, tmp_path):
    """A day's file stays byte for byte what the pipeline wrote, whatever `nba-lake sql` is asked; each
    refusal is one line (exit 2) and names the way that does write (--write-db)."""
    import hashlib

    folder = lake_env["data"] / "lake" / "raw" / "nbacom_boxscores"
    day = folder / f"{D1}.parquet"

    def snapshot():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    before = snapshot()
    for statement in (
        f"COPY (select 1 as oops) TO '{day}'",
        f"copy (select 1 as oops) to 'lake://raw/nbacom_boxscores/{D1}.parquet'",
        f"select 1; COPY (select 1 as oops) TO '{day}'",
        f"ATTACH '{tmp_path}/x.duckdb'",
        f"EXPORT DATABASE '{tmp_path}/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET disabled_filesystems = ''",
        f"select * from read_parquet('{day}')",
    ):
        rc, out, err = entry(capsys, "sql", statement)
        assert rc == 2, (statement, out, err)
        assert len(err.splitlines()) == 1 and err.startswith("error: nba-lake sql is read-only: "), err
        assert "--write-db" in err or "locked" in err, err
    assert snapshot() == before
    assert list(tmp_path.iterdir()) == []
    rc, out, _ = entry(capsys, "sql", f"select count(*) as n from raw.nbacom_boxscores where game_date = '{D1}'")
    import polars as pl

    assert rc == 0 and f"{pl.read_parquet(day).height}" in out
