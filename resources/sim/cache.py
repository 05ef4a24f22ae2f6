"""A generated season kept on disk, so a new process reads the simulated league instead of generating it.

Generating a season (rosters, games, faults, prop snapshots) takes seconds, and every new process that
serves the sim generates again: each CLI command, each daemon run worker, each test that starts one.
The frames are a pure function of the league's configuration and the sim's code, so a season is stored
once under a key made of both (`SimConfig`'s repr and a hash of every `resources/sim/*.py`) and read
back from then on: changing the seed, the faults or any line of the sim's code gives a new key.

Where: `resources.settings.sim_cache_root()` (`NBA_LAKE_SIM_CACHE`; `off` disables it). A season is written to a temporary folder and renamed into place whole, so two
processes generating the same season at once both succeed and a reader never sees half of one. The cache
is only ever a shortcut: a folder that cannot be read or written means the season is generated, as
without it. tests/unit/test_sim_cache.py: the read frames equal the generated ones, schema included.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import uuid
from pathlib import Path

import polars as pl

_DONE = "complete"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the sim's source: any change to how a season is generated changes the key."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def season_dir(root: Path, config: object, season_year: int) -> Path:
    key = hashlib.sha256(f"{config!r}|{code_version()}".encode()).hexdigest()[:20]
    return root / f"{season_year}-{key}"


def load(
    root: Path | None, config: object, season_year: int, names: list[str]
) -> dict[str, pl.DataFrame] | None:
    """The season's frames `names` as stored, or None (no cache, not stored yet, unreadable)."""
    if root is None:
        return None
    folder = season_dir(root, config, season_year)
    if not (folder / _DONE).exists():
        return None
    try:
        return {name: pl.read_parquet(folder / f"{name}.parquet") for name in names}
    except Exception:  # a damaged entry: generate instead (and leave the entry for a person to see)
        return None


def store(root: Path | None, config: object, season_year: int, frames: dict[str, pl.DataFrame]) -> None:
    if root is None:
        return
    folder = season_dir(root, config, season_year)
    if folder.exists():
        return
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        for name, frame in frames.items():
            frame.write_parquet(tmp / f"{name}.parquet")
        (tmp / _DONE).write_text("")
        os.rename(tmp, folder)  # whole or not at all; another process may have won the race
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
