"""The Parquet lake IO manager under dg.materialize on a tmp lake: layout, ranges, idempotence, atomicity."""

import datetime as dt
import hashlib
import io
import logging
import os
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from upath import UPath

import io_managers.lake as lake_module
from io_managers.lake import (
    ParquetLakeIOManager,
    PartitionMismatchError,
    compress_key_ranges,
    markdown_preview,
    partition_bounds,
    read_partitions,
    split_by_partition,
)
from nba_assets import tables
from nba_assets.partitions import TIMEZONE

# Same shape as nba_assets.partitions.game_dates (kept local: io_managers must not depend on nba_assets).
daily = dg.DailyPartitionsDefinition(
    start_date="2024-10-22", timezone=TIMEZONE, end_offset=1, fmt="%Y-%m-%d"
)
weekly = dg.WeeklyPartitionsDefinition(
    start_date="2024-10-21", timezone=TIMEZONE, day_offset=1, end_offset=1, fmt="%Y-%m-%d"
)
RANGE = {
    "dagster/asset_partition_range_start": "2024-10-22",
    "dagster/asset_partition_range_end": "2024-10-28",
}
PLAYERS = ["ann", "bob", "cyd"]


class BoxConfig(dg.Config):
    empty_days: list[str] = []  # off-days: no rows
    outside_days: int = 0  # != 0 adds a row dated this many days after the run's last day
    version: int = 0  # changes the values, so a re-run must replace the file
    down_days: list[str] = []  # days whose source was down (the raw assets' `source_unavailable`)


@dg.asset(
    key=["raw", "box"],
    partitions_def=daily,
    metadata={"partition_expr": "game_date"},
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def box(context: dg.AssetExecutionContext, config: BoxConfig):
    rows = []
    for key in context.partition_keys:
        if key in config.empty_days:
            continue
        d = dt.date.fromisoformat(key)
        rows += [
            {"game_date": d, "player": p, "pts": d.day + i + config.version} for i, p in enumerate(PLAYERS)
        ]
    if config.outside_days:
        last = dt.date.fromisoformat(context.partition_keys[-1])
        rows.append({"game_date": last + dt.timedelta(days=config.outside_days), "player": "zed", "pts": 1})
    frame = pl.DataFrame(rows, schema={"game_date": pl.Date, "player": pl.Utf8, "pts": pl.Int64})
    return dg.Output(frame, metadata={"source_unavailable": dg.MetadataValue.json(
        {d: "HTTP 503 on every attempt" for d in config.down_days})})


@dg.asset(
    key=["features", "window"],
    partitions_def=daily,
    metadata={"partition_expr": "game_date"},
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={
        "box": dg.AssetIn(
            key=["raw", "box"], partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-2, end_offset=0)
        )
    },
)
def window(context: dg.AssetExecutionContext, box: pl.DataFrame) -> pl.DataFrame:
    """One row per day: what the 3-day window input held, in the order it arrived."""
    return pl.DataFrame(
        {
            "game_date": [dt.date.fromisoformat(k) for k in context.partition_keys],
            "input_rows": box.height,
            "input_dates": ",".join(str(d) for d in box.get_column("game_date").unique(maintain_order=True)),
            "input_columns": ",".join(box.columns),
        }
    )


@dg.asset(key=["grading", "season"], ins={"box": dg.AssetIn(key=["raw", "box"])})
def season(box: pl.DataFrame) -> pl.DataFrame:
    """Unpartitioned downstream of a partitioned table: must see every stored day."""
    return box.group_by("game_date").len().sort("game_date")


ASSETS = [box, window, season]


# ------------------------------------------------------------------------------------ helpers
@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="module")
def inst() -> dg.DagsterInstance:
    # One instance for the module: creating one costs ~1 s on the shared CI box, and every test
    # uses its own tmp lake, so run history is the only thing shared.
    return dg.DagsterInstance.ephemeral()


def run(
    inst: dg.DagsterInstance,
    base: str | Path,
    select,
    partition_key=None,
    tags=None,
    box_config: BoxConfig | None = None,
):
    box_run_config = {"raw__box": {"config": (box_config or BoxConfig()).model_dump()}}
    run_config = {"ops": box_run_config} if box in select else None
    return dg.materialize(
        ASSETS,
        selection=select,
        partition_key=partition_key,
        tags=tags,
        run_config=run_config,
        resources={"io_manager": ParquetLakeIOManager(base_dir=str(base))},
        instance=inst,
        raise_on_error=False,
    )


def box_file(base: Path, day: str) -> Path:
    return base / "lake" / "raw" / "box" / f"{day}.parquet"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    parts = []
    for ev in result.get_step_failure_events():
        err = ev.step_failure_data.error
        while err is not None:
            parts.append(err.message)
            err = err.cause
    return "\n".join(parts)


def warnings_of(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]


def window_row(result: dg.ExecuteInProcessResult, day: str) -> dict:
    out = result.output_for_node("features__window")
    return out.filter(pl.col("game_date") == dt.date.fromisoformat(day)).to_dicts()[0]


# ------------------------------------------------------------------------------------ one partition
def test_one_day_write_read_and_metadata(inst: dg.DagsterInstance, lake: Path) -> None:
    r = run(inst, lake, [box], "2024-10-23")
    assert r.success
    path = box_file(lake, "2024-10-23")
    assert sorted(p.name for p in path.parent.iterdir()) == ["2024-10-23.parquet"]
    stored = pl.read_parquet(path)
    assert stored.schema == pl.Schema({"game_date": pl.Date, "player": pl.Utf8, "pts": pl.Int64})
    assert stored.get_column("player").to_list() == PLAYERS
    meta = r.get_asset_materialization_events()[0].materialization.metadata
    assert meta["dagster/row_count"].value == 3
    assert [c.name for c in meta["dagster/column_schema"].value.columns] == ["game_date", "player", "pts"]
    assert meta["path"].value == str(path)
    assert "| game_date | player | pts |" in meta["preview"].value and "ann" in meta["preview"].value

    r2 = run(inst, lake, [window], "2024-10-23")
    assert r2.success
    # 10-22 (clipped window start) was never written: the load logs it and goes on.
    assert window_row(r2, "2024-10-23") == {
        "game_date": dt.date(2024, 10, 23),
        "input_rows": 3,
        "input_dates": "2024-10-23",
        "input_columns": "game_date,player,pts",
    }
    assert any("2024-10-22" in w for w in warnings_of(r2, inst))


def test_rerun_of_a_partition_is_byte_identical_and_replaces(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], "2024-10-23").success
    first = sha(box_file(lake, "2024-10-23"))
    assert run(inst, lake, [box], "2024-10-23").success
    assert sha(box_file(lake, "2024-10-23")) == first
    # A changed frame replaces the file: one copy of each row, never appended.
    assert run(inst, lake, [box], "2024-10-23", box_config=BoxConfig(version=100)).success
    stored = pl.read_parquet(box_file(lake, "2024-10-23"))
    assert stored.height == 3 and stored.get_column("pts").min() >= 100
    assert [p.name for p in box_file(lake, "2024-10-23").parent.iterdir()] == ["2024-10-23.parquet"]


# ------------------------------------------------------------------------------------ ranges
def test_single_run_range_equals_seven_daily_runs(inst: dg.DagsterInstance, tmp_path: Path) -> None:
    ranged, daily_lake = tmp_path / "ranged", tmp_path / "daily"
    r = run(inst, ranged, [box], tags=RANGE)
    assert r.success
    days = [f"2024-10-{d}" for d in range(22, 29)]
    for day in days:
        assert run(inst, daily_lake, [box], day).success
    for day in days:
        a, b = pl.read_parquet(box_file(ranged, day)), pl.read_parquet(box_file(daily_lake, day))
        assert_frame_equal(a, b)
        assert a.get_column("game_date").unique().to_list() == [dt.date.fromisoformat(day)]
        assert sha(box_file(ranged, day)) == sha(box_file(daily_lake, day))
    assert sorted(p.stem for p in (ranged / "lake" / "raw" / "box").iterdir()) == days
    events = r.get_asset_materialization_events()
    assert sorted(e.partition for e in events) == days  # one materialization per day
    # Each day's materialization carries THAT day's row count, file and preview; the range's total is
    # named as such, on its last day.
    for e in events:
        meta = e.materialization.metadata
        assert meta["dagster/row_count"].value == pl.read_parquet(box_file(ranged, e.partition)).height == 3
        assert meta["path"].value == str(box_file(ranged, e.partition))
        assert f"| {e.partition} |" in meta["preview"].value
        assert meta["range_row_count"].value == 21 if e.partition == days[-1] else "range_row_count" not in meta
        assert "rows_by_partition" not in meta  # each day has its own row count: no days² map
        # The schema once per range, on its last day (the same for every day; the definition has it too).
        has_schema = "dagster/column_schema" in meta
        assert has_schema == (e.partition == days[-1]), e.partition
        if has_schema:
            assert [c.name for c in meta["dagster/column_schema"].value.columns] == stored_columns(ranged, days[-1])


def stored_columns(lake: Path, day: str) -> list[str]:
    return pl.read_parquet(box_file(lake, day)).columns


def test_off_day_gets_typed_empty_file_and_downstream_still_loads(
    inst: dg.DagsterInstance, lake: Path
) -> None:
    r = run(inst, lake, [box], tags=RANGE, box_config=BoxConfig(empty_days=["2024-10-24"]))
    assert r.success
    empty = pl.read_parquet(box_file(lake, "2024-10-24"))
    assert empty.height == 0
    assert empty.schema == pl.read_parquet(box_file(lake, "2024-10-23")).schema
    events = {e.partition: e.materialization.metadata for e in r.get_asset_materialization_events()}
    assert events["2024-10-23"]["dagster/row_count"].value == 3
    assert events["2024-10-24"]["dagster/row_count"].value == 0
    assert events["2024-10-25"]["dagster/row_count"].value == 3

    # A whole run that is an off-day: the frame is empty, the file is still typed.
    assert run(inst, lake, [box], "2024-10-30", box_config=BoxConfig(empty_days=["2024-10-30"])).success
    assert pl.read_parquet(box_file(lake, "2024-10-30")).schema == empty.schema

    r2 = run(inst, lake, [window], "2024-10-24")
    assert r2.success
    row = window_row(r2, "2024-10-24")
    assert (row["input_rows"], row["input_dates"]) == (6, "2024-10-22,2024-10-23")
    assert row["input_columns"] == "game_date,player,pts"


@pytest.mark.parametrize(
    ("partition_key", "tags", "outside_days", "shown_range"),
    [
        ("2024-10-23", None, 1, "2024-10-23"),
        (None, RANGE, 1, "2024-10-22..2024-10-28"),
        (None, RANGE, -30, "2024-10-22..2024-10-28"),
    ],
)
def test_row_outside_the_run_raises_and_writes_nothing(
    inst: dg.DagsterInstance,
    lake: Path, partition_key, tags, outside_days, shown_range
) -> None:
    r = run(inst, lake, [box], partition_key, tags, BoxConfig(outside_days=outside_days))
    assert not r.success
    msg = failure_text(r)
    last = dt.date(2024, 10, 23) if partition_key else dt.date(2024, 10, 28)
    assert "PartitionMismatchError" in msg or "outside this run's partitions" in msg
    assert "raw/box" in msg and shown_range in msg
    assert str(last + dt.timedelta(days=outside_days)) in msg
    assert not (lake / "lake" / "raw" / "box").exists() or not any((lake / "lake" / "raw" / "box").iterdir())


def test_rejected_rerun_keeps_the_previous_file(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], "2024-10-23").success
    before = sha(box_file(lake, "2024-10-23"))
    assert not run(inst, lake, [box], "2024-10-23", box_config=BoxConfig(version=5, outside_days=2)).success
    assert sha(box_file(lake, "2024-10-23")) == before


def test_crash_during_write_leaves_old_file_intact(
    inst: dg.DagsterInstance, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(inst, lake, [box], "2024-10-23").success
    before = sha(box_file(lake, "2024-10-23"))

    def half_then_crash(fd: int) -> None:  # the temp file's bytes reach the disk only halfway
        os.ftruncate(fd, os.fstat(fd).st_size // 2)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(lake_module.os, "fsync", half_then_crash)
    r = run(inst, lake, [box], "2024-10-23", box_config=BoxConfig(version=7))
    monkeypatch.undo()
    assert not r.success and "disk full" in failure_text(r)
    assert sha(box_file(lake, "2024-10-23")) == before
    # No half-written temp file is left behind for a glob or a later run to trip over.
    assert [p.name for p in box_file(lake, "2024-10-23").parent.iterdir()] == ["2024-10-23.parquet"]


def test_every_file_s_sha256_and_row_count_are_in_its_materialization(inst: dg.DagsterInstance, lake: Path) -> None:
    r = run(inst, lake, [box], tags=RANGE, box_config=BoxConfig(empty_days=["2024-10-24"]))
    assert r.success
    events = r.get_asset_materialization_events()
    assert len(events) == 7
    for ev in events:
        mat = ev.materialization
        path = box_file(lake, mat.partition)
        assert mat.metadata["sha256"].value == sha(path)
        assert mat.metadata["dagster/row_count"].value == pl.read_parquet(path).height
    r1 = run(inst, lake, [box], "2024-10-23")
    [one] = r1.get_asset_materialization_events()
    assert one.materialization.metadata["sha256"].value == sha(box_file(lake, "2024-10-23"))
    assert "previous_row_count" not in one.materialization.metadata  # read for guarded tables only


def test_a_day_whose_source_was_down_keeps_its_file_and_the_step_succeeds(
    inst: dg.DagsterInstance, lake: Path
) -> None:
    assert run(inst, lake, [box], tags=RANGE).success
    kept = sha(box_file(lake, "2024-10-24"))
    # The source is down for 10-24 and nothing is landed for it: an unguarded table, and still kept.
    r = run(inst, lake, [box], tags=RANGE,
            box_config=BoxConfig(empty_days=["2024-10-24"], down_days=["2024-10-24"], version=5))
    assert r.success
    assert sha(box_file(lake, "2024-10-24")) == kept
    assert pl.read_parquet(box_file(lake, "2024-10-25"))["pts"].min() >= 5  # the other days are written
    meta = {e.materialization.partition: e.materialization.metadata for e in r.get_asset_materialization_events()}
    day = meta["2024-10-24"]
    assert day["dagster/row_count"].value == 3 and day["sha256"].value == kept
    assert "source down: kept the previous file (3 rows), not 0" in day["shrink"].value
    assert any("source down" in w for w in warnings_of(r, inst))
    # A day emptied while its source was up is written (an unguarded table), its old count recorded.
    r = run(inst, lake, [box], "2024-10-24", box_config=BoxConfig(empty_days=["2024-10-24"]))
    assert r.success and pl.read_parquet(box_file(lake, "2024-10-24")).height == 0


# ------------------------------------------------------------------------------------ inputs
def test_window_input_concatenates_partitions_in_order(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], tags=RANGE).success
    r = run(inst, lake, [window], "2024-10-26")
    assert r.success
    row = window_row(r, "2024-10-26")
    assert (row["input_rows"], row["input_dates"]) == (9, "2024-10-24,2024-10-25,2024-10-26")
    assert not any("no file" in w for w in warnings_of(r, inst))


def test_range_run_of_downstream_reads_the_union_window(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], tags=RANGE).success
    r = run(inst, lake, [window], tags={**RANGE, "dagster/asset_partition_range_start": "2024-10-26"})
    assert r.success
    # Days 26..28 with a -2 offset: the input spans 24..28.
    expected = ",".join(f"2024-10-{d}" for d in range(24, 29))
    assert window_row(r, "2024-10-28")["input_dates"] == expected
    assert sorted(p.name for p in (lake / "lake" / "features" / "window").iterdir()) == [
        "2024-10-26.parquet",
        "2024-10-27.parquet",
        "2024-10-28.parquet",
    ]


def test_missing_partitions_in_window_do_not_fail(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], "2024-10-26").success
    r = run(inst, lake, [window], "2024-10-27")
    assert r.success
    row = window_row(r, "2024-10-27")
    assert (row["input_rows"], row["input_dates"]) == (3, "2024-10-26")
    assert any("2024-10-25" in w and "2024-10-27" in w for w in warnings_of(r, inst))

    # Nothing at all in the window: a typed empty frame (schema of the stored partitions), not a crash.
    r2 = run(inst, lake, [window], "2024-11-05")
    assert r2.success
    row = window_row(r2, "2024-11-05")
    assert (row["input_rows"], row["input_columns"]) == (0, "game_date,player,pts")
    assert any("2024-11-03..2024-11-05" in w for w in warnings_of(r2, inst))


def test_unpartitioned_downstream_loads_every_stored_partition(inst: dg.DagsterInstance, lake: Path) -> None:
    assert run(inst, lake, [box], tags=RANGE, box_config=BoxConfig(empty_days=["2024-10-25"])).success
    assert run(inst, lake, [box], "2024-11-02").success
    r = run(inst, lake, [season])
    assert r.success
    out = r.output_for_node("grading__season")
    assert out.get_column("len").sum() == 7 * 3 - 3 + 3
    assert out.get_column("game_date").to_list()[-1] == dt.date(2024, 11, 2)
    stored = pl.read_parquet(lake / "lake" / "grading" / "season.parquet")
    assert_frame_equal(stored, out.cast({"len": stored.schema["len"]}))


def test_explicit_disallow_missing_partitions_fails(inst: dg.DagsterInstance, lake: Path) -> None:
    @dg.asset(
        key=["features", "strict"],
        partitions_def=daily,
        ins={
            "box": dg.AssetIn(
                key=["raw", "box"],
                partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=0),
                metadata={"allow_missing_partitions": False},
            )
        },
    )
    def strict(box: pl.DataFrame) -> None:
        return None

    assert run(inst, lake, [box], "2024-10-26").success
    r = dg.materialize(
        [box, strict],
        selection=[strict],
        partition_key="2024-10-27",
        resources={"io_manager": ParquetLakeIOManager(base_dir=str(lake))},
        instance=inst,
        raise_on_error=False,
    )
    assert not r.success and "2024-10-27" in failure_text(r)


# ------------------------------------------------------------------------------------ object store
def test_non_local_base_dir_round_trips_with_single_puts(inst: dg.DagsterInstance) -> None:
    base = f"memory://lake-{uuid.uuid4().hex}"
    assert run(inst, base, [box], tags=RANGE, box_config=BoxConfig(empty_days=["2024-10-24"])).success
    r = run(inst, base, [window], "2024-10-25")
    assert r.success
    assert window_row(r, "2024-10-25")["input_rows"] == 6
    files = sorted(p.name for p in (UPath(base) / "lake" / "raw" / "box").iterdir())
    assert files == [f"2024-10-{d}.parquet" for d in range(22, 29)]
    rerun = run(inst, base, [box], "2024-10-23")
    assert rerun.success
    stored = (UPath(base) / "lake" / "raw" / "box" / "2024-10-23.parquet").read_bytes()
    assert pl.read_parquet(io.BytesIO(stored)).height == 3


def test_weekly_asset_range_writes_one_file_per_week(inst: dg.DagsterInstance, lake: Path) -> None:
    @dg.asset(
        key=["predictions", "weekly_metrics"],
        partitions_def=weekly,
        metadata={"partition_expr": "game_date"},
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def weekly_metrics(context: dg.AssetExecutionContext) -> pl.DataFrame:
        tw = context.partition_time_window
        days = pl.date_range(tw.start.date(), tw.end.date(), closed="left", eager=True)
        return pl.DataFrame({"game_date": days, "n": range(days.len())})

    r = dg.materialize(
        [weekly_metrics],
        resources={"io_manager": ParquetLakeIOManager(base_dir=str(lake))},
        instance=inst,
        tags={
            "dagster/asset_partition_range_start": "2024-10-21",
            "dagster/asset_partition_range_end": "2024-10-28",
        },
    )
    assert r.success
    folder = lake / "lake" / "predictions" / "weekly_metrics"
    assert sorted(p.name for p in folder.iterdir()) == ["2024-10-21.parquet", "2024-10-28.parquet"]
    second = pl.read_parquet(folder / "2024-10-28.parquet").get_column("game_date")
    assert (second.min(), second.max(), second.len()) == (dt.date(2024, 10, 28), dt.date(2024, 11, 3), 7)


# ------------------------------------------------------------------------------------ pure helpers
def _frame(dates: list[dt.date]) -> pl.DataFrame:
    schema = {"game_date": pl.Date, "v": pl.Int64}
    return pl.DataFrame({"game_date": dates, "v": list(range(len(dates)))}, schema=schema)


def test_split_by_weekly_windows_accepts_week_start_or_any_day_of_the_week() -> None:
    keys = ["2024-10-21", "2024-10-28", "2024-11-04"]
    bounds = partition_bounds(weekly, keys)
    df = _frame([dt.date(2024, 10, 21), dt.date(2024, 10, 27), dt.date(2024, 10, 28), dt.date(2024, 10, 30)])
    parts = split_by_partition(df, "game_date", keys, bounds, tables.POINTS_MODEL.label)
    assert {k: f.get_column("v").to_list() for k, f in parts.items()} == {
        "2024-10-21": [0, 1],
        "2024-10-28": [2, 3],
        "2024-11-04": [],
    }
    assert parts["2024-11-04"].schema == df.schema
    expected = r"predictions/model: .*2024-10-21\.\.2024-11-04.*2024-11-11"
    with pytest.raises(PartitionMismatchError, match=expected):
        split_by_partition(_frame([dt.date(2024, 11, 11)]), "game_date", keys, bounds, "predictions/model")


def test_split_gives_the_same_days_whether_the_rows_come_in_day_order_or_not() -> None:
    """Rows in partition order are sliced (no copy), others partitioned: the same frames either way."""
    keys = [f"2024-10-{d}" for d in range(21, 28)]
    bounds = partition_bounds(daily, keys)
    days = [dt.date(2024, 10, d) for d in (21, 21, 23, 23, 23, 26, 27)]  # 22, 24 and 25 have no rows
    in_order = split_by_partition(_frame(days), "game_date", keys, bounds, "raw/box")
    shuffled = split_by_partition(_frame(days)[[4, 0, 6, 2, 1, 5, 3]], "game_date", keys, bounds, "raw/box")
    assert list(in_order) == list(shuffled) == keys
    assert {k: f.get_column("v").to_list() for k, f in in_order.items()} == {
        "2024-10-21": [0, 1], "2024-10-22": [], "2024-10-23": [2, 3, 4], "2024-10-24": [], "2024-10-25": [],
        "2024-10-26": [5], "2024-10-27": [6],
    }
    for key in keys:
        assert in_order[key].schema == shuffled[key].schema == _frame(days).schema
        assert sorted(shuffled[key].get_column("v").to_list()) == in_order[key].get_column("v").to_list()
    # Partitions that are not time windows (bounds=None): the value must equal the key.
    labels = pl.DataFrame({"k": ["a", "a", "b"], "v": [1, 2, 3]})
    parts = split_by_partition(labels, "k", ["a", "b", "c"], None, "raw/labels")
    assert {k: f.get_column("v").to_list() for k, f in parts.items()} == {"a": [1, 2], "b": [3], "c": []}


def test_split_rejects_nulls_missing_column_and_handles_tz_datetimes() -> None:
    keys = ["2024-10-23"]
    bounds = partition_bounds(daily, keys)
    with pytest.raises(PartitionMismatchError, match="None"):
        split_by_partition(_frame([dt.date(2024, 10, 23), None]), "game_date", keys, bounds, "raw/box")
    with pytest.raises(PartitionMismatchError, match="column 'game_date' is missing"):
        split_by_partition(pl.DataFrame({"x": [1]}), "game_date", keys, bounds, "raw/box")
    # 2024-10-24 02:00 UTC is 22:00 ET on the 23rd: it belongs to the 23rd's partition, not the 24th's.
    ts = pl.DataFrame({"tip": [dt.datetime(2024, 10, 24, 2, tzinfo=dt.UTC)]}).with_columns(
        pl.col("tip").dt.cast_time_unit("us")
    )
    parts = split_by_partition(ts, "tip", keys, bounds, "raw/box", timezone=TIMEZONE)
    assert parts["2024-10-23"].height == 1
    with pytest.raises(PartitionMismatchError):
        split_by_partition(ts, "tip", ["2024-10-24"], partition_bounds(daily, ["2024-10-24"]), "raw/box",
                           timezone=TIMEZONE)


def test_split_static_partitions_by_value() -> None:
    df = pl.DataFrame({"team": ["LAL", "BOS", "LAL"], "v": [1, 2, 3]})
    parts = split_by_partition(df, "team", ["BOS", "LAL", "NYK"], None, "x/y")
    assert [parts[k].height for k in ["BOS", "LAL", "NYK"]] == [1, 2, 0]
    with pytest.raises(PartitionMismatchError, match="MIA"):
        split_by_partition(pl.DataFrame({"team": ["MIA"]}), "team", ["BOS"], None, "x/y")


def test_zero_column_frames_use_the_contract_or_fail(inst: dg.DagsterInstance, tmp_path: Path) -> None:
    @dg.asset(key=tables.SCHEDULE.path, partitions_def=daily, metadata={"partition_expr": "game_date"})
    def schedule() -> pl.DataFrame:
        return pl.DataFrame()

    @dg.asset(key=["raw", "uncontracted"], partitions_def=daily, metadata={"partition_expr": "game_date"})
    def uncontracted() -> pl.DataFrame:
        return pl.DataFrame()

    res = {"io_manager": ParquetLakeIOManager(base_dir=str(tmp_path))}
    assert dg.materialize([schedule], partition_key="2024-10-23", resources=res).success
    stored = pl.read_parquet(tmp_path / "lake" / "raw" / "schedule" / "2024-10-23.parquet")
    assert stored.height == 0 and "game_id" in stored.columns
    r = dg.materialize(
        [uncontracted], partition_key="2024-10-23", resources=res, instance=inst, raise_on_error=False
    )
    assert not r.success and "without columns" in failure_text(r)


def test_markdown_preview_and_key_ranges() -> None:
    md = markdown_preview(pl.DataFrame({"a": list(range(9)), "b": ["x|y"] * 9}))
    assert md.count("\n") == 1 + 5 and "x\\|y" in md
    assert markdown_preview(pl.DataFrame({"a": []})).startswith("| a |")
    keys = [f"2024-10-{d}" for d in range(22, 29)]
    assert compress_key_ranges(["2024-10-28", "2024-10-22", "2024-10-23", "2024-10-26"], keys) == (
        "2024-10-22..2024-10-23, 2024-10-26, 2024-10-28"
    )


@pytest.mark.parametrize(
    "order",
    [["a", "b"], ["b", "a"], ["a", "wide"], ["wide", "a"], ["a", "narrow"], ["narrow", "a"],
     ["a", "swapped"]],
)
def test_read_partitions_equals_a_relaxed_concat_of_each_file(tmp_path: Path, order: list[str]):
    """One multi-file read when the schemas agree; older partitions (a missing column, a narrower
    type, another column order) still load as the per-file diagonal_relaxed concat would."""
    files = {
        "a": pl.DataFrame({"x": [1, 2], "y": ["a", "b"]}),
        "b": pl.DataFrame({"x": [3], "y": [None]}, schema={"x": pl.Int64, "y": pl.Utf8}),
        "wide": pl.DataFrame({"x": [4], "y": ["c"], "z": [1.5]}),
        "narrow": pl.DataFrame({"x": pl.Series([5], dtype=pl.Int32), "y": ["d"]}),
        "swapped": pl.DataFrame({"y": ["e"], "x": [6]}),
    }
    for name, frame in files.items():
        frame.write_parquet(tmp_path / f"{name}.parquet")
    paths = [tmp_path / f"{name}.parquet" for name in order]
    expected = pl.concat([pl.read_parquet(p) for p in paths], how="diagonal_relaxed")
    assert_frame_equal(read_partitions(paths), expected)
