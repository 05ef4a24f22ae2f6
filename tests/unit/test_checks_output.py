"""`nba-lake checks`' output: whole offending records and whole values, wrapped and never cut, at any
width (a terminal's, or the fixed width of piped output); the default day is the latest game day."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
from rich.console import Console

from checks.result import markdown_table
from io_managers.lake import write_parquet_atomic
from nba_assets import tables
from nba_assets.cli.check_history import CheckRow, markdown_records, record_text
from nba_assets.cli.commands import common
from nba_assets.cli.commands.checks import details, latest_game_day, overview
from resources.parsers import REJECT_SCHEMA

RULE = ("minutes must be 'MM' or 'MM:SS' with MM between 0 and 70; got a value that is neither, so the whole "
        "line is rejected and the other lines of the game are kept (the bdl stats page landed as "
        "521ad244bdd2a394.json, re-parsed on every run until the source corrects it)")
LONG_VALUE = "x" * 40 + " " + " ".join(f"word{i}" for i in range(120))


def _rejects() -> pl.DataFrame:
    rows = [{"source": "bdl", "endpoint": "stats", "landing_file": "521ad244bdd2a394.json",
             "game_date": dt.date(2025, 12, 25), "source_game_id": "17008129",
             "player": f"Nikola Đurišić | #{i}", "field": "min", "value": None if i else "abc", "rule": RULE}
            for i in range(7)]
    return pl.DataFrame(rows, schema=REJECT_SCHEMA, orient="row")


def _row(description: str = "7 record(s) rejected by the parser") -> CheckRow:
    return CheckRow(
        asset=tables.BDL_BOXSCORES.label, check="no_rejected_records", status="failed", severity="ERROR",
        scope="range 2025-12-08..2025-12-31", run_id="796badb8aaaa", timestamp=1.8e9, description=description,
        metadata={"rejects_count": 7, "rejects": markdown_table(_rejects(), max_rows=6), "failing_dates": "2025-12-25",
                  "long_note": LONG_VALUE},
    )


def _printed(parts, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    for part in parts:
        console.print(part, soft_wrap=True)
    return console.file.getvalue()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_markdown_records_read_the_tables_checks_write():
    columns, rows, notes = markdown_records(markdown_table(_rejects(), max_rows=6))
    assert columns == list(REJECT_SCHEMA)
    assert len(rows) == 6 and notes == ["1 more row(s) not shown"]
    assert rows[0][columns.index("player")] == "Nikola Đurišić | #0"  # an escaped pipe stays in its cell
    assert rows[1][columns.index("value")] == ""  # null
    assert rows[0][columns.index("rule")] == RULE
    assert record_text(["player", "value"], ["A", ""]) == "player: A · value: (empty)"
    for not_a_table in ("", "plain text", "| just one line |", "a | b\n---"):
        assert markdown_records(not_a_table) is None


@pytest.mark.parametrize("width", [60, 80, 130])
def test_a_failed_checks_records_and_values_are_whole_at_every_width(width):
    out = _printed(details(_row(), rows=5, width=width), width)
    assert max(len(line) for line in out.splitlines()) <= width
    flat = _flat(out)
    # each shown record whole: every field, the player with his pipe, the whole rule
    for i in range(5):
        record = record_text(list(REJECT_SCHEMA), [
            "bdl", "stats", "521ad244bdd2a394.json", "2025-12-25", "17008129", f"Nikola Đurišić | #{i}", "min",
            "" if i else "abc", RULE])
        assert f"{i + 1}. {record}" in flat
    assert "Nikola Đurišić | #5" not in flat and "… 1 more (--rows 6 shows them" in flat
    assert "1 more row(s) not shown" in flat  # the check's own note: its sample holds 6 of 7
    assert _flat(f"long_note: {LONG_VALUE}") in flat  # no value is cut at 200 characters
    assert "rejects_count: 7" in flat and "failing_dates: 2025-12-25" in flat


def test_rows_zero_names_the_records_without_printing_them():
    flat = _flat(_printed(details(_row(), rows=0, width=130), 130))
    assert "rejects: 6 record(s) (--rows 0 hides them)" in flat and RULE[:40] not in flat


@pytest.mark.parametrize("width", [40, 80, 130, 200])
def test_the_overview_never_cuts_a_summary(width):
    summary = "1 of 13 slate game(s) short of props: " + " ".join(f"game{i} (MEM @ POR)" for i in range(30))
    rows = [_row(summary), _row("every record parsed")]
    out = _printed(overview("checks for 2025-12-25", rows, width), width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    # whether as a table (the summary wrapped in its cell) or as paragraphs, every word is there
    words = set(out.replace("│", " ").split())
    assert set(summary.split()) <= words
    for whole in ("raw/bdl_boxscores", "no_rejected_records", "FAILED", "ERROR", "2025-12-08..2025-12-31"):
        assert whole in out


def test_the_default_day_is_the_latest_game_day_up_to_today(tmp_path):
    folder = tmp_path / "lake" / "raw" / "schedule"
    folder.mkdir(parents=True)
    games = pl.DataFrame({"game_date": [dt.date(2025, 12, 25)], "game_id": ["0022500450"]})
    for day, frame in (("2025-12-24", games.head(0)), ("2025-12-25", games), ("2025-12-26", games.head(0)),
                       ("2025-12-28", games)):
        write_parquet_atomic(frame, folder / f"{day}.parquet")
    (folder / ".2025-12-27.parquet.1.abcdef0123.tmp").write_bytes(b"partial")
    assert latest_game_day(str(tmp_path), dt.date(2025, 12, 27)) == dt.date(2025, 12, 25)
    assert latest_game_day(str(tmp_path), dt.date(2025, 12, 28)) == dt.date(2025, 12, 28)
    with pytest.raises(common.CliError, match="no game day up to 2025-12-24"):
        latest_game_day(str(tmp_path), dt.date(2025, 12, 24))
    with pytest.raises(common.CliError, match="no game day"):
        latest_game_day(str(tmp_path / "nowhere"), dt.date(2025, 12, 28))
