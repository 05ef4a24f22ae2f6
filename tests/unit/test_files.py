"""Temp files of killed writers are swept; those of live writers and every real file are kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from resources import files
from resources.files import STALE_AFTER_S, sweep_before_write, sweep_stale_temps, temp_path


def test_sweep_removes_temps_of_dead_writers_and_old_ones_only(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)
    names = {
        "mine": os.path.basename(temp_path(tmp_path / "2025-12-01.parquet")),  # this (live) process
        "dead": f".2025-12-02.parquet.{dead_pid}.0123456789abcdef.tmp",
        "legacy_old": ".abcdef0123456789.json.1a2b3c4d.tmp",  # no pid: the age decides
        "legacy_new": ".fedcba9876543210.json.5e6f7a8b.tmp",
        "data": "2025-12-01.parquet",
        "manifest": "_manifest.jsonl",
    }
    for n in names.values():
        (tmp_path / n).write_bytes(b"x")
    old = time.time() - STALE_AFTER_S - 10
    os.utime(tmp_path / names["legacy_old"], (old, old))

    removed = sweep_stale_temps(tmp_path)

    assert sorted(removed) == sorted([names["dead"], names["legacy_old"]])
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {names[k] for k in ("mine", "legacy_new", "data", "manifest")}
    assert sweep_stale_temps(tmp_path / "missing") == []


def test_temp_names_never_match_the_readers_globs(tmp_path):
    name = os.path.basename(temp_path(tmp_path / "2025-12-01.parquet"))
    assert name.startswith(".") and name.endswith(".tmp") and f".{os.getpid()}." in name


def test_a_writer_sweeps_a_folder_at_its_first_write_then_at_most_once_a_minute(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(files.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(files, "_last_sweep", {})
    left = tmp_path / ".2025-12-02.parquet.1.0123456789abcdef.tmp"

    def killed_writer_leaves_a_temp() -> None:
        left.write_bytes(b"x")
        old = time.time() - STALE_AFTER_S - 10
        os.utime(left, (old, old))

    killed_writer_leaves_a_temp()
    sweep_before_write(tmp_path)  # the process's first write here: swept
    assert not left.exists()
    killed_writer_leaves_a_temp()
    clock[0] += files.SWEEP_EVERY_S - 1
    sweep_before_write(tmp_path)  # within the minute: not listed again
    assert left.exists()
    clock[0] += 1
    sweep_before_write(tmp_path)
    assert not left.exists()
    sweep_before_write(tmp_path / "missing")  # a folder not there yet: nothing to sweep
