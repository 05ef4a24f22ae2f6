"""`WorkerCheckingRunLauncher`: Dagster's default run launcher plus the worker health check run
monitoring needs (deploy/dagster.prod.yaml: `run_launcher` and `run_monitoring`).

The default launcher starts each run as a subprocess of the gRPC code server and has no worker health
check, so the run monitoring daemon cannot tell a dead run worker from a live one. The code server
itself fails a run whose subprocess exits while the server lives (its cleanup thread, every 0.5 s);
what nobody caught is a worker lost with its code server (the server killed or restarted mid-run): the
new server has never heard of the run, and the run stayed STARTED for ever.

This launcher looks the run worker's process up: the run's first engine event records the pid of the
process executing its steps (in-process and multiprocess executors alike). A pid that no longer exists
on this host means the worker is gone: FAILED, so the monitoring daemon fails the run within its poll
interval and run retries apply. It needs the daemon to see the code server's processes: one host, or
in docker compose the daemon sharing the code server's PID namespace (`pid: "service:code-server"`,
deploy/docker-compose.yaml). (Asking the code server over gRPC does not work: `dagster code-server
start` runs a proxy that does not answer `GetCurrentRuns`, and after a code reload the new server does
not know the runs the old one still executes.) On Kubernetes the K8sRunLauncher's own check (the run's
Job status) does this instead.

Dagster-private members used (pinned to dagster 1.13 like the rest of this package):
`dagster._core.launcher.{DefaultRunLauncher, CheckRunHealthResult, WorkerStatus}`.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def worker_status(pid: int | None, alive) -> tuple[str, str]:
    """Pure: (status, why) of a STARTED run whose worker recorded `pid` (None: not recorded yet)."""
    if pid is None:
        return "RUNNING", "no worker pid recorded yet"
    if alive(pid):
        return "RUNNING", f"run worker pid {pid} is alive"
    return "FAILED", f"run worker pid {pid} is gone (killed, or lost with its code server)"


class WorkerCheckingRunLauncher(DefaultRunLauncher):
    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        status, why = worker_status(self._worker_pid(run.run_id), pid_alive)
        if status == "FAILED":
            latest = self._instance.get_run_by_id(run.run_id)
            if latest is not None and latest.is_finished:  # it finished between the two reads
                return CheckRunHealthResult(WorkerStatus.SUCCESS, "finished")
        return CheckRunHealthResult(WorkerStatus[status], why)

    def _worker_pid(self, run_id: str) -> int | None:
        for entry in self._instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            data = entry.dagster_event.event_specific_data if entry.dagster_event else None
            pid = (getattr(data, "metadata", None) or {}).get("pid")
            if pid is not None:
                return int(pid.value)
        return None
