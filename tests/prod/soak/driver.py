"""Runs a soak plan (plan.py) on the topology (topology.py): moves the sim clock, waits for what the
daemon launches, injects the faults, prints the timeline, then asserts the pass criteria and prints
one line of figures ending in OK or FAIL.

Pass criteria (each one checked, each failure named):
- every alert at the receiver fired exactly once and resolved exactly once, and the incidents the
  runbook promises for what the plan does (the late boxscore's failing completeness check) are among them;
- the heartbeat was pinged for every successful game-day run;
- no run is STARTED/STARTING/CANCELING (or queued) once the monitoring interval has passed after the end;
- every day the plan expects is in the bucket, in BigQuery with the same row count per table and day,
  and materialized in Dagster: bucket, BigQuery and Dagster agree on every (table, day).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import dagster as dg

from nba_assets.partitions import ET
from tests.prod.soak.topology import Topology

ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
STUCK = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


class SoakFailure(AssertionError):
    pass


@dataclass
class Fault:
    name: str
    started: float  # wall (monotonic) when injected
    alert_s: float | None = None  # fault -> first alert it caused (None: pages nobody, per the runbook)
    detected_s: float | None = None  # fault -> Dagster marked what it broke (a lost run failed)
    recovered_s: float | None = None  # fault -> what it broke is whole again
    note: str = ""
    pages: str = ""  # a part of the alert keys this fault causes, when known (alerts go to it first)


@dataclass
class Driver:
    topo: Topology
    timeout_s: float = 600.0  # per wait
    t0: float = field(default_factory=time.monotonic)
    timeline: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    expected_alerts: set[str] = field(default_factory=set)
    expected_days: dict[str, set[str]] = field(default_factory=dict)  # table label -> days
    arrivals: list[tuple[float, dict]] = field(default_factory=list)  # (wall, webhook payload) as received

    # ------------------------------------------------------------------------------------ plumbing
    def __post_init__(self) -> None:
        from resources.sim import SimClock

        self.clock = SimClock(self.topo.sim_state)
        self._stop = False
        self._seen = 0
        self._watch = threading.Thread(target=self._watch_receiver, daemon=True)

    def instance(self) -> dg.DagsterInstance:
        if not hasattr(self, "_instance"):
            self._instance = dg.DagsterInstance.from_config(str(self.topo.home))
        return self._instance

    def _watch_receiver(self) -> None:
        """Stamp each webhook message with the wall time it arrived (the receiver keeps no times)."""
        while not self._stop:
            reqs = self.topo.receiver.requests
            while self._seen < len(reqs):
                r = reqs[self._seen]
                self._seen += 1
                if r.path.endswith("/webhook"):
                    body = r.json()
                    self.arrivals.append((time.monotonic(), body))
                    self.say(f"ALERT {body.get('event')} {body.get('key')}: {body.get('title')}")
            time.sleep(0.2)

    def wall(self, at: float | None = None) -> float:
        return (time.monotonic() if at is None else at) - self.t0

    def say(self, text: str) -> None:
        sim = self.clock.now().astimezone(ET)
        line = f"{self.wall():7.1f}s  sim {sim:%m-%d %H:%M} ET  {text}"
        self.timeline.append(line)
        print(line, flush=True)

    def set_clock(self, ts: dt.datetime, why: str) -> None:
        self.clock.set(ts)
        self.say(f"sim clock -> {ts.astimezone(ET):%Y-%m-%d %H:%M} ET ({why})")

    def wait(self, what: str, cond, timeout: float | None = None, every: float = 1.0):
        deadline = time.monotonic() + (timeout or self.timeout_s)
        last_err = None
        while time.monotonic() < deadline:
            try:
                got = cond()
            except Exception as exc:  # noqa: BLE001 - Postgres restarting, a process starting: try again
                got, last_err = None, exc
            if got:
                return got
            time.sleep(every)
        tails = "\n".join(f"--- {n}\n{self.topo.log_tail(n, 1500)}" for n in ("daemon", "code-server"))
        raise SoakFailure(f"timed out waiting for {what} (last error: {last_err!r})\n{tails}")

    # ----------------------------------------------------------------------------------------- runs
    def runs(self, **tags: str) -> list[dg.DagsterRun]:
        return list(self.instance().get_runs(dg.RunsFilter(tags=tags) if tags else None))

    def chain_status(self, run: dg.DagsterRun) -> dg.DagsterRunStatus:
        """The status of the newest run of `run`'s retry chain (itself, or the daemon's retries of it)."""
        return self._chain(run)[-1].status

    def _chain(self, run: dg.DagsterRun) -> list[dg.DagsterRun]:
        """`run` and the daemon's retries of it, as stored now, oldest first."""
        root = run.tags.get("dagster/root_run_id", run.run_id)
        chain = [self.instance().get_run_by_id(root)] + self.runs(**{"dagster/root_run_id": root})
        return sorted(chain, key=self._created)

    def _created(self, run: dg.DagsterRun) -> float:
        rec = self.instance().get_run_record_by_id(run.run_id)
        return rec.create_timestamp.timestamp() if rec else 0.0

    def new_runs(self, since_wall: float, job: str | None = None, **tags: str) -> list[dg.DagsterRun]:
        """Runs created since `since_wall` (first attempts: not the daemon's retries), of `job` when given."""
        after = time.time() - (time.monotonic() - since_wall)
        return [r for r in self.runs(**tags) if self._created(r) >= after - 1 and "dagster/parent_run_id" not in r.tags
                and (job is None or r.job_name == job)]

    def await_runs(self, what: str, since: float, n: int, **tags: str) -> list[dg.DagsterRun]:
        runs = self.wait(f"{what}: {n} run(s) launched", lambda: (r := self.new_runs(since, **tags)) and len(r) >= n and r)
        self.say(f"{what}: launched " + ", ".join(f"{r.run_id[:8]} ({r.tags.get('dagster/partition')}, "
                                                  f"{r.tags.get('nba/reason', '-')})" for r in runs))
        return runs

    def await_success(self, what: str, runs: list[dg.DagsterRun]) -> None:
        def done():
            states = [self.chain_status(r) for r in runs]
            bad = [r.run_id[:8] for r, s in zip(runs, states, strict=True) if s == dg.DagsterRunStatus.FAILURE
                   and not self._will_retry(r)]
            if bad:
                raise SoakFailure(f"{what}: run(s) {bad} failed for good")
            return all(s == dg.DagsterRunStatus.SUCCESS for s in states)

        self.wait(f"{what} to succeed", done)
        self.say(f"{what}: succeeded")

    def _will_retry(self, run: dg.DagsterRun) -> bool:
        latest = self._chain(run)[-1]
        return latest.tags.get("dagster/will_retry") != "false" and int(latest.tags.get("dagster/retry_number", "0")) < 2

    def worker_pid(self, run_id: str) -> int | None:
        for entry in self.instance().all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            data = entry.dagster_event.event_specific_data if entry.dagster_event else None
            pid = (getattr(data, "metadata", None) or {}).get("pid")
            if pid is not None:
                return int(pid.value)
        return None

    def in_a_step(self, run: dg.DagsterRun) -> int | None:
        """The worker pid once `run` is STARTED and inside a step (None before)."""
        r = self.instance().get_run_by_id(run.run_id)
        if r.status != dg.DagsterRunStatus.STARTED:
            return None
        if not self.instance().all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START):
            return None
        return self.worker_pid(run.run_id)

    def lost_run_recovery(self, fault: Fault, run: dg.DagsterRun) -> None:
        """Wait for the broken run to be failed by run monitoring and its retry to succeed."""
        def failed():
            r = self.instance().get_run_by_id(run.run_id)
            return r.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED) and r

        r = self.wait(f"run {run.run_id[:8]} to be marked failed", failed)
        fault.detected_s = time.monotonic() - fault.started
        self.say(f"{fault.name}: run {run.run_id[:8]} marked {r.status.value} after {fault.detected_s:.0f} s")
        self.await_success(f"{fault.name}: the retry of {run.run_id[:8]}", [run])
        fault.recovered_s = time.monotonic() - fault.started

    def quiet(self, settle_s: float) -> bool:
        """No run queued or in flight, and none created within `settle_s`."""
        if self.instance().get_runs(dg.RunsFilter(statuses=ACTIVE), limit=1):
            return False
        recs = self.instance().get_run_records(limit=1, order_by="create_timestamp", ascending=False)
        return not recs or time.time() - recs[0].create_timestamp.timestamp() > settle_s

    # --------------------------------------------------------------------------------------- faults
    def fault(self, name: str, note: str = "") -> Fault:
        f = Fault(name, time.monotonic(), note=note)
        self.faults.append(f)
        self.say(f"FAULT {name}{': ' + note if note else ''}")
        return f

    def kill_worker(self, run: dg.DagsterRun) -> Fault:
        pid = self.wait(f"run {run.run_id[:8]} inside a step", lambda: self.in_a_step(run), every=0.3)
        time.sleep(1.0)
        f = self.fault("worker_sigkill", f"SIGKILL run worker pid {pid} of run {run.run_id[:8]} mid-step")
        os.kill(pid, signal.SIGKILL)
        return f

    # ---------------------------------------------------------------------------------------- start
    def start(self) -> None:
        if self.topo.settings.clean_env:
            took = self.topo.install()
            self.say(f"installed from uv.lock as the image does (no dev extra, the project as a wheel) into "
                     f"{self.topo.bin.parent} in {took:.0f}s; the deployment runs from there, outside the work tree")
        self.topo.start_services()
        self._watch.start()
        self.say(f"services up: PostgreSQL :{self.topo.pg.port}, GCS via 503 proxy {self.topo.proxy.url}, "
                 f"BigQuery :{self.topo.bq_port}, receiver {self.topo.receiver.url}; logs {self.topo.logs}")

    def start_deployment(self) -> None:
        from nba_assets.dagster_internals.private_api import sensor_has_ticked

        self.topo.start_deployment()
        self.wait("the code server", self.topo.code_server_up, every=0.5)
        self.say("code server, webserver, daemon started")
        for name in ("game_day_sim_sensor", "alerts_sensor"):
            self.wait(f"the first tick of {name}", lambda n=name: sensor_has_ticked(self.instance(), n), every=0.5)
        self.say("first ticks of game_day_sim_sensor and alerts_sensor recorded")

    def close(self) -> None:
        self._stop = True
        if hasattr(self, "_instance"):
            self._instance.dispose()
        self.topo.close()
