"""The row-count check's trailing history read through the real DuckDB LakeReader on a tmp lake."""

import datetime as dt

import polars as pl

from checks.anomaly import counts_by_game, row_count_anomaly
from checks.definitions import HISTORY_CALENDAR_DAYS, trailing_counts
from nba_assets import tables
from resources.lake import LakeReader

DAY = dt.date(2026, 1, 20)


def _write_day(root, d: dt.date, rows_per_game: dict[str, int]) -> None:
    folder = root / "lake" / "raw" / "bdl_boxscores"
    folder.mkdir(parents=True, exist_ok=True)
    ids = [g for g, n in rows_per_game.items() for _ in range(n)]
    pl.DataFrame({"game_date": [d] * len(ids), "source_game_id": ids}).write_parquet(folder / f"{d}.parquet")


def test_trailing_counts_reads_only_days_before_and_within_the_window(tmp_path):
    for i in range(1, 9):
        _write_day(tmp_path, DAY - dt.timedelta(days=i), {f"g{i}a": 30, f"g{i}b": 28})
    _write_day(tmp_path, DAY, {"today": 99})  # the evaluated day itself must not be its own baseline
    _write_day(tmp_path, DAY - dt.timedelta(days=HISTORY_CALENDAR_DAYS + 1), {"old": 5})
    got = trailing_counts(LakeReader(tmp_path), tables.BDL_BOXSCORES, "source_game_id", DAY)
    assert got.height == 16 and set(got["n_rows"].to_list()) == {28, 30}
    assert got["game_date"].max() == DAY - dt.timedelta(days=1)


def test_trailing_history_flags_a_truncated_game(tmp_path):
    for i in range(1, 9):
        _write_day(tmp_path, DAY - dt.timedelta(days=i), {f"g{i}a": 30, f"g{i}b": 28})
    today = pl.DataFrame({"game_date": [DAY] * 33, "source_game_id": ["x"] * 29 + ["y"] * 4})
    hist = trailing_counts(LakeReader(tmp_path), tables.BDL_BOXSCORES, "source_game_id", DAY)
    res = row_count_anomaly(pl.concat([hist, counts_by_game(today, "source_game_id")]), DAY)
    assert not res.passed and res.offending["game"].to_list() == ["y"]


def test_trailing_counts_without_the_table_is_empty(tmp_path):
    got = trailing_counts(LakeReader(tmp_path), tables.PROP_LINES, "event_id", DAY)
    assert got.height == 0 and got.columns == ["game_date", "game", "n_rows"]


def test_trailing_counts_read_only_the_windows_files_and_count_as_the_view_does(tmp_path):
    folder = tmp_path / "lake" / "raw" / "bdl_boxscores"
    for i in range(1, 9):
        d = DAY - dt.timedelta(days=i)
        folder.mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"game_date": [d] * 5, "source_game_id": [100 + i] * 3 + [200 + i] * 2}).write_parquet(
            folder / f"{d}.parquet")
    reader = LakeReader(tmp_path)
    got = trailing_counts(reader, tables.BDL_BOXSCORES, "source_game_id", DAY)
    start = DAY - dt.timedelta(days=HISTORY_CALENDAR_DAYS)
    by_view = reader.query(
        f"select game_date, cast(source_game_id as varchar) as game, count(*) as n_rows from raw.bdl_boxscores "
        f"where game_date >= DATE '{start}' and game_date < DATE '{DAY}' group by 1, 2 order by 1, 2"
    ).with_columns(pl.col("n_rows").cast(pl.Int64))
    assert got.equals(by_view) and got["game"][0] == "108"
    # A day outside the window is never opened (a view over the table would read every file's footer).
    (folder / f"{DAY - dt.timedelta(days=HISTORY_CALENDAR_DAYS + 3)}.parquet").write_bytes(b"not parquet")
    assert trailing_counts(reader, tables.BDL_BOXSCORES, "source_game_id", DAY).equals(got)
