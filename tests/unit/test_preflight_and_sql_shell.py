"""`nba-lake`'s preflight (a range refused before Dagster loads) and the `nba-lake sql` shell."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from nba_assets.cli import preflight
from nba_assets.cli.sql_shell import error_text, refusal, shell, statements
from resources.sources import SourcesResource

BIN = Path(sys.executable).parent
D = dt.date.fromisoformat


def test_range_refusal_rules():
    first, last = D("2026-01-12"), D("2026-11-30")
    assert preflight.range_refusal(D("2026-11-01"), D("2026-11-30"), first, last, "c") is None
    msg, hint = preflight.range_refusal(D("2027-06-01"), D("2027-06-02"), first, last, "the sim clock")
    assert "--end 2027-06-02 is in the future" in msg and "2026-11-30 (the sim clock)" in msg
    assert hint == "use --end 2026-11-30 or earlier"
    msg, hint = preflight.range_refusal(D("2025-12-01"), D("2026-02-01"), first, last, "c")
    assert "before the first partition 2026-01-12" in msg and "NBA_LAKE_FIRST_GAME_DATE" in hint
    assert preflight.range_refusal(D("2026-02-02"), D("2026-02-01"), first, last, "c")[1] == "swap them"


def test_preflight_clock_agrees_with_the_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(tmp_path))
    sources = SourcesResource(mode="sim", data_dir=str(tmp_path), sim_seed=7)
    # 03:00 UTC is still the previous day in New York
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2026-03-02T03:00:00Z")
    assert preflight.last_game_date() == (sources.today(), "the sim clock") == (D("2026-03-01"), "the sim clock")
    monkeypatch.delenv("NBA_LAKE_SIM_NOW")
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "clock.json").write_text(json.dumps({"now": "2026-02-10T18:00:00+00:00"}))
    assert preflight.last_game_date()[0] == sources.today() == D("2026-02-10")
    assert preflight.sources_today() == sources.today()
    # A malformed clock: the sim clock raises, so does the strict reading (`nba-lake status` says so).
    (tmp_path / "sim" / "clock.json").write_text(json.dumps({"now": "tuesday"}))
    with pytest.raises(ValueError):
        sources.today()
    with pytest.raises(ValueError):
        preflight.sources_today()
    assert preflight.last_game_date()[1] == "the sim clock"  # the preflight itself leaves it to the full CLI
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2026-03-02T03:00:00")  # naive = UTC, as the sim clock reads it
    assert preflight.sources_today() == sources.today() == D("2026-03-01")


def test_unparseable_arguments_are_left_to_the_full_cli():
    assert preflight.backfill_refusal(["backfill", "--start", "nope", "--end", "2027-01-01"]) is None
    assert preflight.backfill_refusal(["status", "--date", "2099-01-01"]) is None
    assert preflight.backfill_refusal(["backfill", "--help"]) is None


def test_future_range_is_refused_with_one_line_and_nothing_written(tmp_path):
    """The installed `nba-lake` script: exit 2, one error line + hint, no landing/lake/instance file."""
    env = {"PATH": "/usr/bin:/bin", "NBA_LAKE_DATA_DIR": str(tmp_path / "data"), "NBA_LAKE_SOURCE": "sim",
           "DAGSTER_HOME": str(tmp_path / "home"), "NBA_LAKE_SIM_NOW": "2026-11-30T17:00:00Z"}
    res = subprocess.run(
        [str(BIN / "nba-lake"), "backfill", "--start", "2027-06-01", "--end", "2027-06-02", "--select", "raw"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.splitlines() == [
        "error: --end 2027-06-02 is in the future: the last game day is today, 2026-11-30 (the sim clock); "
        "nothing was fetched or written",
        "hint: use --end 2026-11-30 or earlier",
    ]
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()


# ------------------------------------------------------------------------------------ sql shell
def test_statements_span_lines_skip_blank_lines_and_pass_dot_commands():
    lines = ["", ".tables", "select 1", "", "  as x;", "show tables;", "   ", ".quit"]
    assert list(statements(lines)) == [".tables", "select 1\n  as x;", "show tables;", ".quit"]


@pytest.fixture
def con():
    c = duckdb.connect()
    c.sql("create schema analytics; create view analytics.games as select 1 as game_id, 'x' as status")
    return c


def test_shell_session(con, monkeypatch, capsys):
    script = "\n".join([
        ".tables", "", "show tables;", "select * from analytics.game;",
        "select game_id,", "status from analytics.games;", ".bogus", ".quit", "select 'never run';",
    ])
    monkeypatch.setattr(sys, "stdin", io.StringIO(script + "\n"))
    out: list[str] = []
    shell(con, ["analytics.games"], out.append)
    printed = capsys.readouterr().out
    assert out[2] == "analytics.games"  # .tables (after the two banner lines); the blank line did not quit
    assert "analytics.games" in printed  # show tables lists the lake's views
    errors = [o for o in out if o.startswith("Error:")]
    assert 'Did you mean "games"' in errors[0]  # DuckDB's hint kept
    assert "unknown command '.bogus'" in errors[1]
    assert "game_id" in printed and "never run" not in printed


@pytest.mark.parametrize("sql", [
    "COPY (select 1) TO 'x.parquet'", "  copy t to 'x.csv'", "/* c */ Copy (select 1) To 'x'",
    "select 1; copy (select 1) to 'x'", "COPY t FROM 'x.csv'", "ATTACH 'x.db' AS x", "attach database ':memory:'",
    "DETACH x", "EXPORT DATABASE 'dir'", "INSTALL httpfs", "FORCE INSTALL httpfs", "LOAD httpfs",
])
def test_statements_that_reach_files_are_refused_by_their_parse(sql):
    assert refusal(sql).startswith("nba-lake sql is read-only: ")


@pytest.mark.parametrize("sql", [
    "select 1", "with a as (select 1) select * from a", "describe raw.schedule", "show tables",
    "summarize select 1", "explain select 1", "select 'copy to attach'", "create table t as select 1",
    "set variable x = 1", "pragma version", "select * frm x",  # a parse error is DuckDB's to report
])
def test_reading_statements_are_not_refused(sql):
    assert refusal(sql) is None


def test_the_shell_refuses_a_write_in_one_line_and_goes_on(monkeypatch):
    from resources.lake_reader import _READ_ONLY_LOCK

    c = duckdb.connect()
    for statement in _READ_ONLY_LOCK:
        c.execute(statement)
    script = "COPY (select 1) TO 'x.parquet';\nset threads = 1;\nselect 41 + 1 as answer;\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))
    out: list[str] = []
    shell(c, [], out.append)
    errors = [o for o in out if o.startswith("Error:")]
    assert len(errors) == 2 and all("nba-lake sql is read-only" in e and "\n" not in e for e in errors)
    assert "settings are locked" in errors[1]


def test_error_text_keeps_every_line(con):
    with pytest.raises(duckdb.Error) as exc:
        con.sql("select * from analytics.game")
    assert error_text(exc.value).splitlines()[1].startswith("Did you mean")


def test_help_shows_debug_as_a_flag():
    from typer.testing import CliRunner

    from nba_assets.cli import commands as cli

    out = CliRunner().invoke(cli.app, ["--help"]).output
    assert "--debug" in out and "<bool>" not in out


def test_the_cli_imports_no_dagster_until_a_command_needs_it():
    """Importing the CLI (every command registered) and reading the lake's catalog load no Dagster,
    pandera, polars or LightGBM: `nba-lake sql` never needs them, `status` needs Dagster only for the
    instance (docs/architecture.md, "CLI latency")."""
    code = (
        "import sys\n"
        "import nba_assets.cli.commands, nba_assets.cli.sql_shell, nba_assets.tables, resources.lake_reader, "
        "resources.settings\n"
        "print(' '.join(m for m in ('dagster', 'pandera', 'polars', 'pandas', 'lightgbm', 'matplotlib') "
        "if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert res.stdout.strip() == ""


def test_trace_reads_the_lake_without_dagster_or_the_model_code():
    """`nba-lake trace` reads Parquet files and the landing manifest: it needs polars, not Dagster
    (the partitions), pandera (the contracts) or LightGBM/matplotlib (the model behind a system id)."""
    code = (
        "import sys\n"
        "import nba_assets.cli.trace, nba_assets.cli.trace_view\n"
        "print(' '.join(m for m in ('dagster', 'pandera', 'lightgbm', 'matplotlib') if m in sys.modules))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert res.stdout.strip() == ""

