"""What the soak does, at which sim time: the full game day (`make soak`) and the short one (`make test`).

The simulated league's first game days: Y = 2025-10-21 (opening night, 2 games: the deployment's first
morning), D = 2025-10-22 (9 games, tip-offs from 19:00 ET: the game day), N = 2025-10-23 (its next morning). Every run is launched by the daemon (game_day_sim_sensor,
slate_refresh_sensor, late_boxscore_sensor, automation, run retries); the soak only moves the sim clock,
injects faults and watches.
"""

from __future__ import annotations

import datetime as dt
import time

import dagster as dg
import polars as pl

from checks.definitions import FINALS_HAVE_BOXSCORES, FINALS_IN_EVERY_SOURCE
from nba_assets import jobs, tables
from nba_assets.partitions import ET
from tests.prod.soak import criteria
from tests.prod.soak.driver import Driver, Fault, SoakFailure
from tests.prod.soak.topology import Settings, Topology

Y, D, N = dt.date(2025, 10, 21), dt.date(2025, 10, 22), dt.date(2025, 10, 23)
GAME_DAY = {"dagster/sensor_name": "game_day_sim_sensor"}
REFRESH = {"dagster/sensor_name": "slate_refresh_sensor"}
LATE = {"dagster/sensor_name": "late_boxscore_sensor"}
SHORT_SETTINGS = Settings(monitoring_poll_s=5, sensor_interval_s=3, automation_interval_s=5,
                          late_sensor_interval_s=5, publish_deadline_s=5, clean_env=False)


def et(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ET).astimezone(dt.UTC)


def _labels(keys) -> set[str]:
    by_key = {t.key: t.label for t in tables.ALL}
    return {by_key[k] for k in keys}


def _expect(d: Driver, keys, day: dt.date) -> None:
    for label in _labels(keys):
        d.expected_days.setdefault(label, set()).add(str(day))


def morning(d: Driver, day: dt.date) -> list:
    d.set_clock(et(day, 7, 59), "a minute before the morning run")
    time.sleep(d.topo.settings.sensor_interval_s + 1)
    since = time.monotonic()
    d.set_clock(et(day, 8, 0), "08:00 ET: the game-day run")
    _expect(d, jobs.RESULTS, day - dt.timedelta(days=1))
    _expect(d, jobs.SLATE, day)
    return d.await_runs(f"morning {day}", since, 2, **GAME_DAY)


def bigquery_down(d: Driver) -> Fault:
    f = d.fault("bigquery_down", "BigQuery emulator stopped")
    f.pages = ":published_to_bigquery:"
    d.topo.stop_bigquery()
    return f


def bigquery_back(d: Driver, f: Fault) -> None:
    """BigQuery answers again: warehouse_catch_up_sensor re-publishes the days whose published_to_bigquery
    failed (no manual step, as docs/runbook.md says); recovered once no day waits."""
    from sensors.warehouse import CATCH_UP_JOB, unpublished_days

    waiting = unpublished_days(d.instance(), limit=10_000)
    if not waiting:
        raise SoakFailure("BigQuery was down for a run, yet no published_to_bigquery day failed")
    since = time.monotonic()
    d.topo.start_bigquery()
    d.say(f"BigQuery emulator started again (same data dir); {len(waiting)} table-day(s) wait for it")

    def caught_up():
        done = [r for r in d.new_runs(since, job=CATCH_UP_JOB)
                if d.chain_status(r) == dg.DagsterRunStatus.SUCCESS]
        return done if done and not unpublished_days(d.instance(), limit=10_000) else None

    runs = d.wait("warehouse_catch_up_sensor to publish every waiting day", caught_up)
    f.recovered_s = time.monotonic() - f.started
    d.say(f"bigquery_down: caught up by warehouse_catch_up run(s) {', '.join(r.run_id[:8] for r in runs)}")


def gcs_burst(d: Driver, run, seconds: float) -> Fault:
    d.wait(f"run {run.run_id[:8]} inside a step", lambda: d.in_a_step(run), every=0.3)
    f = d.fault("gcs_503", f"every GCS request answers 503 for {seconds:.0f} s")
    d.topo.proxy.fail_for(seconds)
    return f


def late_boxscore_game(league_day: dt.date) -> dict:
    from resources.sources import _sim_league

    games = _sim_league(7, False).schedule(2025).filter(pl.col("game_date") == league_day).sort("tipoff_utc")
    return games.row(0, named=True)


def full(d: Driver) -> None:
    from resources.sim.control import withhold

    game = late_boxscore_game(Y)
    release = et(D, 12)
    withhold(d.topo.sim_state, game["game_id"], release)
    d.clock.set(et(Y, 7, 50))
    d.say(f"withheld {game['game_id']} ({Y}) until {release.astimezone(ET):%m-%d %H:%M} ET: a late boxscore")
    # The late boxscore's incident (docs/runbook.md): the ERROR completeness check, and the WARN one that pages.
    d.expected_alerts |= {f"check:{tables.GAMES.label}:{name}:{Y}" for name in (FINALS_HAVE_BOXSCORES, FINALS_IN_EVERY_SOURCE)}
    d.start_deployment()

    # Y: the deployment's first morning (opening night's slate), through a burst of GCS 503s.
    runs = morning(d, Y)
    slate = next(r for r in runs if r.tags.get("dagster/partition") == str(Y))
    f = gcs_burst(d, slate, 10)
    d.await_success(f"morning {Y} (through the GCS burst)", runs)
    f.recovered_s = time.monotonic() - f.started

    # D: the morning run with BigQuery down; Y's results lack the withheld game: the check alerts.
    bq = bigquery_down(d)
    runs = morning(d, D)
    d.await_success(f"morning {D} (BigQuery down: lake written, publish recorded as not done)", runs)
    d.wait(f"the late boxscore's alert ({Y} incomplete)", lambda: d.expected_alerts <= _fired(d))
    bigquery_back(d, bq)

    # 12:01 ET: the boxscore is served; late_boxscore_sensor re-ingests Y, its worker SIGKILLed mid-step.
    since = time.monotonic()
    d.set_clock(et(D, 12, 1), "the withheld boxscore is served")
    run = d.await_runs(f"late boxscore re-ingest of {Y}", since, 1, **LATE)[0]
    d.lost_run_recovery(d.kill_worker(run), run)
    d.wait(f"the late boxscore's alert resolved ({Y} complete)", lambda: d.expected_alerts <= _resolved(d))

    since = time.monotonic()
    d.set_clock(et(D, 16, 1), "T-3h refresh of the 19:00 ET games due")
    run = d.await_runs("T-3h refresh", since, 1, **REFRESH)[0]
    d.wait(f"run {run.run_id[:8]} inside a step", lambda: d.in_a_step(run), every=0.3)
    f = d.fault("postgres_restart", "pg_ctl restart (fast) while a run writes its events")
    d.topo.restart_postgres()
    d.say("PostgreSQL back")
    d.await_success("T-3h refresh (through the PostgreSQL restart)", [run])
    f.recovered_s = time.monotonic() - f.started

    since = time.monotonic()
    d.set_clock(et(D, 18, 1), "T-1h refresh of the 19:00 ET games due")
    run = d.await_runs("T-1h refresh", since, 1, **REFRESH)[0]
    d.wait(f"run {run.run_id[:8]} inside a step", lambda: d.in_a_step(run), every=0.3)
    f = d.fault("code_server_restart", f"code server restarted (compose-style) with run {run.run_id[:8]} in flight")
    d.topo.restart_code_server()
    d.wait("the restarted code server", d.topo.code_server_up, every=0.5)
    d.say("code server back")
    d.lost_run_recovery(f, run)

    # N: the next morning (D's results); automation grades D.
    runs = morning(d, N)
    d.await_success(f"morning {N}", runs)
    _expect(d, [tables.PREDICTION_GRADES.key], D)
    d.wait(f"{D} graded by automation", lambda: str(D) in d.instance().get_materialized_partitions(
        tables.PREDICTION_GRADES.key))
    d.say(f"{D} graded")


def short(d: Driver) -> None:
    d.clock.set(et(D, 7, 50))
    d.start_deployment()
    bq = bigquery_down(d)
    runs = morning(d, D)
    slate = next(r for r in runs if r.tags.get("dagster/partition") == str(D))
    f = gcs_burst(d, slate, 3)
    d.await_success(f"morning {D} (BigQuery down, a GCS burst)", runs)
    f.recovered_s = time.monotonic() - f.started
    bigquery_back(d, bq)


def _fired(d: Driver) -> set[str]:
    return {b["key"] for _, b in d.arrivals if b.get("event") == "firing"}


def _resolved(d: Driver) -> set[str]:
    return {b["key"] for _, b in d.arrivals if b.get("event") == "resolved"}


def finish(d: Driver) -> list[str]:
    """Wait for the deployment to settle, then check every criterion; returns the failures."""
    s = d.topo.settings
    settle = 2 * s.automation_interval_s + 5
    d.wait("the deployment to settle (no run queued or in flight)", lambda: d.quiet(settle), every=2)
    d.say("settled: no run queued or in flight")
    d.wait("every open alert to resolve", lambda: _fired(d) <= _resolved(d), timeout=120)
    time.sleep(s.sensor_interval_s * 2 + 2)  # alerts_sensor ticks after the last run: heartbeats
    figures, fails = {}, []
    for check in (criteria.alerts, criteria.heartbeats, lambda x: criteria.stuck_runs(x, s.monitoring_poll_s),
                  criteria.warehouse):
        fig, f = check(d)
        figures |= fig
        fails += f
    d.figures = figures
    return fails


def _cause(faults: list[Fault], key: str, at: float) -> Fault | None:
    """The fault an alert `key` arriving at `at` is counted against: the latest one injected before it
    that pages such keys, else the latest one injected before it."""
    before = [f for f in faults if f.started <= at]
    named = [f for f in before if f.pages and f.pages in key]
    return max(named or before, key=lambda f: f.started, default=None)


def summary(d: Driver, fails: list[str]) -> str:
    fig = getattr(d, "figures", {})
    first_alert = {}
    for at, body in d.arrivals:
        first_alert.setdefault(body["key"], at)
    parts = [f"alerts fired {fig.get('fired', '?')} resolved {fig.get('resolved', '?')}"]
    for f in d.faults:
        alert = [k for k, at in first_alert.items() if k not in d.expected_alerts and _cause(d.faults, k, at) is f
                 and (f.recovered_s is None or at <= f.started + f.recovered_s + 60)]
        f.alert_s = min((first_alert[k] - f.started for k in alert), default=None)
        bits = [f"alert {'-' if f.alert_s is None else f'{f.alert_s:.0f}s'}"]
        if f.detected_s is not None:
            bits.append(f"failed {f.detected_s:.0f}s")
        bits.append(f"recovered {'-' if f.recovered_s is None else f'{f.recovered_s:.0f}s'}")
        parts.append(f"{f.name}: " + " ".join(bits))
    parts += [f"heartbeats {fig.get('heartbeats', '?')}", f"runs stuck {fig.get('stuck', '?')}",
              f"bigquery-vs-lake diffs {fig.get('bq_diffs', '?')}", f"dagster-vs-lake diffs {fig.get('dagster_diffs', '?')}",
              f"table-days {fig.get('table_days', '?')}", f"wall {d.wall():.0f}s"]
    return "SOAK " + " | ".join(parts) + (" OK" if not fails else " FAIL")


def _cpu_seconds() -> float:
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def run(kind: str = "full", keep: bool = False) -> tuple[bool, str, Driver]:
    settings = Settings(keep=keep) if kind == "full" else Settings(**{**SHORT_SETTINGS.__dict__, "keep": keep})
    d = Driver(Topology(settings), timeout_s=600.0 if kind == "full" else 240.0)
    fails: list[str] = []
    try:
        d.start()
        (full if kind == "full" else short)(d)
        fails = finish(d)
    except SoakFailure as exc:
        fails = [str(exc)]
    except BaseException as exc:  # interrupted (SIGTERM, Ctrl-C) or a bug: never OK
        fails = [f"soak stopped: {exc!r}"]
        raise
    finally:
        for f in fails:
            print(f"FAIL: {f}", flush=True)
        line = summary(d, fails)
        print(line, flush=True)
        if keep:
            print(f"kept {d.topo.base}", flush=True)
        d.close()
        print(f"cpu {_cpu_seconds():.0f}s (the soak and the processes it started and waited for; "
              "PostgreSQL not counted)", flush=True)
    return not fails, line, d
