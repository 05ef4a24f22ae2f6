"""DuckDB over the Parquet lake: one view per table, in an in-memory database, so reading never locks.

`raw.bdl_boxscores` is `read_parquet('<lake>/raw/bdl_boxscores/*.parquet', union_by_name=true)`. The
writers (io_managers/lake.py) replace whole files atomically and their temp files do not match
`*.parquet`, so a query sees each partition either before or after a re-write, never half of it.
DuckDB expands the glob at query time: files written after `connect()` show up in the next query.
Why not one DuckDB file: a writer process locks it even against read-only opens (docs/architecture.md).

`connect()` (what `nba-lake sql` runs queries on) cannot write: the lake is served to DuckDB through a
read-only fsspec file system under its own protocol (`lake://raw/bdl_boxscores/*.parquet`), DuckDB's
own local file system is disabled and the configuration locked, so COPY TO, ATTACH, EXPORT, INSTALL and
LOAD fail in the engine whatever the statement's spelling. `query()` and `rows()` run the pipeline's
own SQL on DuckDB's native reader (faster; no user text reaches them).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import stat
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from resources.files import LAKE_DIR, data_path, is_local

if TYPE_CHECKING:
    import polars as pl

    from nba_assets.tables import Table

# No Dagster here (resources/lake.py adds the Dagster resource): `nba-lake sql` and `trace` read the
# lake without importing it. The lake's folder and its local test are resources.files', as the IO
# manager's are.

log = logging.getLogger(__name__)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def to_polars(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A DuckDB result as a polars frame through the Arrow C stream interface: the same frame as
    `rel.pl()`, which goes through pyarrow and imports it first (~0.2-0.4 s of every CLI query).
    Polars imports no Arrow interval: through the C stream it panics, through `rel.pl()` it raises a
    ComputeError that names the type, so a result with an INTERVAL column goes that way."""
    import polars as pl

    if any("INTERVAL" in str(t) for t in rel.types):
        return rel.pl()
    return pl.DataFrame(rel)


# Protocol under which the read-only connection sees the lake; DuckDB sees no other file system.
READ_ONLY_PROTOCOL = "lake"
# Engine settings of the read-only connection (docs/reliability.md): no extension is installed or
# loaded behind the user's back (httpfs would bring s3:// and http:// writers), DuckDB's local file
# system is off (COPY TO, ATTACH, EXPORT, INSTALL/LOAD need it), and no SET can undo any of it.
_READ_ONLY_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_READ_ONLY_LOCK = ("SET disabled_filesystems = 'LocalFileSystem'", "SET lock_configuration = true")
# fsspec methods that change files; the read-only file system refuses every one of them.
_MUTATORS = (
    "rm", "rm_file", "rmdir", "delete", "mv", "move", "rename", "copy", "cp", "cp_file", "put", "put_file",
    "upload", "pipe", "pipe_file", "touch", "mkdir", "makedir", "makedirs", "mkdirs", "write_text",
    "write_bytes", "start_transaction", "_rm", "_rm_file", "_mv_file", "_copy", "_cp_file", "_put",
    "_put_file", "_pipe", "_pipe_file", "_mkdir", "_makedirs",
)


@functools.cache
def _read_only_class(local: bool) -> type:
    from fsspec.implementations.dirfs import DirFileSystem

    def refuse(name: str):
        def method(self, *args, **kwargs):
            raise PermissionError(f"the lake is read-only here: {name} {args[0] if args else ''}".rstrip())
        return method

    def opener(name: str):
        def method(self, path, mode="rb", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                raise PermissionError(f"the lake is read-only here: open {path!r} mode {mode!r}")
            if local:  # the built-in file object: DuckDB's reads skip fsspec's Python wrapper
                return open(self._join(path), "rb")  # noqa: SIM115 (DuckDB closes it)
            return getattr(DirFileSystem, name)(self, path, mode, *args, **kwargs)
        return method

    attrs = {name: refuse(name) for name in _MUTATORS}
    attrs |= {"protocol": READ_ONLY_PROTOCOL, "open": opener("open"), "_open": opener("_open"), "cachable": False}
    if local:  # DuckDB asks a file's size and time several times per read: one stat each, not fsspec's
        attrs |= {"info": _local_info, "modified": _local_modified}
    return type("ReadOnlyLake", (DirFileSystem,), attrs)


def _local_info(self, path, **_kwargs) -> dict:
    st = os.stat(self._join(path))
    kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
    return {"name": path, "size": st.st_size, "type": kind, "mtime": st.st_mtime}


def _local_modified(self, path) -> dt.datetime:
    return dt.datetime.fromtimestamp(os.stat(self._join(path)).st_mtime, tz=dt.UTC)


def read_only_filesystem(root: str, fs, local: bool = False):
    """`fs` below `root` under the protocol `lake://`, refusing every write (PermissionError); `local`:
    `fs` is the local file system (read through built-in files)."""
    return _read_only_class(local)(path=root, fs=fs)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _local_fs():
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem()


class LakeReader:
    """Read-only access to the lake under `data_dir` (a local folder or gs://bucket/prefix)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = str(data_dir)
        self.lake = data_path(self.data_dir) / LAKE_DIR
        if not is_local(self.lake):
            # gcsfs keeps listings per process: a long-lived one (the code server's sensors) would not
            # see the objects run workers wrote since; each reader starts from the bucket's listing.
            self.lake.fs.invalidate_cache()

    # ---- discovery
    def _sources(self) -> dict[str, str]:
        """{"layer.table": its file or glob under the lake ("raw/t/*.parquet", "grading/r.parquet")}
        for every table with at least one file."""
        out: dict[str, str] = {}
        if not self.lake.exists():
            return out
        for layer in sorted(self.lake.iterdir(), key=lambda p: p.name):
            if not layer.is_dir() or not _IDENT.match(layer.name):
                continue
            for entry in sorted(layer.iterdir(), key=lambda p: p.name):
                if entry.is_dir():
                    # A folder with no Parquet file yet (only a temp file) cannot be bound as a view.
                    if _IDENT.match(entry.name) and any(f.name.endswith(".parquet") for f in entry.iterdir()):
                        out[f"{layer.name}.{entry.name}"] = f"{layer.name}/{entry.name}/*.parquet"
                elif entry.name.endswith(".parquet") and not entry.name.startswith("."):
                    table = entry.name[: -len(".parquet")]
                    if _IDENT.match(table):
                        # A partitioned table's folder wins over a leftover unpartitioned file.
                        out.setdefault(f"{layer.name}.{table}", f"{layer.name}/{entry.name}")
        return out

    def _location(self, path) -> str:
        """The path as DuckDB must see it: absolute local path, or protocol://bucket/key."""
        if is_local(path):
            return os.fspath(Path(os.fspath(path)).resolve())
        return f"{path.protocol}://{path.path.lstrip('/')}"

    def tables(self) -> list[str]:
        """"layer.table" for every table folder (or unpartitioned file) holding Parquet data."""
        return sorted(self._sources())

    # ---- DuckDB
    def _register(self, con: duckdb.DuckDBPyConnection) -> None:
        if not is_local(self.lake):
            # fsspec (gcsfs in prod) serves gs:// to DuckDB with the same credentials UPath uses.
            con.register_filesystem(self.lake.fs)

    def _create_views(self, con: duckdb.DuckDBPyConnection, sources: dict[str, str], root: str) -> None:
        """A view per source, its files under `root` (the lake's location, or lake:// when read-only)."""
        for name, relative in sources.items():
            layer, table = name.split(".", 1)
            location = f"{root}/{relative}"
            con.execute(f"create schema if not exists {_ident(layer)}")
            try:
                con.execute(
                    f"create or replace view {_ident(layer)}.{_ident(table)} as "
                    f"select * from read_parquet({_sql_str(location)}, union_by_name=true)"
                )
            except duckdb.Error as exc:
                # One unreadable table (a corrupt file) must not take every other view down with it.
                log.warning("lake view %s skipped: %s", name, exc)

    def _chosen(self, only: Iterable[str] | None) -> dict[str, str]:
        sources = self._sources()
        if only is not None:
            wanted = set(only)
            sources = {name: loc for name, loc in sources.items() if name in wanted}
        return sources

    def connect(self, only: Iterable[str] | None = None) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory DuckDB with a schema per layer and a view per table ("layer.table" in
        `only`, when given) that reads the lake and can write no file anywhere (the module's
        docstring); tables created in it live in memory only."""
        con = duckdb.connect(config=_READ_ONLY_CONFIG)
        sources = self._chosen(only)
        if sources:  # (`select 1` needs no file system: fsspec's import is ~0.1 s of a CLI query)
            local = is_local(self.lake)
            fs = _local_fs() if local else self.lake.fs
            con.register_filesystem(read_only_filesystem(self._fs_root(), fs, local))
            self._create_views(con, sources, f"{READ_ONLY_PROTOCOL}:/")
        for statement in _READ_ONLY_LOCK:  # (neither can be given to duckdb.connect)
            con.execute(statement)
        return con

    def _native(self, only: Iterable[str] | None = None) -> duckdb.DuckDBPyConnection:
        """Like `connect`, on DuckDB's own reader: for the pipeline's SQL (query, rows)."""
        con = duckdb.connect()
        self._register(con)
        self._create_views(con, self._chosen(only), self._location(self.lake))
        return con

    def _fs_root(self) -> str:
        """The lake's folder as its fsspec file system names it."""
        if is_local(self.lake):
            return os.fspath(Path(os.fspath(self.lake)).resolve())
        return self.lake.path.rstrip("/")

    def referenced(self, sql: str) -> list[str]:
        """The "layer.table" views `sql` can refer to: those whose table name appears in it as a word.
        Binding a union_by_name view reads every file's footer (~0.7 s for a season of all tables), so
        a query creates only these."""
        words = set(re.findall(r"[a-z_][a-z0-9_]*", sql.lower()))
        return [name for name in self._sources() if name.split(".", 1)[1].lower() in words]

    def query(self, sql: str) -> pl.DataFrame:
        """Run `sql` over the lake views and return a polars frame."""
        return to_polars(self._native(only=self.referenced(sql)).sql(sql))

    # ---- one table
    def days(self, table: Table) -> list[dt.date]:
        """The game dates that have a file of `table` (<game_date>.parquet), sorted; a listing, no read."""
        folder = self.lake.joinpath(*table.path)
        if not folder.exists():
            return []
        out = []
        for entry in folder.iterdir():
            stem, dot, ext = entry.name.partition(".")
            if dot and ext == "parquet":
                try:
                    out.append(dt.date.fromisoformat(stem))
                except ValueError:
                    continue  # not a day file
        return sorted(out)

    def has(self, table: Table) -> bool:
        """True when `table` has at least one file in the lake."""
        return table.view in self._sources()

    def rows(
        self, table: Table, *, since: dt.date | None = None, before: dt.date | None = None,
        window_files: bool = False, columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """The rows of `table` with since <= game_date < before (either bound optional); the table's
        typed empty frame when it has no file yet.

        `window_files` (both bounds given): read only the window's day files (<game_date>.parquet),
        not bind the view over every day's file (~0.2 s per table on a season). The columns are then
        those of the window's files; without any file in the window it reads as without the flag.

        `columns`: only these, in this order (Parquet reads only their column chunks). A reader of
        whole seasons that needs a few columns keeps its memory to them: the season report read every
        column of four tables, ~0.5 GB of one process's resident set on a season (bench/README.md)."""
        if columns is not None and not columns:
            raise ValueError(f"{table.view}: columns, when given, must name at least one column")
        if not self.has(table):
            empty = table.empty()
            return empty.select(columns) if columns is not None else empty
        col = table.partition_column
        where = [f"{col} >= DATE '{since}'" if since else "", f"{col} < DATE '{before}'" if before else ""]
        cond = " and ".join(w for w in where if w)
        select = "select " + (", ".join(_ident(c) for c in columns) if columns is not None else "*")
        if window_files and since and before:
            days = [since + dt.timedelta(days=i) for i in range((before - since).days)]
            files = [p for d in days if (p := self.lake.joinpath(*table.path, f"{d}.parquet")).exists()]
            if files:
                con = duckdb.connect()
                self._register(con)
                listed = ", ".join(_sql_str(self._location(p)) for p in files)
                return to_polars(con.sql(f"{select} from read_parquet([{listed}], union_by_name=true) where {cond}"))
        return self.query(f"{select} from {table.view}" + (f" where {cond}" if cond else ""))

    # ---- direct file access
    def _table_parts(self, table: str | Table) -> tuple[str, str]:
        layer, sep, name = str(table).replace("/", ".").partition(".")
        if not sep or not name:
            raise ValueError(f"table must be 'layer.table' or 'layer/table', got {table!r}")
        return layer, name

    def partition(self, table: str | Table, game_date: dt.date | str) -> pl.DataFrame:
        """One partition's file; a typed empty frame when that day was never written."""
        layer, name = self._table_parts(table)
        table_dir = self.lake / layer / name
        path = table_dir / f"{game_date}.parquet"
        from io_managers.lake import contract_empty_frame, read_parquet, read_parquet_schema

        if path.exists():
            return read_parquet(path)
        others = []
        if table_dir.exists():
            others = sorted(p for p in table_dir.iterdir() if p.name.endswith(".parquet"))
        import polars as pl

        if others:
            return pl.DataFrame(schema=read_parquet_schema(others[-1]))
        typed = contract_empty_frame(f"{layer}/{name}")
        return typed if typed is not None else pl.DataFrame()

    def write_duckdb_file(self, path: str | Path) -> Path:
        """Write a DuckDB file holding the same views (absolute paths), for BI tools.

        Built under a temp name and renamed, so a tool holding the previous file open is not disturbed.
        """
        target = Path(path).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            con = duckdb.connect(str(tmp))
            try:
                self._register(con)
                self._create_views(con, self._sources(), self._location(self.lake))
            finally:
                con.close()
            os.replace(tmp, target)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                if leftover.exists():
                    leftover.unlink()
        return target
