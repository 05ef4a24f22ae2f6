"""Run one measured subprocess: wall time from spawn to exit, peak RSS of its whole process tree.

The RSS is sampled every 0.2 s from /proc: the sum of the resident sets of the process and every
descendant alive at that moment (LightGBM's threads are in the process; anything it forks is
counted too). A descendant that shares its parent's memory is counted once: Python's `subprocess`
starts a child with vfork, so until the child execs (Dagster starts `tail` and a log poller for each
run's compute logs) /proc shows it with its parent's whole resident set (kcmp(2) KCMP_VM tells).
A sample can miss a spike shorter than the interval; the workers also report their own `ru_maxrss`
(a per-process high-water mark) beside it.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
SAMPLE_S = 0.2


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


_SYS_KCMP, _KCMP_VM = 312, 1  # x86_64
_LIBC = ctypes.CDLL(None, use_errno=True)


def shares_memory(a: int, b: int) -> bool:
    """Whether processes `a` and `b` have one address space (a vfork child and its parent before the
    child execs). False when the kernel cannot say (no kcmp, no permission)."""
    return _LIBC.syscall(_SYS_KCMP, a, b, _KCMP_VM, 0, 0) == 0


def tree_rss_mb(pid: int) -> float:
    """Resident MB of `pid` and all its descendants right now (0 when it is gone), each address space
    once."""
    kids = _children_map()
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        children = kids.get(p, ())
        todo.extend(c for c in children if not shares_memory(p, c))
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_MB
        except OSError:
            pass
    return total


@dataclass
class Measured:
    cmd: list[str]
    returncode: int
    seconds: float
    peak_tree_rss_mb: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    log: str  # where stdout + stderr went

    def as_dict(self) -> dict:
        return {
            "cmd": " ".join(self.cmd), "returncode": self.returncode, "seconds": round(self.seconds, 3),
            "peak_tree_rss_mb": round(self.peak_tree_rss_mb, 1),
            "load_before": [round(x, 2) for x in self.load_before],
            "load_after": [round(x, 2) for x in self.load_after], "log": self.log,
        }


def run_measured(cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float | None = None) -> Measured:
    """Run `cmd` to completion (output to `log`), timing it and sampling its process tree's RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0.0
    load_before = os.getloadavg()
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss_mb(proc.pid))
                stop.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        seconds = time.perf_counter() - t0
        stop.set()
        sampler.join()
    return Measured(cmd, rc, seconds, peak, load_before, os.getloadavg(), str(log))
