"""`alerts_sensor`: one message per incident to a person, and one when it is resolved.

Every tick it looks at what changed since its cursor and at what is true now:

- runs that failed for good (not about to be retried by the daemon): incident `run:<job>:<partition>`,
  resolved by the next successful run of the same job and partition;
- ERROR check evaluations that failed, one incident per day (`check:<asset>:<check>:<day>`), resolved
  by a passing evaluation covering that day; plus the WARN checks in ALERT_ON_WARN (a final game
  missing from one source: a source outage);
- the game-day run not succeeding within HEALTH_WINDOW, and tables not written within their freshness
  policy's fail window (the hours of nba_assets/tables.py that Dagster's policies use), both on the
  source clock (the sim clock when simulated, so a stall can be replayed). Dagster's own freshness
  state is not read: 1.13 offers it through GraphQL (a webserver) and no public Python API;
- sensors and schedules whose latest tick errored;
- a source recorded down for a day by a raw table (`outage:<source>:<day>`, sensors/outages.py),
  resolved when the day's raw tables are re-ingested from it;
- a source's remaining quota (the latest reading the landing zone holds) below NBA_LAKE_QUOTA_FLOOR,
  resolved by a reading back at or above it.

Incidents are kept open in the cursor: an incident still failing on the next tick sends nothing, so
a broken day does not page every 30 seconds. Net change per tick: an incident that opened and closed
between two ticks sends nothing. A message that could not be delivered stays pending in the cursor
and is retried on the next tick. Every successful game-day run also pings the heartbeat URL and is
recorded on `ops/pipeline_health` with the source-clock time (what `nba-lake health` reads).
"""

import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import dagster as dg

from checks.definitions import FINALS_IN_EVERY_SOURCE
from checks.health import (
    GAME_DAY_JOB,
    GAME_DAY_RUN_RECENT,
    HEALTH_WINDOW,
    PIPELINE_HEALTH,
    health_verdict,
    last_game_day_success,
    latest_writes,
    record_game_day_success,
)
from checks.per_day import RANGE_KEY
from nba_assets import tables as t
from nba_assets.partitions import ET
from resources.alerts import FIRING, RESOLVED, Alert, AlertsResource, now_iso
from resources.settings import quota_floor
from resources.sources import SourcesResource
from sensors.outages import recorded_outages, watched_days

SENSOR_NAME = "alerts_sensor"
INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS", "60"))
HISTORY_LIMIT = 100  # check evaluations read per check and tick (the first tick reads the backlog)
MAX_PENDING = 200  # undelivered messages kept for retry; older ones are dropped (and logged)
# WARN checks that still page: a final game missing from one source is how a source outage shows.
ALERT_ON_WARN = {(t.GAMES.label, FINALS_IN_EVERY_SOURCE)}
WILL_RETRY = "dagster/will_retry"
TEXT_LIMIT = 1500


# ----------------------------------------------------------------------------------- pure core
@dataclass(frozen=True)
class Event:
    """Something observed: an incident firing (alert) or a key passing again (resolve_why)."""

    key: str
    alert: Alert | None = None
    resolve_why: str | None = None


def reconcile(
    open_: dict[str, dict], events: Sequence[Event], now: str
) -> tuple[list[Alert], dict[str, dict]]:
    """Apply events in order to the open incidents; return the messages of the net change and the new set.

    A key opened and closed within `events` sends nothing; a key already open sends nothing again.
    """
    state = dict(open_)
    why: dict[str, str] = {}
    for e in events:
        if e.alert is not None:
            state.setdefault(e.key, asdict(e.alert))
        elif e.key in state:
            del state[e.key]
            why[e.key] = e.resolve_why or "passing again"
    messages = [Alert(**state[k]) for k in state if k not in open_]
    for k in open_:
        if k not in state:
            messages.append(Alert(**open_[k]).resolved(now, why.get(k, "passing again")))
    return messages, state


def _utc(ts: dt.datetime) -> dt.datetime:
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 20] + "\n… (truncated)"


# ----------------------------------------------------------------------------------------- runs
def _run_partition(tags: dict[str, str]) -> str:
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    return f"{start}..{end}" if start else "-"


def will_retry(tags: dict[str, str]) -> bool:
    """The daemon is about to retry this failed run (so it is not an incident yet)."""
    if WILL_RETRY in tags:
        return tags[WILL_RETRY] == "true"
    return int(tags.get("dagster/retry_number", "0")) < int(tags.get("dagster/max_retries", "0"))


def _run_error(instance: dg.DagsterInstance, run_id: str) -> str:
    lines = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)[:3]:
        ev = entry.dagster_event
        err = ev.step_failure_data.error if ev and ev.step_failure_data else None
        while err is not None and err.cause is not None:  # the user's exception, not Dagster's wrapper
            err = err.cause
        msg = (err.message.strip().splitlines() or ["?"])[0] if err else entry.message
        lines.append(f"{ev.step_key if ev else '?'}: {msg}")
    if not lines:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[:1]:
            lines.append(entry.message or "run failed")
    return _truncate("\n".join(lines) or "run failed")


def run_events(
    instance: dg.DagsterInstance, alerts: AlertsResource, records: Iterable, now: str
) -> list[Event]:
    out = []
    for rec in records:
        run = rec.dagster_run
        part = _run_partition(run.tags)
        key = f"run:{run.job_name}:{part}"
        if run.status == dg.DagsterRunStatus.SUCCESS:
            out.append(Event(key, resolve_why=f"run {run.run_id[:8]} of {run.job_name} succeeded"))
            continue
        if will_retry(run.tags):
            continue
        alert = Alert(
            key=key, kind="run_failure", status=FIRING,
            title=f"run of {run.job_name} failed ({part})",
            fields={
                "job": run.job_name, "partition": part, "run_id": run.run_id,
                "reason": run.tags.get("nba/reason", "-"),
                "retries": run.tags.get("dagster/retry_number", "0"),
                "error": _run_error(instance, run.run_id),
            },
            link=alerts.run_link(run.run_id), at=now,
        )
        out.append(Event(key, alert=alert))
    return out


# --------------------------------------------------------------------------------------- checks
def _meta_text(meta: dict, name: str) -> str | None:
    v = meta.get(name)
    if v is None:
        return None
    return str(getattr(v, "value", getattr(v, "text", v)))


def _expand_label(label: str | None) -> list[str]:
    """'2026-01-01..2026-01-03 (3 days)' or '2026-01-01' -> the ISO days it covers."""
    if not label:
        return []
    span = label.split(" ")[0]
    if ".." not in span:
        return [span]
    a, b = (dt.date.fromisoformat(x) for x in span.split(".."))
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def check_events(alerts: AlertsResource, records: Iterable, now: str) -> list[Event]:
    """Events from check execution records (ascending by storage id)."""
    out = []
    for rec in records:
        entry = rec.event
        if entry is None or entry.dagster_event is None:
            continue
        ev = entry.dagster_event.event_specific_data
        if not isinstance(ev, dg.AssetCheckEvaluation):
            continue
        table = "/".join(ev.asset_key.path)
        if (table, ev.check_name) == (t.PIPELINE_HEALTH.label, GAME_DAY_RUN_RECENT):
            continue  # the sensor evaluates the same rule itself (stale:game_day_run)
        meta = ev.metadata or {}
        if rec.partition is None and RANGE_KEY in meta:
            continue  # a range step's own record repeats its latest day's, which has its own record
        if ev.passed:
            days = [rec.partition] if rec.partition else _expand_label(_meta_text(meta, "evaluated_dates")) or ["-"]
            for d in days:
                out.append(Event(f"check:{table}:{ev.check_name}:{d}", resolve_why=f"{ev.check_name} passed for {d}"))
            continue
        error = ev.severity == dg.AssetCheckSeverity.ERROR
        if not error and (table, ev.check_name) not in ALERT_ON_WARN:
            continue
        failing = _meta_text(meta, "failing_dates")
        days = [rec.partition] if rec.partition else [
            d.strip() for d in (failing or "").split(",") if d.strip() and d.strip() != "none"
        ] or ["-"]
        offending = _meta_text(meta, "offending_sample") or _meta_text(meta, "rejects") or ""
        for d in days:
            alert = Alert(
                key=f"check:{table}:{ev.check_name}:{d}", kind="check_failed", status=FIRING,
                severity="error" if error else "warning",
                title=f"{'ERROR' if error else 'WARN'} check {ev.check_name} failed on {table} for {d}",
                fields={
                    "check": ev.check_name, "table": table, "day": d,
                    "summary": ev.description or _meta_text(meta, "summary") or "-",
                    "offending": _truncate(offending) or "-",
                    "run_id": rec.run_id,
                },
                link=alerts.asset_link(list(ev.asset_key.path), check=ev.check_name), at=now,
            )
            out.append(Event(alert.key, alert=alert))
    return out


# ------------------------------------------------------------------------------------ freshness
def observe_writes(
    seen: dict[str, list], writes: dict[str, tuple[int, float]], source_now: dt.datetime, wall_now: float
) -> dict[str, list]:
    """Pure: {table: [storage id, when it was written on the sources' clock (ISO)]}.

    A write not seen before is dated `source_now` minus its age on the wall clock: live, where the
    clocks agree, that is its own time; in the simulated league it puts the write on the simulated
    clock, so a compressed replay of a 30-hour stall ages the tables as the stall's own hours.
    """
    out = dict(seen)
    for table, (storage_id, wall_ts) in writes.items():
        if table in out and out[table][0] == storage_id:
            continue
        age = dt.timedelta(seconds=max(0.0, wall_now - wall_ts))
        out[table] = [storage_id, now_iso(source_now - age)]
    return out


def stale_events(
    alerts: AlertsResource,
    last_game_day: dt.datetime | None,
    source_now: dt.datetime,
    seen: dict[str, list],
    fail_hours: dict[str, float],
) -> list[Event]:
    """Pure: a stale game-day run, and tables not written within their freshness policy's fail window
    (nba_assets/tables.py FRESH_HOURS, the same hours Dagster's policies use), both on the sources' clock.

    While the game-day run is stale, that one incident stands for the tables it writes: they are not
    alerted one by one. A table alerts on its own when the runs succeed and it still goes unwritten.
    """
    out = []
    key = "stale:game_day_run"
    run_stale = False
    if last_game_day is not None:
        ok, text = health_verdict(last_game_day, source_now, HEALTH_WINDOW)
        run_stale = not ok
        if ok:
            out.append(Event(key, resolve_why=text))
        else:
            out.append(Event(key, alert=Alert(
                key=key, kind="stale", status=FIRING, title=f"pipeline stalled: {text}",
                fields={"last_success": now_iso(last_game_day), "now": now_iso(source_now),
                        "window_hours": f"{HEALTH_WINDOW.total_seconds() / 3600:g}"},
                link=alerts.asset_link(list(PIPELINE_HEALTH.path), check=GAME_DAY_RUN_RECENT),
                at=now_iso(source_now),
            )))
    for table, (_, at) in sorted(seen.items()):
        limit = fail_hours.get(table)
        if limit is None:
            continue
        key = f"stale:{table}"
        written = dt.datetime.fromisoformat(at)
        hours = (source_now - written).total_seconds() / 3600
        if hours <= limit:
            out.append(Event(key, resolve_why=f"{table} written {hours:.1f} h ago"))
        elif not run_stale:
            out.append(Event(key, alert=Alert(
                key=key, kind="stale", status=FIRING,
                title=f"{table} not written for {hours:.1f} h (freshness policy: {limit:g} h)",
                fields={"table": table, "last_write": now_iso(written)},
                link=alerts.asset_link(table.split("/")), at=now_iso(source_now),
            )))
    return out


# ---------------------------------------------------------------------------------------- quota
def quota_events(alerts: AlertsResource, quotas: dict[str, dict], floor: int, now: str) -> list[Event]:
    """Pure: a source whose latest quota reading (resources/quota.py) is below `floor` credits fires
    `quota:<source>`; a reading at or above it resolves it."""
    out = []
    for source, q in sorted(quotas.items()):
        remaining = q.get("remaining")
        if not isinstance(remaining, int):
            continue
        key = f"quota:{source}"
        if remaining >= floor:
            out.append(Event(key, resolve_why=f"{source} has {remaining:,} credits left (floor {floor:,})"))
            continue
        out.append(Event(key, alert=Alert(
            key=key, kind="quota", status=FIRING, severity="warning",
            title=f"{source} quota low: {remaining:,} credits left, below the floor of {floor:,}",
            fields={"source": source, "remaining": str(remaining), "used": str(q.get("used", "-")),
                    "floor": str(floor), "reported_at": str(q.get("at", "-"))},
            link=alerts.asset_link(list(t.PROP_LINES.key.path)), at=now,
        )))
    return out


# -------------------------------------------------------------------------------------- outages
def outage_events(alerts: AlertsResource, outages: dict, open_keys: Iterable[str], now: str) -> list[Event]:
    """Pure: one incident per (source, day) a raw table recorded down (sensors/outages.py); an open one
    no longer recorded (the day re-ingested from the source, or out of the window) is resolved."""
    out, current = [], set()
    for (source, day), tables in sorted(outages.items()):
        key = f"outage:{source}:{day}"
        current.add(key)
        labels = sorted(tb.label for tb in tables)
        out.append(Event(key, alert=Alert(
            key=key, kind="source_outage", status=FIRING, severity="warning",
            title=f"{source} down for {day}: {', '.join(labels)} written from what is landed, the other "
            "sources carry the day; it is re-ingested when the source answers",
            fields={"source": source, "day": day, "tables": ", ".join(labels)},
            link=alerts.asset_link(labels[0].split("/")), at=now,
        )))
    out += [Event(k, resolve_why=f"{k.split(':')[1]} answered: the day's raw tables re-ingested from it")
            for k in open_keys if k.startswith("outage:") and k not in current]
    return out


# ---------------------------------------------------------------------------------------- ticks
def tick_events(alerts: AlertsResource, ticks: dict[str, object], now: str) -> list[Event]:
    """`ticks`: instigator name -> its latest tick (or None)."""
    out = []
    for name, tick in sorted(ticks.items()):
        if tick is None or name == SENSOR_NAME:
            continue
        key = f"tick:{name}"
        status = tick.status.value
        if status == "FAILURE":
            err = tick.error.message.strip().splitlines()[0] if tick.error else "tick failed"
            out.append(Event(key, alert=Alert(
                key=key, kind="tick_error", status=FIRING, title=f"{name} is erroring",
                fields={"instigator": name, "error": _truncate(err)},
                link=f"{alerts.ui_url.rstrip('/')}/overview/automation", at=now,
            )))
        elif status in ("SUCCESS", "SKIPPED"):
            out.append(Event(key, resolve_why=f"{name} ticked {status.lower()}"))
    return out


# ---------------------------------------------------------------------------- instance readers
def latest_ticks(instance: dg.DagsterInstance) -> dict[str, object]:
    out = {}
    for state in instance.all_instigator_state():
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        out[state.instigator_name] = ticks[0] if ticks else None
    return out


def check_cursor(records: Sequence, after_id: int | None, in_flight) -> int | None:
    """Pure: the check cursor after reading `records` (ascending ids, all > `after_id`).

    A check execution's row is written when its step starts (status PLANNED) and updated in place when
    the evaluation lands, under the same id. So the cursor stops just below the first record still in
    flight: the next tick reads it again, with its result. (Moving past it lost every check that was
    running at a tick: its failure never alerted.) Records read again give the same incidents:
    `reconcile` applies them in order and sends only net changes.
    """
    pending = [r.id for r in records if in_flight(r)]
    if pending:
        return min(pending) - 1
    return max([r.id for r in records], default=after_id)


def in_flight(instance: dg.DagsterInstance):
    """A check record whose evaluation may still land: PLANNED, and its run not finished."""
    def test(rec) -> bool:
        if rec.status.value != "PLANNED":
            return False
        run = instance.get_run_by_id(rec.run_id)
        return run is not None and not run.is_finished

    return test


def check_records(instance: dg.DagsterInstance, check_keys: Iterable, after_id: int | None) -> list:
    storage = instance.event_log_storage
    recs = []
    for ck in check_keys:
        for rec in storage.get_asset_check_execution_history(ck, limit=HISTORY_LIMIT):
            if after_id is None or rec.id > after_id:
                recs.append(rec)
    return sorted(recs, key=lambda r: r.id)


# ---------------------------------------------------------------------------------------- sensor
def evaluate(
    instance: dg.DagsterInstance,
    alerts: AlertsResource,
    source_now: dt.datetime,
    check_keys: Iterable,
    tables: Iterable[t.Table],
    cursor: dict,
    quotas: dict[str, dict] | None = None,
    quota_floor: int = 0,
) -> tuple[list[Alert], dict]:
    """One tick: observe, reconcile, send, ping; returns (messages delivered, new cursor). `quotas`: each
    source's latest quota reading (LandingZone.quotas), alerted below `quota_floor` credits."""
    now = now_iso(source_now)
    runs_after = cursor.get("runs_after")
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS],
            updated_after=dt.datetime.fromisoformat(runs_after) if runs_after else None,
        ),
        order_by="update_timestamp",
        ascending=True,
    )
    successes = [
        r.dagster_run for r in records
        if r.dagster_run.job_name == GAME_DAY_JOB and r.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    ]
    if runs_after is None:
        successes = successes[-1:]  # first tick on an existing instance: the latest run, not the history
    for run in successes:
        record_game_day_success(instance, run.run_id, source_now, alerts.heartbeat(run.run_id))
    events = run_events(instance, alerts, records, now)
    crecs = check_records(instance, check_keys, cursor.get("check_id"))
    events += check_events(alerts, crecs, now)
    monitored = [tb for tb in tables if tb.fresh_hours is not None]
    seen = observe_writes(cursor.get("seen", {}), latest_writes(instance, monitored), source_now,
                          dt.datetime.now(dt.UTC).timestamp())
    events += stale_events(alerts, last_game_day_success(instance), source_now, seen,
                           {tb.label: tb.fresh_hours[1] for tb in monitored})
    events += tick_events(alerts, latest_ticks(instance), now)
    outages = recorded_outages(instance, watched_days(source_now.astimezone(ET).date()))
    events += outage_events(alerts, outages, cursor.get("open", {}), now)
    events += quota_events(alerts, quotas or {}, quota_floor, now)
    messages, open_ = reconcile(cursor.get("open", {}), events, now)

    pending = [Alert(**a) for a in cursor.get("pending", [])] + messages
    delivered, undelivered = [], []
    for alert in pending:
        (undelivered if alerts.send(alert) else delivered).append(alert)
    new_cursor = {
        "open": open_,
        "pending": [asdict(a) for a in undelivered[-MAX_PENDING:]],
        "runs_after": max([_utc(r.update_timestamp).isoformat() for r in records], default=runs_after),
        "check_id": check_cursor(crecs, cursor.get("check_id"), in_flight(instance)),
        "seen": seen,
    }
    return delivered, new_cursor


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Sends one alert per incident (failed run after retries, ERROR check failing on a day, stale "
        "game-day run or a table past its freshness policy, erroring sensor/schedule, a source down for a "
        "day, a source's quota below NBA_LAKE_QUOTA_FLOOR) and a 'resolved' message when it passes "
        "again; pings the heartbeat URL after every successful game-day run."
    ),
)
def alerts_sensor(context: dg.SensorEvaluationContext, alerts: AlertsResource, sources: SourcesResource):
    graph = context.repository_def.asset_graph
    present = set(graph.get_all_asset_keys())
    tables = [tb for tb in t.ALL if tb.key in present]
    cursor = json.loads(context.cursor) if context.cursor else {}
    sent, new_cursor = evaluate(context.instance, alerts, sources.now(), graph.asset_check_keys, tables, cursor,
                                quotas=sources.landing().quotas(), quota_floor=quota_floor())
    context.update_cursor(json.dumps(new_cursor, sort_keys=True))
    if sent:
        context.log.info("sent: " + "; ".join(f"{a.status} {a.key}" for a in sent))
    open_n = len(new_cursor["open"])
    return dg.SkipReason(f"{len(sent)} message(s) sent, {open_n} incident(s) open")


__all__ = ["alerts_sensor", "evaluate", "reconcile", "RESOLVED", "FIRING"]
