"""Ball Don't Lie down for a whole day, replayed on the sim: the day goes through on NBA.com, the
completeness warning names the missing source and reaches a person, and the day reconciles by itself
when the source is back.

Real definitions, real sim sources over httpx, real lake, one real instance. The daemon's part is
played in-process by the same code it runs: the game-day schedule's run requests, the real
`late_boxscore_sensor` and `alerts_sensor` (sending to a real HTTP receiver on 127.0.0.1) and
`dg.evaluate_automation_conditions` on the real automation conditions, each request executed.

Timeline (sim clock, ET): D = 2025-12-07 (7 games). BDL answers 503 to every request for the whole
of 12-08. The 12-08 08:00 morning run ingests D's results and 12-08's slate during the outage. At
12-09 00:00 BDL is back.
"""

import datetime as dt
import time

import dagster as dg
import pytest

from checks import coverage
from nba_assets.cli.runner import run_range
from nba_assets.definitions import build_definitions
from resources.alerts import alerts_from_env
from resources.lake import LakeReader
from resources.sim.control import add_outage
from resources.sources import SourcesResource
from sensors.alerts import alerts_sensor
from sensors.late_boxscores import late_boxscore_sensor
from sensors.schedules import game_day_requests, games_on
from tests.conftest import lake_instance_for_test
from tests.receiver import Receiver

D = dt.date(2025, 12, 7)
HISTORY_START = dt.date(2025, 12, 4)  # really materialized from here; earlier days are reported runless
OUTAGE = (dt.datetime(2025, 12, 8, 5, 0, tzinfo=dt.UTC), dt.datetime(2025, 12, 9, 5, 0, tzinfo=dt.UTC))
MORNING = dt.datetime(2025, 12, 8, 13, 0, tzinfo=dt.UTC)  # 08:00 ET on D+1, BDL down
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
            for layer in LAYERS:
                for spec in self.defs.resolve_all_asset_specs():
                    if spec.key.path[0] != layer or spec.partitions_def is None or spec.key.path[-1] == "points_model":
                        continue
                    parts = sorted(p for p in r.get_requested_partitions(spec.key) if p)
                    if not parts:
                        continue
                    summary = run_range(self.defs, JOB_OF_LAYER[layer], parts[0], parts[-1],
                                        instance=self.instance, selection=[spec.key])
                    assert summary.success, f"automation run of {spec.key.to_user_string()} failed: {summary.error}"
                    ran.append(f"{spec.key.to_user_string()} {parts[0]}..{parts[-1]}")
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


@pytest.mark.slow
def test_a_whole_day_source_outage_goes_through_and_reconciles(sim_lake, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    monkeypatch.setattr("nba_assets.raw.RESUME_BACKOFF_S", 0.0)  # a down source: no point waiting in a test
    T0 = time.monotonic()
    with Receiver() as rx, lake_instance_for_test() as instance:
        monkeypatch.setenv("NBA_LAKE_ALERT_WEBHOOK", f"{rx.url}/hook")
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
        defs = build_definitions()
        res = {"alerts": alerts_from_env(), "sources": SourcesResource(mode="sim", data_dir=str(sim_lake)),
               "lake": defs.resources["lake"]}
        rp = Replay(defs, instance, res, monkeypatch)
        reader = LakeReader(str(sim_lake))

        # ---- before: history up to D, predictions for D made on D's morning
        rp.at(dt.datetime(2025, 12, 7, 17, 0, tzinfo=dt.UTC))
        _runless_history(instance, defs, HISTORY_START - dt.timedelta(days=200), HISTORY_START - dt.timedelta(days=1))
        for job in ("ingest_and_features", "predict_and_grade"):
            assert run_range(defs, job, str(HISTORY_START), str(D), instance=instance).success
        print(f"[{time.monotonic() - T0:.0f}s] history backfilled")
        rp.automation()
        for req in _requests(rp.tick(late_boxscore_sensor)):  # anything the sources changed since
            rp.execute(req, job="ingest_and_features")
        rp.automation()
        rp.tick(alerts_sensor)
        rx.clear()
        print(f"[{time.monotonic() - T0:.0f}s] baseline settled")

        # ---- the outage day: BDL answers 503 to everything; the morning run still goes through
        add_outage(sim_lake / "sim", "bdl", *OUTAGE)
        rp.at(MORNING)
        today = MORNING.astimezone(dt.timezone(dt.timedelta(hours=-5))).date()
        for req in game_day_requests(today, games_on(reader, [today - dt.timedelta(days=1), today])):
            rp.execute(req)
        rp.automation()
        print(f"[{time.monotonic() - T0:.0f}s] outage morning done")
        skip = rp.tick(late_boxscore_sensor)  # probing a down source must not error the sensor
        assert isinstance(skip, dg.SkipReason) and "bdl down" in skip.skip_message
        rp.tick(alerts_sensor)

        box = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", "bdl_boxscores"]), asset_partitions=[str(D)]), limit=1
        ).records[0].asset_materialization
        assert "HTTP 503" in box.metadata["source_unavailable"].value[str(D)]
        summary = reader.query(f"select source_used, count(*) n from analytics.player_game_summary "
                               f"where game_date = DATE '{D}' group by 1")
        assert summary.rows() == [("nbacom", summary["n"][0])]  # analytics from the other source
        cov = coverage.daily_coverage(
            reader.query(f"select * from raw.prop_lines where game_date = DATE '{D}'"),
            reader.query(f"select * from predictions.player_prop_predictions where game_date = DATE '{D}'"),
            reader.query(f"select * from grading.prediction_grades where game_date = DATE '{D}'"),
            reader.query(f"select * from analytics.games where game_date = DATE '{D}'"),
        ).row(0, named=True)
        graded_games = reader.query(f"select count(distinct game_id) n from grading.prediction_grades "
                                    f"where game_date = DATE '{D}'")["n"][0]
        assert graded_games == 7 and cov["graded_share"] == 1.0, cov  # every final game graded
        print(f"outage day {D}: graded share {cov['graded_share']:.3f} "
              f"({cov['graded']}/{cov['final_game_predictions']}), {graded_games}/7 games")
        warn = rp.latest_check("analytics/games", "final_games_in_every_source", D)
        assert warn is not None and not warn.passed and "bdl: 7" in warn.description
        assert [(r.json()["event"], r.json()["key"]) for r in rx.on("/hook")] == [("firing", WARN_KEY)]
        fired = rx.on("/hook")[0].json()
        assert fired["severity"] == "warning" and "bdl: 7" in fired["fields"]["summary"]

        # ---- BDL is back: the late-boxscore sensor re-ingests D, automation reconciles the rest
        rp.at(RECOVERED)
        t0 = time.monotonic()
        reqs = rp.tick(late_boxscore_sensor)
        assert isinstance(reqs, list) and str(D) in {r.partition_key for r in reqs}
        for req in reqs:
            rp.execute(req, job="ingest_and_features")
        ran = rp.automation()
        reconciled_s = time.monotonic() - t0
        assert any(r.startswith("analytics/player_game_summary") for r in ran), ran
        assert any(r.startswith("grading/prediction_grades") for r in ran), ran
        games = reader.query(f"select bool_and(has_bdl_boxscore) b, bool_and(has_nbacom_boxscore) n "
                             f"from analytics.games where game_date = DATE '{D}'")
        assert games.rows() == [(True, True)]  # both sources again
        used = reader.query(f"select distinct source_used from analytics.player_game_summary "
                            f"where game_date = DATE '{D}' order by 1")["source_used"].to_list()
        assert used == ["bdl", "nbacom"], used  # BDL's DNP rows are back (NBA.com lists players who played)
        assert rp.latest_check("analytics/games", "final_games_in_every_source", D).passed
        rp.tick(alerts_sensor)
        rp.tick(alerts_sensor)
        assert [(r.json()["event"], r.json()["key"]) for r in rx.on("/hook")] == [
            ("firing", WARN_KEY), ("resolved", WARN_KEY)
        ]
        print(f"recovery -> reconciled (in-process: sensor tick, re-ingest, automation runs): {reconciled_s:.1f}s; "
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
