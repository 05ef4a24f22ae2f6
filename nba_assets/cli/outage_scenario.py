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

The steps are the late-boxscore scenario's (nba_assets/cli/scenario.py, `run(sc, late=False,
outage=source)`); the pieces that are the outage's live here. The test runs both scenarios at once.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from nba_assets import tables
from nba_assets.cli.scenario import ROOT, Scenario
from nba_assets.cli.scenario import run as run_scenario

WINDOWED = ("player_game_summary", "team_game_summary", "points_model")
OUTAGE_MINUTES = 10


def history(sc: Scenario, defs, instance, today: dt.date, first: dt.date | None = None) -> None:
    """Ingested and predicted for real: the days late_boxscore_sensor probes (from `first` if earlier),
    up to yesterday, so it finds none of them unlanded and re-ingests nothing the scenario did not touch;
    the 200 days before are reported (features read 190)."""
    from nba_assets.cli.runner import run_range
    from nba_assets.jobs import ingest_job, predict_job
    from sensors.late_boxscores import LOOKBACK_DAYS

    start = min(today - dt.timedelta(days=LOOKBACK_DAYS), first or today)
    yesterday = today - dt.timedelta(days=1)
    _report_history(instance, defs, start - dt.timedelta(days=200), start - dt.timedelta(days=1), today)
    for job in (ingest_job, predict_job):
        summary = run_range(defs, job, str(start), str(yesterday), instance=instance)
        if not summary.success:
            raise RuntimeError(f"backfill {job.name} failed: {summary.error}")
    sc.say(f"history {start}..{yesterday} ingested and predicted")


def game_day_run(sc: Scenario, defs, instance, today: dt.date, source: str | None,
                 t0: dt.datetime) -> tuple[list[str], dt.datetime]:
    """Today's game-day run (yesterday's results, today's slate) as the 08:00 schedule launches it;
    with `source` down from t0 for OUTAGE_MINUTES. Returns the days recorded down and the outage's end."""
    from nba_assets.cli.runner import run_range
    from nba_assets.jobs import game_day_job
    from resources.lake import LakeReader
    from resources.sim.control import add_outage
    from sensors.outages import recorded_outages
    from sensors.schedules import game_day_requests, games_on

    yesterday = today - dt.timedelta(days=1)
    end = t0 + dt.timedelta(minutes=OUTAGE_MINUTES if source else 0)
    if source:
        add_outage(sc.data_dir / "sim", source, t0, end)
    reader = LakeReader(str(sc.data_dir))
    for req in game_day_requests(today, games_on(reader, [yesterday, today])):
        summary = run_range(defs, game_day_job.name, req.partition_key, req.partition_key, instance=instance,
                            selection=list(req.asset_selection))  # fmt: skip
        if not summary.success:
            raise RuntimeError(f"game-day run {req.partition_key} failed: {summary.error}")
    if not source:
        sc.say("today's game-day run went through")
        return [], end
    days = sorted({day for src, day in recorded_outages(instance, [str(yesterday), str(today)]) if src == source})
    sc.say(f"{source} down until {end:%H:%M} sim time; today's game-day run went through; recorded down: {days}")
    if not days:
        raise RuntimeError(f"no raw table recorded {source} down")
    return days, end


def reconciled(instance, source: str, days: list[str], today: dt.date, since: float) -> bool:
    """Nothing recorded down for `source`; every recorded day's games re-derived since `since`, a played
    day's summaries too, today's slate re-predicted."""
    from sensors.outages import recorded_outages

    if any(s == source for s, _ in recorded_outages(instance, days)):
        return False
    due = [(tables.GAMES, d) for d in days] + [
        (tables.PLAYER_GAME_SUMMARY, d) for d in days if d < str(today)] + [
        (tables.PLAYER_PROP_PREDICTIONS, d) for d in days if d == str(today)]
    return all(_written_since(instance, tb.key, d, since) for tb, d in due)


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
    out = run_scenario(sc, late=False, outage="nbacom")
    sys.exit(0 if out.ok else 1)


if __name__ == "__main__":
    main()
