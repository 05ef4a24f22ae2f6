"""One source down for a whole game day, replayed on the sim for each source in turn (`OUTAGES`; NBA.com's
with the real daemons in tests/sensors/test_late_boxscore_scenario.py): the
day goes through on the others (schedule, games, summaries, features, predictions, D's grades), the
outage is recorded and alerted, and once the source is back the day is re-ingested and reconciled by
the sensors and automation alone.

Real definitions, real sim sources over httpx, real lake, one real instance. The daemon's part is
played in-process by the same code it runs: the game-day schedule's run requests, the real
`slate_refresh_sensor`, `late_boxscore_sensor`, `source_recovery_sensor` and `alerts_sensor` (sending
to a real HTTP receiver on 127.0.0.1) and `dg.evaluate_automation_conditions` on the real automation
conditions, each request executed.

Timeline (sim clock, ET): D = 2025-12-07 (7 games). The source answers 503 to every request for the
whole of 12-08. The 12-08 08:00 morning run ingests D's results and 12-08's slate during the outage,
the 10:05 refresh predicts the slate. At 12-09 00:00 the source is back.

A new source is one more `Outage(...)` in `OUTAGES`: its sim outage name, the raw tables that record
it down on each day, and what D's summaries and the slate's lines look like without it.
"""

import datetime as dt
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from checks import coverage
from nba_assets import tables as t
from nba_assets.cli.runner import run_range
from nba_assets.definitions import build_definitions
from resources.alerts import alerts_from_env
from resources.lake import LakeReader
from resources.sim.control import add_outage
from resources.sources import SourcesResource
from sensors.alerts import alerts_sensor
from sensors.late_boxscores import late_boxscore_sensor
from sensors.outages import recorded_outages, source_recovery_sensor
from sensors.schedules import game_day_requests, games_on, slate_refresh_sensor
from tests.conftest import SIM_NOW, lake_instance_for_test
from tests.receiver import Receiver

D = dt.date(2025, 12, 7)
HISTORY_START = dt.date(2025, 12, 4)  # really materialized from here; earlier days are reported runless
OUTAGE = (dt.datetime(2025, 12, 8, 5, 0, tzinfo=dt.UTC), dt.datetime(2025, 12, 9, 5, 0, tzinfo=dt.UTC))
MORNING = dt.datetime(2025, 12, 8, 13, 0, tzinfo=dt.UTC)  # 08:00 ET on D+1, BDL down
REFRESH = dt.datetime(2025, 12, 8, 15, 5, tzinfo=dt.UTC)  # 10:05 ET on D+1, the slate's first refresh
RECOVERED = dt.datetime(2025, 12, 9, 5, 10, tzinfo=dt.UTC)  # 00:10 ET on D+2, BDL back
JOB_OF_LAYER = {"raw": "ingest_and_features", "analytics": "ingest_and_features", "features": "ingest_and_features",
                "predictions": "predict_and_grade", "grading": "predict_and_grade"}
LAYERS = list(JOB_OF_LAYER)
WARN_KEY = f"check:analytics/games:final_games_in_every_source:{D}"


class Replay:
    def __init__(self, defs, instance, res, mp):
        self.defs, self.instance, self.res, self.mp = defs, instance, res, mp
        self.auto_cursor = None
        self.cursors: dict[str, str | None] = {}

    def at(self, ts: dt.datetime) -> None:
        self.mp.setenv("NBA_LAKE_SIM_NOW", ts.isoformat())
        self.now = ts

    def tick(self, sensor):
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(sensor.name), definitions=self.defs,
            resources=self.res, sensor_name=sensor.name,
        ) as ctx:
            out = sensor(ctx)
            self.cursors[sensor.name] = ctx.cursor
        return out

    def execute(self, req: dg.RunRequest, job: str = "game_day") -> None:
        res = self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance, partition_key=req.partition_key, asset_selection=list(req.asset_selection),
            tags=req.tags, raise_on_error=False,
        )
        assert res.success, f"{job} {req.partition_key} failed"

    def automation(self, max_ticks: int = 8) -> list[str]:
        """Evaluate automation like the daemon's sensor, execute what it requests, until it is quiet."""
        ran = []
        for _ in range(max_ticks):
            r = dg.evaluate_automation_conditions(
                defs=self.defs, instance=self.instance, evaluation_time=self.now, cursor=self.auto_cursor
            )
            self.auto_cursor = r.cursor
            if r.total_requested == 0:
                return ran
            for layer in LAYERS:  # a layer's assets requested over the same days: one run, as the daemon groups them
                groups: dict[tuple[str, str], list[dg.AssetKey]] = {}
                for spec in self.defs.resolve_all_asset_specs():
                    if spec.key.path[0] != layer or spec.partitions_def is None or spec.key.path[-1] == "points_model":
                        continue
                    parts = sorted(p for p in r.get_requested_partitions(spec.key) if p)
                    if parts:
                        groups.setdefault((parts[0], parts[-1]), []).append(spec.key)
                for (lo, hi), keys in sorted(groups.items()):
                    names = ", ".join(k.to_user_string() for k in keys)
                    summary = run_range(self.defs, JOB_OF_LAYER[layer], lo, hi, instance=self.instance, selection=keys)
                    assert summary.success, f"automation run of {names} failed: {summary.error}"
                    ran.extend(f"{k.to_user_string()} {lo}..{hi}" for k in keys)
        raise AssertionError(f"automation did not settle: {ran}")

    def latest_check(self, asset: str, check: str, day: dt.date):
        key = dg.AssetCheckKey(dg.AssetKey(asset.split("/")), check)
        for rec in self.instance.event_log_storage.get_asset_check_execution_history(key, limit=50):
            ev = rec.event.dagster_event.event_specific_data if rec.event else None
            if ev is None:
                continue
            meta = ev.metadata or {}
            label = str(getattr(meta.get("evaluated_dates"), "value", rec.partition or ""))
            span = label.split(" ")[0].split("..")
            if rec.partition == str(D) or (span[0] <= str(day) <= span[-1]):
                return ev
        return None


# Features read 190 days of summaries (partition mapping): automation re-runs a feature day only when
# every one of those dep partitions exists, so the days before the replayed window are reported.
WINDOWED_DEPS = ("player_game_summary", "team_game_summary", "points_model", "system_daily_performance")


def _requests(out) -> list[dg.RunRequest]:
    return out if isinstance(out, list) else []


def _runless_history(instance, defs, start: dt.date, end: dt.date) -> None:
    """Days before the replayed window, reported as materialized: automation needs every dep partition."""
    days = [str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]
    for spec in defs.resolve_all_asset_specs():
        if spec.partitions_def is None or spec.key.path[-1] not in WINDOWED_DEPS:
            continue
        if spec.key.path[-1] == "points_model":
            parts = sorted({str(dt.date.fromisoformat(d) - dt.timedelta(days=dt.date.fromisoformat(d).weekday()))
                            for d in [*days, str(RECOVERED.date())]})
        else:
            parts = days
        for p in parts:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=spec.key, partition=p))


@dataclass(frozen=True)
class Outage:
    """One source down for the whole game day 12-08 (ET). Adding a source is adding one of these."""

    source: str  # the sim's outage source (resources/sim/control.py OUTAGE_SOURCES)
    # {day: raw tables} whose materialization records the source down after the outage morning.
    recorded: dict[dt.date, tuple[t.Table, ...]]
    summary_sources: tuple[str, ...]  # source_used of D's player rows during the outage
    lined_slate: bool  # whether 12-08's predictions have lines during the outage
    warning: str | None = None  # what D's final_games_in_every_source warning says, if it warns


SLATE_DAY = D + dt.timedelta(days=1)
OUTAGES = [
    Outage("bdl", {D: (t.BDL_GAMES,), SLATE_DAY: (t.BDL_GAMES, t.INJURIES)}, ("nbacom",), True, "bdl: 7"),
    # NBA.com's outage is replayed with the real daemons (tests/sensors/test_late_boxscore_scenario.py).
    # A props feed down: the other one lines the slate (nba_assets/props_feed.py).
    Outage("oddsapi", {SLATE_DAY: (t.PROP_LINES,)}, ("bdl", "nbacom"), True),
    Outage("sportsdataio", {SLATE_DAY: (t.PROP_LINES,)}, ("bdl", "nbacom"), True),
]


def _down_tables(instance, day: dt.date) -> set[str]:
    return {tb.label for (_, d), tables in recorded_outages(instance, [str(day)]).items() for tb in tables}


@dataclass
class Baseline:
    """The lake and the instance as they stand before the outage, built once for the module: every case
    restores both into the same paths (nothing in them names another path) and goes on from there."""

    work: Path  # <work>/data: the lake, <work>/home: the instance's sqlite files, as the cases use them
    template: Path  # the same two as the baseline left them
    rx: Receiver
    auto_cursor: object
    cursors: dict[str, str | None]

    def restore(self) -> None:
        for part in ("data", "home"):
            shutil.rmtree(self.work / part, ignore_errors=True)
            shutil.copytree(self.template / part, self.work / part)


def _environment(mp, data: Path, rx: Receiver) -> None:
    mp.setenv("NBA_LAKE_DATA_DIR", str(data))
    mp.setenv("NBA_LAKE_SOURCE", "sim")
    mp.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    mp.setattr("nba_assets.raw.RESUME_BACKOFF_S", 0.0)  # a down source: no point waiting in a test
    mp.setenv("NBA_LAKE_ALERT_WEBHOOK", f"{rx.url}/hook")
    mp.delenv("SLACK_BOT_TOKEN", raising=False)


def _resources(defs, data: Path) -> dict:
    return {"alerts": alerts_from_env(), "sources": SourcesResource(mode="sim", data_dir=str(data)),
            "lake": defs.resources["lake"]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """History up to D, predictions for D made on D's morning, automation settled: every source up."""
    work = tmp_path_factory.mktemp("source_outage")
    data, home = work / "data", work / "home"
    data.mkdir()
    home.mkdir()
    T0 = time.monotonic()
    with Receiver() as rx, pytest.MonkeyPatch.context() as mp:
        _environment(mp, data, rx)
        with lake_instance_for_test(temp_dir=str(home)) as instance:
            defs = build_definitions()
            rp = Replay(defs, instance, _resources(defs, data), mp)
            rp.at(dt.datetime(2025, 12, 7, 17, 0, tzinfo=dt.UTC))
            _runless_history(instance, defs, HISTORY_START - dt.timedelta(days=200),
                             HISTORY_START - dt.timedelta(days=1))
            for job in ("ingest_and_features", "predict_and_grade"):
                assert run_range(defs, job, str(HISTORY_START), str(D), instance=instance).success
            print(f"[{time.monotonic() - T0:.0f}s] history backfilled")
            rp.automation()
            for req in _requests(rp.tick(late_boxscore_sensor)):  # anything the sources changed since
                rp.execute(req, job="ingest_and_features")
            rp.automation()
            rp.tick(alerts_sensor)
        template = work / "template"
        for part in ("data", "home"):
            shutil.copytree(work / part, template / part)
        print(f"[{time.monotonic() - T0:.0f}s] baseline settled (built once for the module)")
        yield Baseline(work, template, rx, rp.auto_cursor, dict(rp.cursors))


@pytest.mark.slow
@pytest.mark.parametrize("case", OUTAGES, ids=[o.source for o in OUTAGES])
def test_a_whole_day_source_outage_goes_through_and_reconciles(case: Outage, baseline: Baseline, monkeypatch):
    baseline.restore()
    sim_lake, rx = baseline.work / "data", baseline.rx
    _environment(monkeypatch, sim_lake, rx)
    rx.clear()
    T0 = time.monotonic()
    with lake_instance_for_test(temp_dir=str(baseline.work / "home")) as instance:
        defs = build_definitions()
        rp = Replay(defs, instance, _resources(defs, sim_lake), monkeypatch)
        rp.auto_cursor, rp.cursors = baseline.auto_cursor, dict(baseline.cursors)
        reader = LakeReader(str(sim_lake))

        # ---- the outage day: the source answers 503 to everything; the morning run still goes through
        add_outage(sim_lake / "sim", case.source, *OUTAGE)
        rp.at(MORNING)
        today = MORNING.astimezone(dt.timezone(dt.timedelta(hours=-5))).date()
        for req in game_day_requests(today, games_on(reader, [today - dt.timedelta(days=1), today])):
            rp.execute(req)
        rp.automation()
        rp.at(REFRESH)  # the slate's first refresh (10:00 ET): lines, injuries, predictions
        for req in _requests(rp.tick(slate_refresh_sensor)):
            rp.execute(req)
        print(f"[{time.monotonic() - T0:.0f}s] outage morning and refresh done")
        rp.tick(late_boxscore_sensor)  # probing a down source must not error the sensor
        assert isinstance(rp.tick(source_recovery_sensor), dg.SkipReason)  # still down: nothing to re-run
        rp.tick(alerts_sensor)

        # recorded: the tables of the source that were asked during the outage name it down
        for day, tables in case.recorded.items():
            assert {tb.label for tb in tables} <= _down_tables(instance, day), (day, _down_tables(instance, day))
        # the day goes on: every game of D and of the slate is there, D graded whole
        games = reader.query(f"select game_date, count(*) n, min(status) s from analytics.games "
                             f"where game_date in (DATE '{D}', DATE '{SLATE_DAY}') group by 1 order by 1")
        assert games.rows() == [(D, 7, 3), (SLATE_DAY, games["n"][1], 1)] and games["n"][1] > 0, games
        used = reader.query(f"select distinct source_used from analytics.player_game_summary "
                            f"where game_date = DATE '{D}' order by 1")["source_used"].to_list()
        assert tuple(used) == case.summary_sources
        cov = coverage.daily_coverage(
            reader.query(f"select * from raw.prop_lines where game_date = DATE '{D}'"),
            reader.query(f"select * from predictions.player_prop_predictions where game_date = DATE '{D}'"),
            reader.query(f"select * from grading.prediction_grades where game_date = DATE '{D}'"),
            reader.query(f"select * from analytics.games where game_date = DATE '{D}'"),
        ).row(0, named=True)
        graded_games = reader.query(f"select count(distinct game_id) n from grading.prediction_grades "
                                    f"where game_date = DATE '{D}'")["n"][0]
        assert graded_games == 7 and cov["graded_share"] == 1.0, cov  # every final game graded
        slate = reader.query(f"select count(distinct game_id) g, count(*) n, count(line) lined "
                             f"from predictions.player_prop_predictions where game_date = DATE '{SLATE_DAY}'")
        g, n, lined = slate.row(0)
        assert g == games["n"][1] and n > 0 and (lined > 0) == case.lined_slate, slate
        print(f"{case.source} down: {D} graded share {cov['graded_share']:.3f} ({graded_games}/7 games); "
              f"{SLATE_DAY}: {n} predictions over {g} games, {lined} with a line")
        warn = rp.latest_check("analytics/games", "final_games_in_every_source", D)
        assert warn is not None and (warn.passed if case.warning is None else case.warning in warn.description)
        # alerted: one incident per day the source was recorded down
        fired = {r.json()["key"] for r in rx.on("/hook") if r.json()["event"] == "firing"}
        outage_keys = {f"outage:{case.source}:{day}" for day in case.recorded}
        assert outage_keys <= fired, fired
        if case.warning:
            assert WARN_KEY in fired

        # ---- the source is back: the sensors re-ingest what it missed, automation reconciles the rest
        rp.at(RECOVERED)
        t0 = time.monotonic()
        for sensor in (late_boxscore_sensor, source_recovery_sensor):
            for req in _requests(rp.tick(sensor)):
                rp.execute(req, job="ingest_and_features")
        ran = rp.automation()
        reconciled_s = time.monotonic() - t0
        for day in case.recorded:
            assert _down_tables(instance, day) == set(), (day, _down_tables(instance, day))
        both = reader.query(f"select bool_and(has_bdl_boxscore) b, bool_and(has_nbacom_boxscore) n, "
                            f"min(schedule_sources) s, max(schedule_sources) s2 from analytics.games "
                            f"where game_date = DATE '{D}'")
        assert both.rows() == [(True, True, "nbacom+bdl", "nbacom+bdl")], both  # every source again
        assert rp.latest_check("analytics/games", "final_games_in_every_source", D).passed
        assert rp.latest_check("analytics/games", "schedules_agree", D).passed
        if case.source in ("oddsapi", "sportsdataio"):  # the feed's lines of the day, fetched once it is back
            lines = reader.query(f"select count(*) n from raw.prop_lines where game_date = DATE '{SLATE_DAY}' "
                                 f"and contains(source, '{case.source}')")
            assert lines["n"][0] > 0
        rp.tick(alerts_sensor)
        rp.tick(alerts_sensor)
        resolved = {r.json()["key"] for r in rx.on("/hook") if r.json()["event"] == "resolved"}
        assert outage_keys <= resolved, resolved
        print(f"recovery -> reconciled (in-process: sensor ticks, re-ingest, automation runs): {reconciled_s:.1f}s; "
              f"runs: {ran}")


def test_sim_outage_window_answers_503_for_that_source_only(sim_lake, monkeypatch, capsys):
    from nba_assets.cli.commands import entry
    from nba_assets.outage import is_outage
    from resources.http import SourceError

    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-12-08T13:00:00Z")
    assert entry(["sim", "outage", "--source", "bdl", "--hours", "2"]) == 0
    assert "bdl answers 503 to every request from" in capsys.readouterr().out
    assert entry(["sim", "outage", "--source", "espn"]) == 2
    sources = SourcesResource(mode="sim", data_dir=str(sim_lake))
    with pytest.raises(SourceError) as err:
        sources.bdl().probe_box_scores(D)
    assert err.value.last_status == 503 and is_outage(err.value)
    assert sources.nbacom().probe_leaguegamelog(D)  # the other source answers
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", "2025-12-08T15:00:00Z")  # the window [13:00, 15:00) is over
    assert SourcesResource(mode="sim", data_dir=str(sim_lake)).bdl().probe_box_scores(D)
