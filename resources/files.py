"""Temp files of atomic local writes, and sweeping up the ones a killed writer left behind.

Every local write in the lake and the landing zone goes to a hidden temp file in the target's folder
(`.<name>.<pid>.<random>.tmp`, never matching `*.parquet` or `*.json`) and is renamed over the target.
A process killed between the two leaves the temp file; `sweep_stale_temps` removes it when a writer
next sweeps that folder (`sweep_before_write`: a process's first write there, then at most once a
minute): at once when the pid in its name is no longer running on this machine, otherwise once it is
older than STALE_AFTER_S (no single write takes that long).
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

STALE_AFTER_S = 3600.0
_TEMP = re.compile(r"^\..+?(?:\.(\d+))?\.[0-9a-f]{8,32}\.tmp$")


def temp_path(target: str | os.PathLike) -> str:
    """A hidden temp path next to `target`, naming this process so a sweep knows if it is alive."""
    folder, name = os.path.split(os.fspath(target))
    return os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:16]}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


# A writer sweeps a folder at its first write there and then at most every SWEEP_EVERY_S: a sweep lists
# the folder, and sweeping on every write made a backfill's writes cost more the bigger the lake (a
# table folder of three seasons holds ~900 day files, listed once per day written: quadratic).
SWEEP_EVERY_S = 60.0
_last_sweep: dict[str, float] = {}


def sweep_before_write(folder: str | os.PathLike) -> None:
    """sweep_stale_temps(folder) unless this process swept it less than SWEEP_EVERY_S ago."""
    key, now = os.fspath(folder), time.monotonic()
    last = _last_sweep.get(key)
    if last is not None and now - last < SWEEP_EVERY_S:
        return
    _last_sweep[key] = now
    sweep_stale_temps(key)


def sweep_stale_temps(folder: str | os.PathLike, *, now: float | None = None,
                      stale_after_s: float = STALE_AFTER_S) -> list[str]:
    """Remove temp files of writers that died in `folder`; returns the names removed."""
    removed: list[str] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if not m or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(m[1]) if m[1] else None
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue  # its writer just renamed it
        if (pid is not None and not _alive(pid)) or age > stale_after_s:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed.append(entry.name)
    if removed:
        log.warning("removed %d temp file(s) left by killed writers in %s: %s", len(removed),
                    Path(folder), ", ".join(sorted(removed)[:5]))
    return removed


# ------------------------------------------------------------------------------------ the lake's files
# The lake's folder under the data dir and the one-file read, shared by the IO manager (io_managers/lake.py)
# and the Dagster-free readers (resources/lake_reader.py, `nba-lake trace`), so they cannot disagree.
LAKE_DIR = "lake"
# The landing zone's per-folder manifest (resources/landing.py writes it; `nba-lake trace` reads it).
MANIFEST = "_manifest.jsonl"


def data_path(data_dir: str | os.PathLike):
    """The data dir as a path: a `pathlib.Path` for a local folder, a `UPath` for an object store
    (`gs://bucket/prefix`). The Dagster-free readers (`nba-lake status`, `trace`, `sql`) take this, so a
    local lake never imports universal-pathlib and fsspec (~0.15 s of each command); `is_local` treats
    both alike."""
    text = os.fspath(data_dir)
    if "://" not in text:
        return Path(text)
    from upath import UPath

    quiet_gcs_reads()
    return UPath(text)


def quiet_gcs_reads() -> None:
    """Every gs:// filesystem made in this process from now on reads with plain read-ahead
    (resources/gcs_files.py says why). Called before the first object-store path is made: by
    `data_path` and by the prod resources."""
    import fsspec

    for protocol in ("gs", "gcs"):
        fsspec.register_implementation(protocol, "resources.gcs_files.ReadaheadGCSFileSystem", clobber=True)


def is_local(path) -> bool:
    """Whether a (U)Path is on the local file system (else an object store such as gs://)."""
    return getattr(path, "protocol", "") in ("", "file", "local")


def read_parquet(path):
    """One Parquet file as a polars frame (an object store's file is fetched whole first)."""
    import io

    import polars as pl  # here, not at the top: the CLI imports this module before it needs polars

    if is_local(path):
        return pl.read_parquet(os.fspath(path))
    return pl.read_parquet(io.BytesIO(path.read_bytes()))


def parquet_rows(path) -> int:
    """A Parquet file's row count from its footer (no data read; an object store's file is opened, not
    fetched whole). Raises what the read raises for a missing or unreadable file."""
    if not is_local(path):
        import pyarrow.parquet as pq

        with path.open("rb") as fh:
            return pq.ParquetFile(fh).metadata.num_rows
    import polars as pl  # pyarrow costs ~0.4 s to import; a CLI that reads footers has polars anyway

    return pl.scan_parquet(os.fspath(path)).select(pl.len()).collect().item()


def file_sha256(path) -> str:
    """sha256 of a file's bytes (local or object store), read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") if not is_local(path) else open(os.fspath(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
