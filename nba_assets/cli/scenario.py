"""The late-boxscore scenario, end to end with the real daemons (`make scenario-late-boxscore`).

1. A fresh lake holds the days up to yesterday from D (the latest game day two days back or more, or
   the 7 days late_boxscore_sensor probes if earlier), ingested and predicted, while one final game of D
   is withheld by the simulated sources: D's completeness check fails. The 200 days before are reported
   materialized without a run (automation re-runs a feature day only when its 190-day window exists).
   Today's game-day run (yesterday's results, today's slate) runs as the 08:00 schedule launches it.
2. `dagster dev` (webserver + daemons) starts; the sensors run their first ticks.
3. The sim clock advances past the game's release. Nobody touches anything else.
4. late_boxscore_sensor sees D's boxscores changed and re-ingests D; declarative automation re-runs
   summary D, features D+1..today, today's predictions and grades D; D's completeness check passes.
The timeline (what ran, when, why) and the detection-to-fixed time are printed. With `outage`, a
source is down during today's game-day run as well (nba_assets/cli/outage_scenario.py): the test runs
both on one lake and one daemon.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nba_assets import tables
from nba_assets.dagster_internals import private_api as private
from nba_assets.partitions import ET

ROOT = Path(__file__).resolve().parents[2]
SENSOR_INTERVAL = 15  # seconds between late-boxscore probes during the scenario
AUTOMATION_INTERVAL = 10  # seconds between automation ticks during the scenario (30 in a deployment)


@dataclass
class Scenario:
    data_dir: Path
    dagster_home: Path
    port: int = 0
    timeout_s: float = 600.0
    ui: bool = True  # `dagster dev` (webserver + daemons); False: `dagster-daemon run` alone (no UI to watch)
    log: list[str] = field(default_factory=list)

    def say(self, msg: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        line = f"[{stamp}] {msg}"
        self.log.append(line)
        print(line, flush=True)


@dataclass
class Outcome:
    ok: bool
    game_id: str
    day: dt.date
    detected_s: float | None
    fixed_s: float | None
    timeline: list[str]
    outage_days: list[str] = field(default_factory=list)  # the days the outage's source was recorded down


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pick_game(league, today: dt.date) -> tuple[dt.date, dict]:
    """The latest game day at least two days back, and its first game (final well before now)."""
    for back in range(2, 60):
        d = today - dt.timedelta(days=back)
        season = league.season_of(d)
        if season is None:
            continue
        games = league.schedule(season).filter(pl.col("game_date") == d)
        if games.height:
            return d, games.sort("tipoff_utc").row(0, named=True)
    raise RuntimeError(f"no game day in the 60 days before {today}")


def run(sc: Scenario, late: bool = True, outage: str | None = None) -> Outcome:
    """The late-boxscore scenario (`late`), a source's outage during today's game-day run (`outage`,
    nba_assets/cli/outage_scenario.py), or both at once on one lake and one daemon (the test)."""
    env = {"NBA_LAKE_LATE_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL),
           "NBA_LAKE_AUTOMATION_INTERVAL_SECONDS": str(AUTOMATION_INTERVAL)}
    if outage:
        env |= {"NBA_LAKE_RECOVERY_SENSOR_INTERVAL_SECONDS": str(AUTOMATION_INTERVAL),
                "NBA_LAKE_ALERT_SENSOR_INTERVAL_SECONDS": str(AUTOMATION_INTERVAL)}
    prepare(sc, env)

    import dagster as dg

    from nba_assets.cli import outage_scenario as out_sc
    from nba_assets.definitions import build_definitions
    from resources.sim import SimClock
    from resources.sim.control import withhold
    from resources.sources import _sim_league

    state = sc.data_dir / "sim"
    clock = SimClock(state)
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
    clock.set(t0)
    today = t0.astimezone(ET).date()
    day, game = None, {"game_id": None}
    if late:
        league = _sim_league(int(os.environ.get("NBA_LAKE_SIM_SEED", "7")))
        day, game = _pick_game(league, today)
        release = t0 + dt.timedelta(minutes=5)
        withhold(state, game["game_id"], release)
        sc.say(
            f"withholding game {game['game_id']} ({game['away_team']} @ {game['home_team']}, {day}) "
            f"until {release:%H:%M} sim time; sim clock fixed at {t0:%Y-%m-%d %H:%M} UTC"
        )

    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    out_sc.history(sc, defs, instance, today, first=day)
    check_key = dg.AssetCheckKey(tables.GAMES.key, "final_games_have_boxscores")
    if late:
        sc.say(f"completeness before release: {_check_text(instance, check_key, day)}")
    # Today's game-day run (yesterday's results, today's slate), as the 08:00 schedule launches it; with
    # `outage` the source is down for the sim clock's next minutes and the run goes through without it.
    days, end = out_sc.game_day_run(sc, defs, instance, today, outage, t0)

    with dagster_dev(sc):
        where = f"dagster dev on http://127.0.0.1:{sc.port}" if sc.ui else "dagster-daemon run (no webserver)"
        sc.say(f"{where}; waiting for the sensors' first ticks")
        sensors = ["late_boxscore_sensor", "nba_automation"] + (["source_recovery_sensor", "alerts_sensor"] if outage else [])
        _wait(sc, lambda: all(private.sensor_has_ticked(instance, s) for s in sensors),
              what=f"first ticks of {', '.join(sensors)}")
        advanced = max(t0 + dt.timedelta(minutes=10), end + dt.timedelta(minutes=1))
        clock.set(advanced)
        t_release = time.time()
        sc.say(f"sim clock advanced to {advanced:%H:%M} UTC: "
               + " and ".join([*(["the withheld boxscore is served"] if late else []),
                               *([f"{outage} answers again"] if outage else [])]))

        def fixed() -> bool:
            return ((not late or _fixed(instance, check_key, day, t_release))
                    and (not outage or out_sc.reconciled(instance, outage, days, today, t_release)))

        what = " and ".join([*(["summary/features/grades re-run and the completeness check passing"] if late else []),
                             *([f"{outage}'s days re-ingested, games, summaries and today's predictions re-run"]
                               if outage else [])])
        _wait(sc, fixed, what=what)
        t_fixed = time.time()
        timeline, detected = _timeline(instance, t_release)
        for line in timeline:
            sc.say(line)
        if late:
            sc.say(f"completeness after: {_check_text(instance, check_key, day)}")
        det = None if detected is None else detected - t_release
        sc.say(
            (f"detection (clock advance -> late_boxscore_sensor request): {det:.0f}s; " if det is not None else "")
            + "fixed (clock advance -> every dependent partition re-run"
            + (", check green" if late else "") + (f", nothing recorded down for {outage}" if outage else "")
            + f"): {t_fixed - t_release:.0f}s"
        )
        return Outcome(True, game["game_id"], day, det, t_fixed - t_release, timeline, days)


def prepare(sc: Scenario, env: dict[str, str]) -> None:
    """Fresh data dir and DAGSTER_HOME (the repo's dagster.yaml), exported with `env` for every process
    the scenario starts; the sim clock file, not NBA_LAKE_SIM_NOW, drives them all."""
    for p in (sc.data_dir, sc.dagster_home):
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
    (sc.dagster_home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    os.environ.update({"DAGSTER_HOME": str(sc.dagster_home), "NBA_LAKE_DATA_DIR": str(sc.data_dir),
                       "NBA_LAKE_SOURCE": "sim", **env})
    os.environ.pop("NBA_LAKE_SIM_NOW", None)


@contextlib.contextmanager
def dagster_dev(sc: Scenario) -> Iterator[None]:
    """`dagster dev` (webserver + daemons) on a free loopback port while the block runs; with `sc.ui`
    False, `dagster-daemon run` alone: the same sensors, automation and run launcher, no webserver."""
    sc.port = sc.port or _free_port()
    workspace = str(ROOT / "workspace.yaml")
    cmd = ([str(Path(sys.executable).with_name("dagster")), "dev", "-w", workspace, "-h", "127.0.0.1", "-p", str(sc.port)]
           if sc.ui else [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", workspace])
    logf = open(sc.dagster_home / "dagster_dev.log", "w")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT, env=os.environ.copy(), stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield
    finally:
        # `dagster dev` does not exit on SIGINT/SIGTERM reliably (seen on 1.13: see docs/architecture.md): kill the group.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except Exception:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        logf.close()


def _wait(sc: Scenario, cond, what: str) -> None:
    deadline = time.monotonic() + sc.timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(2)
    raise TimeoutError(f"gave up after {sc.timeout_s:.0f}s waiting for {what} (see {sc.dagster_home}/dagster_dev.log)")


def _check_text(instance, check_key, day: dt.date) -> str:
    recs = private.check_history(instance, check_key, limit=50)
    for r in recs:  # newest first
        if r.status.value in ("SUCCEEDED", "FAILED") and _covers(r, day):
            scope = f"partition {r.partition}" if r.partition else "range run"
            return f"{check_key.name} for {day}: {r.status.value} ({scope}, run {r.run_id[:8]})"
    return f"{check_key.name}: no result covering {day}"


def _fixed(instance, check_key, day: dt.date, since: float) -> bool:
    import dagster as dg

    for key in (tables.PLAYER_GAME_SUMMARY.key, tables.PREDICTION_GRADES.key):
        recs = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[str(day)], after_timestamp=since),
            limit=1,
        ).records
        if not recs:
            return False
    nxt = str(day + dt.timedelta(days=1))
    if not instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=tables.PLAYER_FEATURES.key, asset_partitions=[nxt], after_timestamp=since
        ),
        limit=1,
    ).records:
        return False
    today = str(dt.datetime.now(ET).date())
    if not instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=tables.PLAYER_PROP_PREDICTIONS.key,
            asset_partitions=[today],
            after_timestamp=since,
        ),
        limit=1,
    ).records:
        return False
    for r in private.check_history(instance, check_key, limit=20):
        if r.create_timestamp > since and _covers(r, day):
            return r.status.value == "SUCCEEDED"
    return False


def _covers(record, day: dt.date) -> bool:
    """A check result for `day`: per partition, or a range run whose evaluated dates include it
    (automation launches single-run ranges, whose check results carry no partition)."""
    if record.partition is not None:
        return record.partition == str(day)
    ev = record.event.dagster_event.event_specific_data if record.event and record.event.dagster_event else None
    meta = getattr(ev, "metadata", None) or {}
    evaluated = str(getattr(meta.get("evaluated_dates"), "value", ""))
    if ".." in evaluated:
        lo, hi = evaluated.split(" ")[0].split("..")
        return lo <= str(day) <= hi
    return str(day) in evaluated


def _timeline(instance, since: float) -> tuple[list[str], float | None]:
    import dagster as dg

    lines, detected = [], None
    records = instance.get_run_records(filters=dg.RunsFilter(created_after=dt.datetime.fromtimestamp(since, dt.UTC)))
    for rec in sorted(records, key=lambda r: r.create_timestamp.timestamp()):
        run = rec.dagster_run
        tags = run.tags
        why = (
            f"sensor {tags['dagster/sensor_name']}"
            if "dagster/sensor_name" in tags and tags.get("dagster/from_automation_condition") != "true"
            else "automation condition" if tags.get("dagster/from_automation_condition") == "true"
            else tags.get("dagster/schedule_name", "manual")
        )
        if tags.get("nba/reason"):
            why += f" ({tags['nba/reason']})"
        if why.startswith("sensor late_boxscore_sensor") and detected is None:
            detected = rec.create_timestamp.timestamp()
        assets = ", ".join(sorted(k.to_user_string() for k in (run.asset_selection or [])))
        part = tags.get("dagster/partition") or (
            f"{tags.get('dagster/asset_partition_range_start')}..{tags.get('dagster/asset_partition_range_end')}"
            if "dagster/asset_partition_range_start" in tags else "-"
        )
        took = (rec.end_time - rec.start_time) if rec.end_time and rec.start_time else None
        lines.append(
            f"+{rec.create_timestamp.timestamp() - since:5.0f}s  run {run.run_id[:8]} {run.status.value:<8} "
            f"{'' if took is None else f'{took:4.0f}s'}  partition {part}  [{assets}]  <- {why}"
        )
    return lines, detected


def main() -> None:
    data = Path(os.environ.get("NBA_LAKE_SCENARIO_DIR", ROOT / "data" / "scenario"))
    sc = Scenario(data_dir=data / "lake_root", dagster_home=data / "dagster_home")
    out = run(sc)
    sys.exit(0 if out.ok else 1)


if __name__ == "__main__":
    main()
