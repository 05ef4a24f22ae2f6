"""One small materialized lake + a `dagster-webserver` on loopback, shared by the e2e tests.

The stack is built once per test session: a tmp data dir and DAGSTER_HOME (the repo's dagster.yaml
copied in, UI-launched runs start at once: no daemon), a `nba-lake backfill` of raw then analytics for E2E_DAYS on the sim league at a fixed
sim clock (so runs and check results are in the instance), `grading/season_report` materialized
(its plots are inline markdown images), then `dagster-webserver` in its own process group.

`make test` runs pytest-xdist with `--dist load`, so the e2e tests may land on both workers. They
share one stack through a state folder beside the workers' base temp dirs: a file lock guards
building it; every worker that collected e2e tests registers its pid, and the last registered worker
to finish its session stops the webserver (SIGTERM to its process group, SIGKILL after 15 s).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from nba_assets import tables
from nba_assets.history import DEFAULT_FIRST_GAME_DATE

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# A week with one fault day: the seed-7 sim withholds a boxscore of 2025-12-10 past E2E_SIM_NOW and
# posts no prop lines for one of its games (tests/assets/test_fault_checks.py).
E2E_START, E2E_END = "2025-12-04", "2025-12-10"
E2E_DAYS = [f"2025-12-{d:02d}" for d in range(4, 11)]
FAULT_DAY = "2025-12-10"
E2E_SIM_NOW = "2025-12-12T17:00:00+00:00"
SERVER_READY_TIMEOUT = 180.0
STEP_TIMEOUT = 420.0


@dataclass(frozen=True)
class E2EStack:
    base_url: str
    data_dir: Path
    dagster_home: Path
    env: dict[str, str]
    log_dir: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        res = httpx.post(
            f"{self.base_url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        res.raise_for_status()
        body = res.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


def _state_dir(tmp_path_factory: pytest.TempPathFactory, create: bool = True) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has base/<run>/popen-gwN; the run folder is shared by the workers.
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    d = root / "nba_e2e"
    if create:
        d.mkdir(exist_ok=True)
    return d


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    with open(state / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NBA_LAKE_"))}
    env.update(
        DAGSTER_HOME=str(state / "dagster_home"),
        NBA_LAKE_DATA_DIR=str(state / "data"),
        NBA_LAKE_SOURCE="sim",
        NBA_LAKE_SIM_NOW=E2E_SIM_NOW,
        NBA_LAKE_FIRST_GAME_DATE=DEFAULT_FIRST_GAME_DATE,  # as `make demo` (the README tour)
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


# Children this worker started, kept referenced so a running one is never garbage-collected (and
# warned about) before it is stopped.
_CHILDREN: dict[int, subprocess.Popen] = {}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `args` in the repo root in its own session (= process group), output to `log`."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    _CHILDREN[proc.pid] = proc
    return proc


def _wait(proc: subprocess.Popen, what: str, log: Path) -> None:
    try:
        rc = proc.wait(timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop_group(proc.pid)
        raise RuntimeError(f"{what} timed out after {STEP_TIMEOUT:.0f}s; log tail:\n{_tail(log)}") from None
    _CHILDREN.pop(proc.pid, None)
    if rc != 0:
        raise RuntimeError(f"{what} exited {rc}; log tail:\n{_tail(log)}")


def _stop_group(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the process group (the webserver exits cleanly on it), SIGKILL whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        if pid in _CHILDREN:
            _CHILDREN[pid].poll()  # reaps it when we are its parent
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        proc.wait(timeout=grace)


def _webserver_args(port: int) -> list[str]:
    return [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]


def _build_lake_and_start(state: Path) -> dict:
    env = _env(state)
    home = state / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    # No daemon here (it would start the schedules and automation on the test lake): a run launched
    # from the UI (the README tour's one-day materialization) starts at once instead of being queued.
    with open(home / "dagster.yaml", "a") as fh:
        fh.write("\nrun_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n")
    (state / "data").mkdir(exist_ok=True)
    logs = state / "logs"
    logs.mkdir(exist_ok=True)
    t0 = time.monotonic()
    backfill = [str(BIN / "nba-lake"), "backfill", "--start", E2E_START, "--end", E2E_END, "--select"]
    # raw first (analytics reads it; it also creates the instance's sqlite storage) ...
    raw_log = logs / "backfill_raw.log"
    _wait(_spawn([*backfill, "raw"], env, raw_log), "backfill raw", raw_log)
    # ... then analytics, the season report and the webserver side by side.
    port = _free_port()
    web_log = logs / "webserver.log"
    web = _spawn(_webserver_args(port), env, web_log)
    info = {"pid": web.pid, "port": port}
    (state / "server.json").write_text(json.dumps(info))
    try:
        analytics = _spawn([*backfill, "analytics"], env, logs / "backfill_analytics.log")
        report_log = logs / "season_report.log"
        report = _spawn(
            [str(BIN / "dagster"), "asset", "materialize", "-m", "nba_assets.definitions", "-d", str(REPO),
             "--select", tables.SEASON_REPORT.label],
            env, report_log,
        )  # fmt: skip
        _wait(analytics, "backfill analytics", logs / "backfill_analytics.log")
        _wait(report, "materialize grading/season_report", report_log)
        _wait_ready(f"http://127.0.0.1:{port}", web.pid, web_log)
    except BaseException:
        _stop_group(web.pid)
        (state / "server.json").unlink(missing_ok=True)
        raise
    (state / "built.json").write_text(json.dumps({"seconds": round(time.monotonic() - t0, 1)}))
    return info


def _wait_ready(url: str, pid: int, log: Path) -> None:
    deadline = time.monotonic() + SERVER_READY_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise RuntimeError(f"dagster-webserver exited; log tail:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"dagster-webserver not ready after {SERVER_READY_TIMEOUT:.0f}s; log:\n{_tail(log)}")


def _start_server_only(state: Path) -> dict:
    port = _free_port()
    web_log = state / "logs" / f"webserver_{port}.log"
    web = _spawn(_webserver_args(port), _env(state), web_log)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", web.pid, web_log)
    except BaseException:
        _stop_group(web.pid)
        raise
    return {"pid": web.pid, "port": port}


def _read_json(path: Path, default):
    return json.loads(path.read_text()) if path.exists() else default


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every worker that may run an e2e test registers, so the stack outlives the first one to finish."""
    if not any(item.get_closest_marker("e2e") for item in session.items):
        return
    state = _state_dir(session.config._tmp_path_factory)  # what the tmp_path_factory fixture returns
    with _locked(state):
        workers = _read_json(state / "workers.json", [])
        (state / "workers.json").write_text(json.dumps([*workers, os.getpid()]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The last registered worker to finish stops the webserver (SIGTERM to its group, then SIGKILL)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    state = _state_dir(factory, create=False)
    if not (state / "workers.json").exists():
        return  # this session registered no e2e worker
    with _locked(state):
        workers = [p for p in _read_json(state / "workers.json", []) if p != os.getpid() and _alive(p)]
        (state / "workers.json").write_text(json.dumps(workers))
        info = _read_json(state / "server.json", None)
        if not workers and info is not None:
            _stop_group(info["pid"])
            (state / "server.json").unlink()


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> E2EStack:
    state = _state_dir(tmp_path_factory)
    with _locked(state):
        failed = state / "build_failed.txt"
        if failed.exists():
            pytest.fail(f"the e2e lake failed to build (in another worker):\n{failed.read_text()}")
        info = _read_json(state / "server.json", None)
        try:
            if not (state / "built.json").exists():
                info = _build_lake_and_start(state)
            elif info is None or not _alive(info["pid"]):
                info = _start_server_only(state)
        except RuntimeError as exc:
            failed.write_text(str(exc))
            raise
        (state / "server.json").write_text(json.dumps(info))
    return E2EStack(
        base_url=f"http://127.0.0.1:{info['port']}",
        data_dir=state / "data",
        dagster_home=state / "dagster_home",
        env=_env(state),
        log_dir=state / "logs",
    )
