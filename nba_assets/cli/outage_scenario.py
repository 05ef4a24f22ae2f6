"""The source-outage scenario, end to end with the real daemons (`python -m nba_assets.cli.outage_scenario`).

1. A fresh lake holds the last 7 days up to yesterday (the days late_boxscore_sensor probes), ingested and
   predicted with every source up (the days before are reported materialized without a run: automation
   needs the 190 days features read).
2. The source (NBA.com by default) goes down for the sim clock's next minutes; the game-day run of today
   (yesterday's results, today's slate) runs as the 08:00 schedule would launch it, and goes through.
3. `dagster dev` (webserver + daemons; the test runs `dagster-daemon run` alone) starts; the sensors
   tick while the source is down.
4. The sim clock passes the outage's end. Nobody touches anything else: the recovery and late-boxscore
   sensors re-ingest what the source missed (and re-derive the days' games), automation reconciles
   summaries, features, grades and today's predictions, until no raw table records the source down.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nba_assets import tables
from nba_assets.cli.scenario import ROOT, Scenario, _timeline, _wait, dagster_dev, prepare
from nba_assets.dagster_internals import private_api as private
from nba_assets.partitions import ET

WINDOWED = ("player_game_summary", "team_game_summary", "points_model")
OUTAGE_MINUTES = 10
INTERVAL = "10"  # seconds between the sensors' and automation's ticks during the scenario


@dataclass
class OutageOutcome:
    ok: bool
    source: str
    days: list[str]  # the days the source was recorded down
    recovered_s: float  # the clock passing the outage's end -> nothing recorded down, the day reconciled
    timeline: list[str]


def run(sc: Scenario, source: str = "nbacom") -> OutageOutcome:
    """The scenario for `source`; its end (games and summaries of the recorded days re-run) is what an
    NBA.com or Ball Don't Lie outage leaves to reconcile, and only NBA.com's is tested."""
    prepare(sc, {name: INTERVAL for name in (
        "NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS", "NBA_LAKE_RECOVERY_SENSOR_INTERVAL_SECONDS",
        "NBA_LAKE_AUTOMATION_INTERVAL_SECONDS", "NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS")})

    import dagster as dg

    from nba_assets.cli.runner import run_range
    from nba_assets.definitions import build_definitions
    from nba_assets.jobs import game_day_job, ingest_job, predict_job
    from resources.lake import LakeReader
    from resources.sim import SimClock
    from resources.sim.control import add_outage
    from sensors.late_boxscores import LOOKBACK_DAYS
    from sensors.outages import recorded_outages
    from sensors.schedules import game_day_requests, games_on

    state = sc.data_dir / "sim"
    clock = SimClock(state)
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
    clock.set(t0)
    today = t0.astimezone(ET).date()
    yesterday = today - dt.timedelta(days=1)
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    # Materialized for real: the days late_boxscore_sensor probes, so it finds none of them unlanded and
    # re-ingests nothing the outage did not touch; the 200 days before are reported (features read 190).
    start = today - dt.timedelta(days=LOOKBACK_DAYS)
    _report_history(instance, defs, start - dt.timedelta(days=200), start - dt.timedelta(days=1), today)
    for job in (ingest_job, predict_job):
        summary = run_range(defs, job, str(start), str(yesterday), instance=instance)
        if not summary.success:
            raise RuntimeError(f"backfill {job.name} failed: {summary.error}")
    sc.say(f"history {start}..{yesterday} ingested and predicted with every source up")

    end = t0 + dt.timedelta(minutes=OUTAGE_MINUTES)
    add_outage(state, source, t0, end)
    reader = LakeReader(str(sc.data_dir))
    for req in game_day_requests(today, games_on(reader, [yesterday, today])):
        summary = run_range(defs, game_day_job.name, req.partition_key, req.partition_key, instance=instance,
                            selection=list(req.asset_selection))  # fmt: skip
        if not summary.success:
            raise RuntimeError(f"game-day run {req.partition_key} failed during the outage: {summary.error}")
    days = sorted({day for src, day in recorded_outages(instance, [str(yesterday), str(today)]) if src == source})
    sc.say(f"{source} down until {end:%H:%M} sim time; today's game-day run went through; recorded down: {days}")
    if not days:
        raise RuntimeError(f"no raw table recorded {source} down")

    with dagster_dev(sc):
        where = f"dagster dev on http://127.0.0.1:{sc.port}" if sc.ui else "dagster-daemon run (no webserver)"
        sc.say(f"{where}; waiting for the sensors' first ticks")
        _wait(sc, lambda: all(private.sensor_has_ticked(instance, s) for s in
                              ("source_recovery_sensor", "nba_automation", "alerts_sensor")),
              what="first ticks of source_recovery_sensor, nba_automation and alerts_sensor")
        clock.set(end + dt.timedelta(minutes=1))
        t_back = time.time()
        sc.say(f"sim clock advanced past {end:%H:%M} UTC: {source} answers again")

        # Every recorded day's games re-derived; a played day's summaries too; today's slate re-predicted.
        due = [(tables.GAMES, d) for d in days] + [
            (tables.PLAYER_GAME_SUMMARY, d) for d in days if d < str(today)] + [
            (tables.PLAYER_PROP_PREDICTIONS, d) for d in days if d == str(today)]

        def reconciled() -> bool:
            if any(s == source for s, _ in recorded_outages(instance, days)):
                return False
            return all(_written_since(instance, tb.key, d, t_back) for tb, d in due)

        _wait(sc, reconciled, what=f"{source}'s days re-ingested, games, summaries and today's predictions re-run")
        recovered = time.time() - t_back
        timeline, _ = _timeline(instance, t_back)
        for line in timeline:
            sc.say(line)
        sc.say(f"recovered (clock past the outage -> nothing recorded down, the days reconciled): {recovered:.0f}s")
        return OutageOutcome(True, source, days, recovered, timeline)


def _report_history(instance, defs, first: dt.date, last: dt.date, today: dt.date) -> None:
    """The days before the scenario's history, reported materialized (no run): automation re-runs a
    feature day only when every partition of its 190-day window exists."""
    import dagster as dg

    from nba_assets.partitions import week_key

    days = [str(first + dt.timedelta(days=i)) for i in range((last - first).days + 1)]
    for spec in defs.resolve_all_asset_specs():
        name = spec.key.path[-1]
        if spec.partitions_def is None or name not in WINDOWED:
            continue
        parts = sorted({week_key(dt.date.fromisoformat(d)) for d in [*days, str(today)]}) if name == "points_model" else days
        for p in parts:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=spec.key, partition=p))


def _written_since(instance, key, day: str, since: float) -> bool:
    import dagster as dg

    flt = dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day], after_timestamp=since)
    return bool(instance.fetch_materializations(flt, limit=1).records)


def main() -> None:
    data = Path(os.environ.get("NBA_LAKE_SCENARIO_DIR", ROOT / "data" / "scenario-outage"))
    sc = Scenario(data_dir=data / "lake_root", dagster_home=data / "dagster_home")
    out = run(sc, "nbacom")
    sys.exit(0 if out.ok else 1)


if __name__ == "__main__":
    main()
