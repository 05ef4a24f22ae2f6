"""`nba-lake ui` stopped the way a supervisor (SIGTERM) or a closed terminal (SIGHUP) stops it: the
real command on a free loopback port, and every process below it gone within 10 s."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from nba_assets.cli.commands.ui import _alive, descendants
from tests.conftest import SIM_NOW

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 240  # dagster dev loads the code location in each of its processes; slow on a busy box
STOP_BUDGET_S = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_ui_stops_its_whole_process_tree(sig, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBA_LAKE_", "PYTEST_"))}
    env |= {"DAGSTER_HOME": str(tmp_path / "home"), "NBA_LAKE_DATA_DIR": str(tmp_path / "data"),
            "NBA_LAKE_SOURCE": "sim", "NBA_LAKE_SIM_NOW": SIM_NOW.isoformat()}
    log = tmp_path / "ui.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(BIN / "nba-lake"), "ui", "--port", str(port)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"the UI was not up in {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}"
            time.sleep(1)
        tree = descendants(proc.pid)
        assert len(tree) >= 3, tree  # dagster dev, its webserver and its daemon at least
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=STOP_BUDGET_S)
        while any(_alive(p) for p in tree) and time.monotonic() - t0 < STOP_BUDGET_S:
            time.sleep(0.1)
        elapsed = time.monotonic() - t0
        left = sorted(p for p in tree if _alive(p))
        assert not left, f"still running {elapsed:.1f} s after {sig.name}: {left}\n{log.read_text()[-2000:]}"
        assert elapsed <= STOP_BUDGET_S
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=2)
        assert f"stopping the UI ({sig.name})" in log.read_text()
    finally:
        for pid in [proc.pid, *tree]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
