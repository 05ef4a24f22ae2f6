"""`nba-lake ui`: `dagster dev` (webserver + daemons) on 127.0.0.1, after checking the port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from nba_assets.cli.commands import common as c
from resources.settings import PROJECT_ROOT


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _port_owner(port: int) -> str | None:
    """'pid 123 (cmdline)' of the process listening on `port` (Linux /proc; None when unknown)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            parts = ln.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"pid {proc.name} ({cmd[:80]})"
        except OSError:
            continue
    return None


def _next_free_port(port: int) -> int | None:
    return next((p for p in range(port + 1, port + 100) if p < 65536 and _port_free(p)), None)


def port_taken(port: int, command: str = "ui", what: str = "UI") -> c.CliError:
    """The error for a busy port on 127.0.0.1: who holds it and a free port to use instead."""
    owner = _port_owner(port)
    alt = _next_free_port(port)
    return c.CliError(
        f"port {port} on 127.0.0.1 is already in use" + (f" by {owner}" if owner else ""),
        (f"use a free port: nba-lake {command} --port {alt}" if alt else "pick another port with --port")
        + (f" (or stop that process if it is an old {what})" if owner else ""),
    )


@c.app.command()
def ui(
    port: Annotated[int, typer.Option(min=1, max=65535, help="port on 127.0.0.1")] = 3000,
) -> None:
    """Start the Dagster UI and daemons (dagster dev) on 127.0.0.1 and say where it is."""
    import httpx

    c.cli_settings()
    home = c.ensure_dagster_home()
    if not _port_free(port):
        raise port_taken(port)
    exe = Path(sys.executable).with_name("dagster")
    if not exe.exists():
        raise c.CliError(f"{exe} not found", "install the project: make setup")
    url = f"http://127.0.0.1:{port}"
    # dagster dev's own output (~130 lines at start: Beta/Preview notices for the features we chose,
    # a note that ./dagster.yaml is not DAGSTER_HOME's, every daemon's heartbeat) goes to a log file;
    # the terminal gets the lines that matter. --debug streams it here instead.
    log_path = home / "dagster_dev.log"
    c.console.print(f"starting Dagster UI + daemons on {url} (DAGSTER_HOME={home}; log: {log_path}) ...")
    log = None if c.DEBUG["on"] else open(log_path, "w")  # noqa: SIM115 (closed in finally)
    # A supervisor stops us with SIGTERM, a closed terminal with SIGHUP: both stop the tree as Ctrl-C does.
    previous = {sig: signal.getsignal(sig) for sig in (*_STOP_SIGNALS, signal.SIGINT)}
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    proc = None
    try:
        # Its own session, so stopping reaches the whole tree (dagster dev ignores a lone SIGINT at times).
        proc = subprocess.Popen(
            [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
        )
        t0 = time.monotonic()
        while proc.poll() is None:
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    c.console.print(f"[green]Dagster UI ready:[/green] {url}  ({time.monotonic() - t0:.0f}s; "
                                  "Ctrl-C to stop)")
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        rc = proc.wait()
        if rc:
            if log is not None:
                c.err_console.print(_tail(log_path), markup=False, highlight=False)
            raise c.CliError(f"dagster dev exited with code {rc}", f"the end of {log_path} is above; "
                             "re-run with --debug to see all its output", exit_code=1)
    except (KeyboardInterrupt, _Stop) as exc:
        for sig in (*_STOP_SIGNALS, signal.SIGINT):  # a second signal must not cut the stop short
            signal.signal(sig, signal.SIG_IGN)
        why = signal.Signals(exc.signum).name if isinstance(exc, _Stop) else "Ctrl-C"
        c.console.print(f"stopping the UI ({why}) ...")
        if proc is not None:
            left = stop_tree(proc)
            c.console.print("stopped" if not left else f"[red]still running after SIGKILL:[/red] {sorted(left)}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if log is not None:
            log.close()


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class _Stop(BaseException):  # as KeyboardInterrupt: no `except Exception` on the way may swallow it
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum, _frame) -> None:
    raise _Stop(signum)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc; empty elsewhere). dagster dev's webserver, daemon
    and code servers are its children; a run worker may start a session of its own, out of the group."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie serves nothing: it only waits to be reaped


# dagster dev in a session of its own ignores SIGINT and SIGTERM (it served on 25 s after both): a short
# grace for whatever does exit cleanly on SIGTERM, then SIGKILL for the rest; both within 10 s.
TERM_GRACE_S, KILL_WAIT_S = 3.0, 4.0


def stop_tree(proc: subprocess.Popen) -> set[int]:
    """SIGTERM `proc`'s process group, then SIGKILL the group and every descendant still alive
    (also those that left the group); returns the pids left running (none, normally)."""
    tree = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + TERM_GRACE_S
    while time.monotonic() < deadline and (proc.poll() is None or any(_alive(p) for p in tree)):
        tree |= descendants(proc.pid)
        time.sleep(0.1)
    tree |= descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_WAIT_S)
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.1)
    return {p for p in tree | {proc.pid} if _alive(p)}
