"""The Parquet lake IO manager: one Parquet file per asset partition, local dir or gs:// bucket.

Layout: `<base>/lake/<layer>/<table>/<partition_key>.parquet` for an asset keyed `[layer, table]`
(`<base>/lake/<layer>/<table>.parquet` when unpartitioned). Built on Dagster core's `UPathIOManager`
because dagster-polars breaks on polars 2.x and dagster-duckdb-polars on duckdb 2.x
(docs/architecture.md §3). What it adds over the base class:

- range-aware writes: a single-run backfill's frame is split by the asset's `partition_expr` column into
  one file per partition; a partition with no rows still gets a typed, empty file;
- rows outside the run's partitions fail the step before anything is written;
- atomic, byte-stable writes (temp file + `os.replace` locally, one object put on GCS), so a re-run
  replaces a partition exactly and a crash leaves the previous file;
- the shrink guard (io_managers/shrink.py): a re-write that would empty or cut a day of final facts
  without a reason fails before anything is written; a day whose source was down keeps its file;
- each file's row count and sha256 (of the bytes written) in its materialization metadata, which
  `nba-lake verify` compares with the lake (checks/integrity.py);
- window inputs come back as ONE frame; missing partitions in a window are logged, not fatal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from upath import UPath

from io_managers import shrink
from nba_assets import tables
from nba_assets.dagster_internals import private_api
from resources.files import (
    LAKE_DIR,
    file_sha256,
    is_local,
    parquet_rows,
    read_parquet,
    sweep_before_write,
    temp_path,
)

PARQUET_COMPRESSION = "zstd"
PARQUET_COMPRESSION_LEVEL = 3  # pinned so files stay byte-identical if polars changes its default
PREVIEW_ROWS = 5
_PREVIEW_CELL_CHARS = 40
_PART_COL = "__lake_partition_idx"


class PartitionMismatchError(ValueError):
    """Rows whose partition value is not in the partitions this output covers (nothing is written)."""


# ------------------------------------------------------------------------------------ pure helpers
@dataclass(frozen=True)
class PartitionBounds:
    """One partition's time window `[start, end)` as naive datetimes in the partitions' timezone."""

    key: str
    start: dt.datetime
    end: dt.datetime


def partition_bounds(
    partitions_def: dg.PartitionsDefinition, keys: Sequence[str]
) -> list[PartitionBounds] | None:
    """Time windows of `keys`, sorted by start; None for partitions that are not time windows."""
    if not isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return None
    out = []
    for key in keys:
        tw = partitions_def.time_window_for_partition_key(key)
        # Windows start at local midnight: dropping the tz compares them with a pl.Date column directly.
        out.append(PartitionBounds(key, tw.start.replace(tzinfo=None), tw.end.replace(tzinfo=None)))
    return sorted(out, key=lambda b: b.start)


def _local_naive(values: pl.Series, timezone: str | None) -> pl.Series:
    """The partition column as naive local datetimes, comparable with `PartitionBounds`."""
    dtype = values.dtype
    if dtype == pl.Date:
        return values.cast(pl.Datetime("us"))
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None and timezone:
            values = values.dt.convert_time_zone(timezone)
        return values.dt.replace_time_zone(None).cast(pl.Datetime("us"))
    raise TypeError(f"partition column {values.name!r} must be pl.Date or pl.Datetime, got {dtype}")


def _describe_keys(keys: Sequence[str]) -> str:
    if not keys:
        return "(no partitions)"
    return keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]} ({len(keys)} partitions)"


def compress_key_ranges(missing: Sequence[str], ordered: Sequence[str]) -> str:
    """`missing` keys as comma-separated runs of consecutive keys of `ordered` ("a..c, f")."""
    pos = {k: i for i, k in enumerate(ordered)}
    idx = sorted(pos[k] for k in missing if k in pos)
    runs: list[str] = []
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        a, b = ordered[idx[i]], ordered[idx[j]]
        runs.append(a if i == j else f"{a}..{b}")
        i = j + 1
    return ", ".join(runs)


def sorted_runs(frame: pl.DataFrame, keys: pl.Series) -> list[tuple[Any, pl.DataFrame]]:
    """Pure: `frame` (its rows grouped by `keys`, one value per row) as [(value, zero-copy slice)]."""
    out, offset = [], 0
    for value, n in keys.rle().struct.unnest().select("value", "len").iter_rows():
        out.append((value, frame.slice(offset, n)))
        offset += n
    return out


def split_by_partition(
    df: pl.DataFrame,
    column: str,
    keys: Sequence[str],
    bounds: Sequence[PartitionBounds] | None,
    asset: str,
    timezone: str | None = None,
) -> dict[str, pl.DataFrame]:
    """Split `df` into one frame per key of `keys` (every key present; empty frames keep the schema).

    Time partitions: a row goes to the key whose window contains its `column` value (a date inside a
    weekly window, or the week's start date, both land in that week). Other partitions: the value,
    as a string, must equal the key. Raises `PartitionMismatchError` naming the asset, offending values
    and the run's range when any row (including a null value) matches no key.
    """
    if column not in df.columns:
        raise PartitionMismatchError(
            f"{asset}: partition_expr column {column!r} is missing from the output (columns: {df.columns})"
        )
    if bounds is not None:
        starts = pl.Series([b.start for b in bounds], dtype=pl.Datetime("us"))
        ends = pl.Series([b.end for b in bounds], dtype=pl.Datetime("us"))
        values = _local_naive(df.get_column(column), timezone)
        # A null sorts before every window, so it lands on idx -1 and is reported as outside.
        filled = values.fill_null(dt.datetime(1, 1, 1))
        idx = (starts.search_sorted(filled, side="right").cast(pl.Int64) - 1).alias(_PART_COL)
        safe_idx = idx.clip(0, len(bounds) - 1)
        inside = (idx >= 0) & values.is_not_null() & (filled < ends.gather(safe_idx))
        ordered_keys = [b.key for b in bounds]
    else:
        ordered_keys = list(keys)
        pos = {k: i for i, k in enumerate(ordered_keys)}
        as_str = df.get_column(column).cast(pl.Utf8)
        idx = as_str.replace_strict(pos, default=-1, return_dtype=pl.Int64).alias(_PART_COL)
        inside = (idx >= 0) & as_str.is_not_null()
    if not inside.all():
        bad = df.get_column(column).filter(~inside)
        examples = ", ".join(str(v) for v in bad.unique(maintain_order=True).head(5).to_list())
        raise PartitionMismatchError(
            f"{asset}: {bad.len()} row(s) have {column} outside this run's partitions "
            f"{_describe_keys(ordered_keys)} (values: {examples}). Nothing was written."
        )
    empty = df.clear()
    if idx.is_sorted():
        # Rows in partition order (a range's days in order): slices, not a second copy of the range.
        parts = dict(sorted_runs(df, idx))
        return {key: parts.get(i, empty) for i, key in enumerate(ordered_keys)}
    tagged = df.with_columns(idx)
    parts = {k[0]: g.drop(_PART_COL) for k, g in tagged.partition_by(_PART_COL, as_dict=True).items()}
    return {key: parts.get(i, empty) for i, key in enumerate(ordered_keys)}


def markdown_preview(df: pl.DataFrame, n: int = PREVIEW_ROWS) -> str:
    """A markdown table of the first `n` rows (cells truncated), for the asset page in the UI."""
    if df.width == 0:
        return "_(no columns)_"

    def cell(v: Any) -> str:
        s = "" if v is None else str(v)
        s = s.replace("|", "\\|").replace("\n", " ")
        return s if len(s) <= _PREVIEW_CELL_CHARS else s[: _PREVIEW_CELL_CHARS - 1] + "…"

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * df.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.head(n).iter_rows()]
    if df.height == 0:
        lines.append("| " + " | ".join("" for _ in df.columns) + " |")
    return "\n".join(lines)


def column_schema(df: pl.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=n, type=str(t)) for n, t in df.schema.items()])


def parquet_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    _write(df, buf)
    return buf.getvalue()


def _write(df: pl.DataFrame, target: str | io.BytesIO) -> None:
    # Fixed options and no timestamps in the footer: the same frame always gives the same bytes.
    df.write_parquet(
        target,
        compression=PARQUET_COMPRESSION,
        compression_level=PARQUET_COMPRESSION_LEVEL,
        statistics=True,
    )


def write_parquet_atomic(df: pl.DataFrame, path: Path) -> str:
    """Write `df` to `path` so readers only ever see the old file or the complete new one; returns the
    sha256 of the bytes written (the file's content hash, recorded in its materialization).

    Local: a hidden temp file in the same directory (not matching `*.parquet`, so DuckDB globs never
    pick it up), fsync, then `os.replace` (atomic on POSIX). Object stores: one put of the whole object.
    """
    data = parquet_bytes(df)
    digest = hashlib.sha256(data).hexdigest()
    if not is_local(path):
        path.write_bytes(data)
        return digest
    sweep_before_write(os.fspath(path.parent))
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.fspath(path))
        return digest
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_partitions(paths: Sequence[Path]) -> pl.DataFrame:
    """The partition files as one frame, in the given order.

    Local files of one schema (the usual case) are read by one multi-file read, which decodes them in
    parallel; files whose schemas differ (an older partition predating an added column or a widened
    type) fall back to one read per file and a diagonal_relaxed concat."""
    if len(paths) == 1:
        return read_parquet(paths[0])
    if all(is_local(p) for p in paths):
        try:
            return pl.read_parquet([os.fspath(p) for p in paths])
        except (pl.exceptions.SchemaError, pl.exceptions.ColumnNotFoundError, pl.exceptions.ComputeError):
            pass
    return pl.concat([read_parquet(p) for p in paths], how="diagonal_relaxed")


def read_parquet_schema(path: Path) -> dict[str, pl.DataType]:
    if is_local(path):
        return dict(pl.read_parquet_schema(os.fspath(path)))
    return dict(pl.read_parquet(io.BytesIO(path.read_bytes()), n_rows=0).schema)


def contract_empty_frame(table: str | dg.AssetKey) -> pl.DataFrame | None:
    """The contract's typed empty frame for a lake table ("layer/table" or its key), else None."""
    known = tables.lake_table(table)
    return known.empty() if known is not None else None


# The materialization metadata entry holding a lake file's sha256 (`nba-lake verify` reads it back).
FILE_HASH = "sha256"


def _max_drop(key: dg.AssetKey) -> float | None:
    table = tables.lake_table(key)
    return table.max_drop if table is not None else None


# ------------------------------------------------------------------------------------ IO manager
class PolarsLakeIOManager(dg.UPathIOManager):
    """Stores polars DataFrames as one Parquet file per partition under `<base>/lake/`."""

    extension: str = ".parquet"

    # ---- paths
    def get_asset_relative_path(self, context: dg.InputContext | dg.OutputContext) -> UPath:
        return UPath(LAKE_DIR, *context.asset_key.path)

    def make_directory(self, path: UPath) -> None:
        # Object stores have no directories; gcsfs' mkdir may even try to create the bucket.
        if is_local(path):
            path.mkdir(parents=True, exist_ok=True)

    # ---- file format
    def dump_to_path(self, context: dg.OutputContext, obj: pl.DataFrame, path: UPath) -> None:
        write_parquet_atomic(obj, path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pl.DataFrame:
        return read_parquet(path)

    # ---- output
    def after_partition_written(
        self, context: dg.OutputContext, key: str, path: UPath, frame: pl.DataFrame
    ) -> dict[str, Any] | None:
        """Called once per partition after every partition of the output is written (prod publishes
        the day to BigQuery here: io_managers/publishing.py); what it returns joins that day's metadata."""
        return None

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            # An asset that returns nothing (e.g. MaterializeResult without value) stores nothing.
            return
        if isinstance(obj, pl.LazyFrame):
            obj = obj.collect()
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(
                f"{context.asset_key.to_user_string()}: PolarsLakeIOManager stores polars DataFrames, "
                f"got {type(obj).__name__}"
            )
        asset = context.asset_key.to_user_string()
        if obj.width == 0:
            # A zero-column Parquet file breaks every DuckDB view over the table: use the contract.
            typed = contract_empty_frame(context.asset_key)
            if typed is None or obj.height:
                raise TypeError(
                    f"{asset}: refusing to store a frame without columns; return a typed empty frame "
                    "(tables.<TABLE>.empty()) instead"
                )
            obj = typed

        if not context.has_asset_partitions:
            path = private_api.upath_of(self, context)
            self.make_directory(path.parent)
            digest = write_parquet_atomic(obj, path)
            context.add_output_metadata(self._metadata(obj, path, digest))
            return

        paths = private_api.upaths_by_partition(self, context)
        keys = list(context.asset_partition_keys)
        column = (context.definition_metadata or {}).get("partition_expr")
        if column is None:
            if len(keys) != 1:
                raise PartitionMismatchError(
                    f"{asset}: an output covering {_describe_keys(keys)} needs metadata "
                    "{'partition_expr': <column>} to be split into one file per partition"
                )
            frames = {keys[0]: obj}
        else:
            pdef = context.asset_partitions_def
            frames = split_by_partition(
                obj,
                column,
                keys,
                partition_bounds(pdef, keys),
                asset,
                timezone=getattr(pdef, "timezone", None),
            )
        if not paths:
            raise PartitionMismatchError(f"{asset}: this output covers no partitions; nothing was written")
        # Every frame was validated above, before the first write: a bad row or a refused shrink
        # (ShrinkRefusedError) writes nothing.
        first_path = next(iter(paths.values()))
        old_rows = self._old_rows(context, frames, paths)
        try:
            verdicts = shrink.judge_days(
                asset, {k: f.height for k, f in frames.items()}, old_rows,
                max_drop=_max_drop(context.asset_key), down_days=shrink.down_days(context.output_metadata),
                postponed=lambda day: self._postponed(frames, paths, day, context.asset_key),
                allowed=shrink.allowed_by_tags(private_api.run_tags(context)),
            )
        except shrink.ShrinkRefusedError as exc:
            # A step retry would find the same nothing: fail at once (the refusal is the message).
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        self.make_directory(first_path.parent)
        digests: dict[str, str] = {}
        for key, frame in frames.items():
            if verdicts[key].action == shrink.KEEP:  # the source is down: the day keeps its file
                context.log.warning(f"{asset} {key}: {verdicts[key].note}")
                frames[key], digests[key] = read_parquet(paths[key]), file_sha256(paths[key])
            else:
                digests[key] = write_parquet_atomic(frame, paths[key])
        extra = {key: (self.after_partition_written(context, key, paths[key], frame) or {})
                 if verdicts[key].action == shrink.WRITE else {}
                 for key, frame in frames.items()}

        def day_metadata(key: str, frame: pl.DataFrame) -> dict[str, Any]:
            meta = self._metadata(frame, paths[key], digests[key])
            if old_rows.get(key) is not None:
                meta["previous_row_count"] = old_rows[key]  # the row-count check flags a day emptied
            if verdicts[key].note:
                meta["shrink"] = verdicts[key].note
            return {**meta, **extra[key]}

        if len(keys) == 1:
            context.add_output_metadata(day_metadata(keys[0], frames[keys[0]]))
            return
        # A range run records one materialization per day: each gets ITS day's row count, file and
        # preview (partition-scoped metadata is merged over the output's when the events are built).
        # What describes the range goes on its last day only, as the asset's own run figures do
        # (nba_assets/common.py run_metadata): the output's metadata would be copied onto every day. The
        # column schema too: it is the same for every day, the asset's definition already carries the
        # contract's (nba_assets/lineage.py), and serializing its TableSchema was ~80 % of storing each
        # day's event (1.75 of 2.15 ms, twice per event).
        last = keys[-1]
        for key, frame in frames.items():
            day_meta = day_metadata(key, frame)
            if key == last:
                day_meta["range_row_count"] = sum(f.height for f in frames.values())
            else:
                del day_meta["dagster/column_schema"]
            context.step_context.add_asset_metadata(day_meta, asset_key=context.asset_key, partition_key=key)

    def _metadata(self, df: pl.DataFrame, path: UPath, digest: str) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "dagster/row_count": df.height,
            "dagster/column_schema": column_schema(df),
            "path": dg.MetadataValue.path(str(path)),
            "preview": dg.MetadataValue.md(markdown_preview(df)),
            FILE_HASH: digest,
        }
        return meta

    # ---- the shrink guard's inputs (the decision is io_managers/shrink.py)
    def _old_rows(
        self, context: dg.OutputContext, frames: dict[str, pl.DataFrame], paths: dict[str, UPath]
    ) -> dict[str, int | None]:
        """Row counts of the files about to be replaced, for a guarded table or a day whose source
        was down (footers only; a file that cannot be read counts as absent)."""
        down, guarded = shrink.down_days(context.output_metadata), _max_drop(context.asset_key) is not None
        if not guarded and not down:
            return {}
        existing = self._existing_files(next(iter(paths.values())).parent)
        out: dict[str, int | None] = {}
        for key in frames:
            if paths[key].name in existing and (guarded or key in down):
                try:
                    out[key] = parquet_rows(paths[key])
                except Exception as exc:  # noqa: BLE001 - an unreadable file holds nothing to keep
                    context.log.warning(f"{paths[key]}: unreadable ({exc}); replacing it")
        return out

    def _postponed(
        self, frames: dict[str, pl.DataFrame], paths: dict[str, UPath], day: str, key: dg.AssetKey
    ) -> int:
        """Games of `day` the schedule marks postponed or cancelled: the schedule being written, else
        the lake's schedule file of the day (a file from before the column counts none)."""
        if key == tables.SCHEDULE.key:
            return shrink.postponed_games(frames[day])
        path = paths[day].parent.parent.parent.joinpath(*tables.SCHEDULE.path, paths[day].name)
        return shrink.postponed_games(read_parquet(path)) if path.exists() else 0

    # ---- input
    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        if not context.has_asset_key or not context.has_asset_partitions:
            return read_parquet(private_api.upath_of(self, context))
        keys = list(context.asset_partition_keys)
        table_dir = private_api.upath_folder(self, context)
        existing = self._existing_files(table_dir)
        if not keys:
            return self._empty_like(context, table_dir, existing)
        paths = private_api.upaths_by_partition(self, context)
        present = [k for k in keys if paths[k].name in existing]
        missing = [k for k in keys if paths[k].name not in existing]
        if missing:
            allow = (context.definition_metadata or {}).get("allow_missing_partitions", True)
            msg = (
                f"{context.asset_key.to_user_string()}: {len(missing)} of {len(keys)} input partition(s) "
                f"have no file: {compress_key_ranges(missing, keys)}"
            )
            if not allow:
                raise FileNotFoundError(msg)
            context.log.warning(msg + "; loading the partitions that exist")
        if not present:
            return self._empty_like(context, table_dir, existing)
        return read_partitions([paths[k] for k in present])

    def _existing_files(self, table_dir: UPath) -> set[str]:
        """File names in the table's folder, with one listing instead of one lookup per partition."""
        try:
            return {p.name for p in table_dir.iterdir() if p.name.endswith(self.extension)}
        except (FileNotFoundError, NotADirectoryError):
            return set()

    def _empty_like(self, context: dg.InputContext, table_dir: UPath, existing: set[str]) -> pl.DataFrame:
        """A typed empty frame: the schema of any stored partition, else the table's contract."""
        if existing:
            schema = read_parquet_schema(table_dir / sorted(existing)[-1])
            return pl.DataFrame(schema=schema)
        typed = contract_empty_frame(context.asset_key)
        return typed if typed is not None else pl.DataFrame()


class ParquetLakeIOManager(dg.ConfigurableIOManagerFactory):
    """The lake IO manager: `base_dir` is a local folder or `gs://bucket/prefix`; files go under `lake/`."""

    base_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> PolarsLakeIOManager:
        return PolarsLakeIOManager(base_path=UPath(self.base_dir))

