"""LakeReader: DuckDB views over the Parquet lake, lock-free reads, the BI file, single partitions."""

import datetime as dt
import logging
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pytest
from upath import UPath

from io_managers.lake import parquet_bytes, write_parquet_atomic
from nba_assets import tables
from resources.lake import LakeReader, LakeResource

REPO = Path(__file__).resolve().parents[2]
ROWS_PER_DAY = 4


def day_frame(d: dt.date, version: int = 0, extra: bool = False) -> pl.DataFrame:
    df = pl.DataFrame(
        {
            "game_date": [d] * ROWS_PER_DAY,
            "player_lookup": [f"p{i}" for i in range(ROWS_PER_DAY)],
            "points": [d.day + i + version for i in range(ROWS_PER_DAY)],
        }
    )
    return df.with_columns(pl.lit("ok").alias("status")) if extra else df


def write_day(data_dir: Path, table: str, d: dt.date, **kw) -> Path:
    layer, name = table.split(".")
    folder = data_dir / "lake" / layer / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{d}.parquet"
    write_parquet_atomic(day_frame(d, **kw), path)
    return path


DAYS = [dt.date(2024, 10, 22) + dt.timedelta(days=i) for i in range(5)]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    for d in DAYS:
        write_day(tmp_path, tables.BDL_BOXSCORES.view, d)
    return tmp_path


def test_views_over_partitions_see_every_row_once(lake: Path) -> None:
    # Re-writing a day replaces it: still one copy of its rows.
    write_day(lake, tables.BDL_BOXSCORES.view, DAYS[2], version=50)
    reader = LakeReader(lake)
    assert reader.tables() == [tables.BDL_BOXSCORES.view]
    per_day = reader.query(
        "select game_date, count(*) as n, max(points) as top from raw.bdl_boxscores group by 1 order by 1"
    )
    assert per_day.get_column("game_date").to_list() == DAYS
    assert per_day.get_column("n").to_list() == [ROWS_PER_DAY] * len(DAYS)
    assert per_day.get_column("top").to_list()[2] == DAYS[2].day + ROWS_PER_DAY - 1 + 50
    dupes = reader.query(
        "select game_date, player_lookup from raw.bdl_boxscores group by all having count(*) > 1"
    )
    assert dupes.height == 0


def test_union_by_name_with_an_added_column(lake: Path) -> None:
    # A later partition gains a column (and lists it last): older days read it as null.
    write_day(lake, tables.BDL_BOXSCORES.view, dt.date(2024, 10, 27), extra=True)
    out = LakeReader(lake).query(
        "select game_date, count(*) as n, count(status) as with_status from raw.bdl_boxscores "
        "group by 1 order by 1"
    )
    assert out.height == len(DAYS) + 1
    assert out.get_column("with_status").to_list() == [0] * len(DAYS) + [ROWS_PER_DAY]


def test_tables_views_for_unpartitioned_files_and_ignores_temp_files(lake: Path) -> None:
    report_dir = lake / "lake" / "grading"
    report_dir.mkdir(parents=True)
    report = pl.DataFrame({"system_id": ["lgbm"], "roi": [0.03]})
    write_parquet_atomic(report, report_dir / "season_report.parquet")
    # A writer's in-flight temp file and a table folder holding only one must not become data.
    (lake / "lake" / "raw" / "bdl_boxscores" / ".2024-10-30.parquet.abc.tmp").write_bytes(b"partial")
    pending = lake / "lake" / "raw" / "prop_lines"
    pending.mkdir()
    (pending / ".2024-10-22.parquet.abc.tmp").write_bytes(b"partial")
    reader = LakeReader(lake)
    assert reader.tables() == [tables.SEASON_REPORT.view, tables.BDL_BOXSCORES.view]
    assert reader.query("select roi from grading.season_report").item() == 0.03
    assert reader.query("select count(*) from raw.bdl_boxscores").item() == ROWS_PER_DAY * len(DAYS)
    assert LakeReader(lake / "nowhere").tables() == []


def test_a_corrupt_table_does_not_break_the_others(lake: Path, caplog: pytest.LogCaptureFixture) -> None:
    broken = lake / "lake" / "raw" / "prop_lines"
    broken.mkdir()
    (broken / "2024-10-22.parquet").write_bytes(b"not parquet at all")
    reader = LakeReader(lake)
    assert reader.query("select count(*) from raw.bdl_boxscores").item() == ROWS_PER_DAY * len(DAYS)
    with caplog.at_level(logging.WARNING, logger="resources.lake_reader"):
        con = reader.connect()
    assert con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0] == ROWS_PER_DAY * len(DAYS)
    assert any(tables.PROP_LINES.view in r.getMessage() for r in caplog.records)
    with pytest.raises(duckdb.Error):
        reader.query("select * from raw.prop_lines")


def test_new_files_are_visible_to_an_open_connection(lake: Path) -> None:
    con = LakeReader(lake).connect()
    before = con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0]
    write_day(lake, tables.BDL_BOXSCORES.view, dt.date(2024, 11, 1))
    after = con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0]
    assert after - before == ROWS_PER_DAY


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    import duckdb, polars as pl
    sys.path.insert(0, {repo!r})
    from io_managers.lake import write_parquet_atomic
    data_dir = Path({data_dir!r})
    folder = data_dir / "lake" / "raw" / "bdl_boxscores"
    # Hold a read-write DuckDB file open the whole time, as a writer process would.
    con = duckdb.connect(str(data_dir / "lake.duckdb"))
    con.execute("create table if not exists busy as select 1 as x")
    print("ready", flush=True)
    deadline = time.monotonic() + {seconds}
    i = 0
    while time.monotonic() < deadline:
        d = dt.date(2024, 10, 22) + dt.timedelta(days=i % 40)
        df = pl.DataFrame({{"game_date": [d] * {rows}, "player_lookup": [f"p{{k}}" for k in range({rows})],
                           "points": [i] * {rows}}})
        write_parquet_atomic(df, folder / f"{{d}}.parquet")
        i += 1
    print("wrote", i, flush=True)
    """
)


def test_reads_while_another_process_writes(lake: Path) -> None:
    script = WRITER.format(repo=str(REPO), data_dir=str(lake), seconds=2.0, rows=ROWS_PER_DAY)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        reader = LakeReader(lake)
        counts = []
        while proc.poll() is None:
            n = reader.query("select count(*) as n from raw.bdl_boxscores").item()
            counts.append(n)
            time.sleep(0.02)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert int(out.split()[-1]) > 10  # the writer really was replacing files during the reads
    assert len(counts) >= 3
    # Only whole files are ever seen: every count is a multiple of a day's rows, never a torn file.
    assert all(n % ROWS_PER_DAY == 0 for n in counts)
    assert counts == sorted(counts)  # days are only added or replaced, never lost mid-read
    days, rows = LakeReader(lake).query(
        "select count(distinct game_date), count(*) from raw.bdl_boxscores"
    ).row(0)
    assert rows == days * ROWS_PER_DAY


def test_write_duckdb_file_is_queryable_from_another_connection(lake: Path, tmp_path: Path) -> None:
    path = LakeReader(lake).write_duckdb_file(tmp_path / "bi" / "lake.duckdb")
    assert path.exists()
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0] == ROWS_PER_DAY * len(DAYS)
        # The file holds views, not copies: a day written later shows up.
        write_day(lake, tables.BDL_BOXSCORES.view, dt.date(2024, 11, 2))
        assert con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0] == ROWS_PER_DAY * (
            len(DAYS) + 1
        )
    finally:
        con.close()
    # Re-generating replaces the file (a new table appears), leaving no temp files behind.
    write_day(lake, tables.PLAYER_GAME_SUMMARY.view, DAYS[0])
    LakeReader(lake).write_duckdb_file(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("select count(*) from analytics.player_game_summary").fetchone()[0] == ROWS_PER_DAY
    finally:
        con.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["lake.duckdb"]


def test_partition_reads_one_day_or_a_typed_empty_frame(lake: Path) -> None:
    reader = LakeReader(lake)
    day = reader.partition(tables.BDL_BOXSCORES.view, DAYS[1])
    assert day.height == ROWS_PER_DAY and day.get_column("game_date").unique().to_list() == [DAYS[1]]
    assert reader.partition(tables.BDL_BOXSCORES.label, str(DAYS[1])).equals(day)
    missing = reader.partition(tables.BDL_BOXSCORES.view, "2025-01-01")
    assert missing.height == 0 and missing.schema == day.schema
    # No file at all: the table's contract gives the schema.
    schedule = reader.partition(tables.SCHEDULE.view, "2025-01-01")
    assert schedule.height == 0 and {"game_id", "home_team", "tipoff_utc"} <= set(schedule.columns)
    assert reader.partition("raw.not_a_table", "2025-01-01").width == 0
    with pytest.raises(ValueError, match="layer.table"):
        reader.partition("bdl_boxscores", "2025-01-01")


def test_resource_and_remote_lake_paths() -> None:
    # memory:// stands in for gs://: same fsspec registration and protocol://bucket/key paths.
    base = f"memory://lake-{uuid.uuid4().hex}"
    for d in DAYS[:2]:
        write_parquet_atomic(day_frame(d), UPath(base) / "lake" / "raw" / "bdl_boxscores" / f"{d}.parquet")
    reader = LakeResource(data_dir=base).reader()
    assert isinstance(reader, LakeReader) and reader.data_dir == base
    assert reader.tables() == [tables.BDL_BOXSCORES.view]
    assert reader.query("select count(*) from raw.bdl_boxscores").item() == 2 * ROWS_PER_DAY
    assert reader.partition(tables.BDL_BOXSCORES.view, DAYS[1]).height == ROWS_PER_DAY


def test_the_lake_file_helpers_tell_local_from_object_store_and_read_both() -> None:
    from resources.files import is_local, read_parquet

    assert [is_local(p) for p in (Path("/tmp/x"), UPath("/tmp/x"), UPath("memory://bucket/x"))] == [
        True, True, False,
    ]
    frame = pl.DataFrame({"game_date": ["2025-12-01"], "pts": [31]})
    remote = UPath("memory://bucket/lake/t/2025-12-01.parquet")
    remote.write_bytes(parquet_bytes(frame))
    assert read_parquet(remote).equals(frame)


def test_sql_one_shot_creates_only_the_views_it_names(lake: Path) -> None:
    from nba_assets.cli import sql_shell

    reader = LakeReader(lake)
    created: list = []
    real_connect = reader.connect

    def connect(only=None):
        created.append(None if only is None else sorted(only))
        return real_connect(only=only)

    reader.connect = connect  # type: ignore[method-assign]
    sql_shell.one_shot(reader, "select 1")
    sql_shell.one_shot(reader, "select count(*) from raw.bdl_boxscores")
    sql_shell.one_shot(reader, "show tables")
    assert created == [[], [tables.BDL_BOXSCORES.view], None]
    # A failing statement is re-run on every view: DuckDB's error (and its suggestion) is the full catalog's.
    with pytest.raises(duckdb.CatalogException, match="bdl_boxscores"):
        sql_shell.one_shot(reader, "select * from raw.bdl_boxscore")
    assert created[-2:] == [[], None]


def test_rows_of_a_window_from_its_day_files_only(lake: Path) -> None:
    reader = LakeReader(lake)
    lo, hi = DAYS[1], DAYS[-1]
    full = reader.rows(tables.BDL_BOXSCORES, since=lo, before=hi)
    narrow = reader.rows(tables.BDL_BOXSCORES, since=lo, before=hi, window_files=True)
    assert narrow.height == (len(DAYS) - 2) * ROWS_PER_DAY
    assert narrow.sort("game_date", "player_lookup").equals(full.sort("game_date", "player_lookup"))
    # No file in the window: the same (empty, typed) result as the view gives.
    far = dt.date(2030, 1, 1)
    assert reader.rows(tables.BDL_BOXSCORES, since=far, before=far + dt.timedelta(days=3), window_files=True).equals(
        reader.rows(tables.BDL_BOXSCORES, since=far, before=far + dt.timedelta(days=3)))


def test_days_lists_a_tables_day_files_only(lake: Path) -> None:
    reader = LakeReader(lake)
    folder = lake / "lake" / "raw" / "bdl_boxscores"
    (folder / f".{DAYS[0]}.parquet.tmp-123").write_bytes(b"half")  # a writer's temp file
    (folder / "notes.parquet").write_bytes(b"x")  # not a day
    (folder / f"{DAYS[1]}.json").write_text("{}")
    assert reader.days(tables.BDL_BOXSCORES) == DAYS
    assert reader.days(tables.PROP_LINES) == []  # no folder yet


def test_rows_of_only_some_columns(lake: Path) -> None:
    reader = LakeReader(lake)
    lo, hi = DAYS[1], DAYS[-1]
    full = reader.rows(tables.BDL_BOXSCORES)
    assert reader.rows(tables.BDL_BOXSCORES, columns=["points", "game_date"]).equals(full.select("points", "game_date"))
    window = reader.rows(tables.BDL_BOXSCORES, since=lo, before=hi, window_files=True, columns=["player_lookup"])
    assert window.equals(reader.rows(tables.BDL_BOXSCORES, since=lo, before=hi).select("player_lookup"))
    # No file yet: the contract's typed empty frame, those columns only.
    assert reader.rows(tables.PROP_LINES, columns=["line", "player_lookup"]).equals(
        tables.PROP_LINES.empty().select("line", "player_lookup"))
    with pytest.raises(duckdb.BinderException, match="no_such_column"):
        reader.rows(tables.BDL_BOXSCORES, columns=["no_such_column"])
    with pytest.raises(ValueError, match="raw.bdl_boxscores: columns, when given, must name at least one"):
        reader.rows(tables.BDL_BOXSCORES, columns=[])


@pytest.mark.parametrize("sql", [
    "select * from range(3) t(i) where false",  # no rows: the schema still comes through
    "select [1, 2] as l, {'x': 1} as s, 1.5::decimal(10, 2) as d, 'a' as v, DATE '2025-01-02' as day, "
    "TIMESTAMP '2025-01-01 10:00' as ts, TIMESTAMPTZ '2025-01-01 10:00+00' as tz, NULL as n, 3::tinyint as ti, "
    "'x'::blob as b, TIME '10:00' as t, map([1], [2]) as m, 3::uinteger as ui, 'a'::enum('a', 'b') as e, "
    "'nan'::double as f",
])
def test_results_reach_polars_as_duckdb_own_conversion_gives_them(sql: str) -> None:
    from resources.lake_reader import to_polars

    con = duckdb.connect()
    got, want = to_polars(con.sql(sql)), con.sql(sql).pl()
    assert got.schema == want.schema
    assert got.equals(want, null_equal=True)


def test_an_interval_result_is_polars_clean_error_not_a_panic() -> None:
    # Polars imports no Arrow interval: through the C stream it panics, through rel.pl() it says so.
    from resources.lake_reader import to_polars

    with pytest.raises(pl.exceptions.ComputeError, match="interval"):
        to_polars(duckdb.connect().sql("select INTERVAL 1 day as iv"))


def test_a_query_does_not_import_pyarrow(lake: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        from resources.lake_reader import LakeReader
        df = LakeReader({str(lake)!r}).query("select count(*) as n from raw.bdl_boxscores")
        assert df["n"][0] == {ROWS_PER_DAY * len(DAYS)}, df
        print("pyarrow" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


# ------------------------------------------------------------------------------------ read-only
def writing_statements(target: str, outside: str) -> list[str]:
    """Statements that would change a file: `target` is a day file of the lake as the user may spell
    it, `outside` a folder outside the lake."""
    return [
        f"COPY (select 1 as oops) TO '{target}'",
        f"copy (select 1 as oops) to '{target}' (format parquet, overwrite true)",
        "COPY (select 1 as oops) TO 'lake://raw/bdl_boxscores/2024-10-22.parquet'",
        "COPY (select 1 as oops) TO 'lake://raw/bdl_boxscores/2030-01-01.parquet'",
        f"COPY (select 1 as oops) TO '{outside}/x.parquet'",
        f"ATTACH '{outside}/x.duckdb' AS x",
        f"EXPORT DATABASE '{outside}/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        f"LOAD '{outside}/evil.duckdb_extension'",
        "SET disabled_filesystems = ''",
        "SET lock_configuration = false",
        "SET autoload_known_extensions = true",
        f"SET profiling_output = '{outside}/profile.json'",
    ]


def assert_connection_writes_nothing(reader: LakeReader, target: str, outside: str, files: dict) -> None:
    """Every writing statement fails in the engine itself (no CLI filter in front) and `files`
    ({name: bytes before}) are unchanged; reading and in-memory tables still work."""
    con = reader.connect()
    before = con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0]
    for statement in writing_statements(target, outside):
        with pytest.raises(duckdb.Error):
            con.execute(statement)
    con.execute("create table scratch as select count(*) as n from raw.bdl_boxscores")  # in memory
    assert con.execute("select n from scratch").fetchone()[0] == before
    assert con.execute("select count(*) from raw.bdl_boxscores").fetchone()[0] == before
    for name, data in files.items():
        assert name() == data


def test_the_read_only_connection_cannot_write_a_file(lake: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    day = lake / "lake" / "raw" / "bdl_boxscores" / f"{DAYS[0]}.parquet"
    before = sorted(p.relative_to(lake) for p in lake.rglob("*"))
    assert_connection_writes_nothing(LakeReader(lake), str(day), str(outside), {day.read_bytes: day.read_bytes()})
    assert sorted(p.relative_to(lake) for p in lake.rglob("*")) == before
    assert list(outside.iterdir()) == []
    # The pipeline's own reads (query/rows) are not limited.
    assert LakeReader(lake).query("select count(*) from raw.bdl_boxscores").item() == ROWS_PER_DAY * len(DAYS)


def test_the_read_only_file_system_refuses_every_change(lake: Path) -> None:
    from fsspec.implementations.local import LocalFileSystem

    from resources.lake_reader import read_only_filesystem

    local = read_only_filesystem(str(lake / "lake"), LocalFileSystem(), local=True)
    generic = read_only_filesystem(str(lake / "lake"), LocalFileSystem())
    day = f"raw/bdl_boxscores/{DAYS[0]}.parquet"
    data = (lake / "lake" / day).read_bytes()
    for fs in (local, generic):
        assert fs.cat_file(day) == data
        with fs.open(day, "rb") as fh:
            fh.seek(-8, 2)
            assert fh.read() == data[-8:]
        assert fs.info(day)["size"] == len(data) and fs.info(day)["type"] == "file"
        assert fs.modified(day).timestamp() == pytest.approx((lake / "lake" / day).stat().st_mtime)
        _refuses_every_change(fs, day)
    assert (lake / "lake" / day).read_bytes() == data


def _refuses_every_change(fs, day: str) -> None:
    assert len(fs.glob("raw/bdl_boxscores/*.parquet")) == len(DAYS)
    for call in (lambda: fs.open(day, "wb"), lambda: fs.open(day, mode="ab"), lambda: fs.rm(day),
                 lambda: fs.rm_file(day), lambda: fs.mv(day, "raw/x.parquet"), lambda: fs.pipe_file(day, b"x"),
                 lambda: fs.touch("raw/new"), lambda: fs.mkdir("raw/new"), lambda: fs.makedirs("raw/new"),
                 lambda: fs.cp_file(day, "raw/y.parquet"), lambda: fs.put_file(day, "raw/z.parquet"),
                 lambda: fs.write_bytes(day, b"x")):
        with pytest.raises(PermissionError, match="read-only"):
            call()
