"""Alerts reach a person, once per incident, with a resolved message; heartbeats reach the monitor.

A real HTTP receiver on 127.0.0.1 stands in for Slack's Web API (slack_sdk's WebClient posts to it via
dagster-slack), the generic JSON webhook and the heartbeat monitor. Real Dagster runs and check
evaluations go into a real (temporary) instance; the real `alerts_sensor` is ticked on the sim clock.
"""


import datetime as dt
import json
import logging

import dagster as dg
import pytest

from checks.health import PIPELINE_HEALTH, last_game_day_success
from resources.alerts import AlertsResource, alerts_from_env, scrub
from resources.sources import SourcesResource
from sensors.alerts import Event, alerts_sensor, observe_writes, reconcile, stale_events, tick_events
from tests.conftest import lake_instance_for_test
from tests.receiver import Receiver

TOKEN = "xoxb-1234-secret-slack-token"
HOOK_SECRET = "hook-secret-0987"
BEAT_SECRET = "beat-secret-5555"
T0 = dt.datetime(2025, 12, 12, 13, 30, tzinfo=dt.UTC)  # 08:30 ET: after the morning run
DAYS = dg.DailyPartitionsDefinition(start_date="2025-12-01")
STATE = {"fail_run": False, "fail_check": False}


@dg.asset(partitions_def=DAYS, key=["raw", "flaky_feed"])
def flaky_feed(context: dg.AssetExecutionContext) -> None:
    if STATE["fail_run"]:
        raise RuntimeError(f"stats source answered 503 for every request (url ...?apiKey={HOOK_SECRET})")


@dg.asset_check(asset=flaky_feed, name="no_rejected_records", partitions_def=DAYS)
def flaky_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    if STATE.get("during_check"):
        STATE["during_check"]()  # e.g. the daemon ticks the alerts sensor while this check runs
    bad = STATE["fail_check"]
    return dg.AssetCheckResult(
        passed=not bad,
        severity=dg.AssetCheckSeverity.ERROR,
        description="1 record(s) rejected by the parser" if bad else "every record parsed",
        metadata={
            "failing_dates": context.partition_key if bad else "none",
            "offending_sample": dg.MetadataValue.md("| game | player | field | rule |\n|---|---|---|---|\n"
                                                    "| 0022500401 | jalen-brunson | pts | null |"),
        },
    )


@dg.asset(key=["ops", "heartbeat_probe"])
def probe() -> None:
    return None


game_day = dg.define_asset_job("game_day", selection=[probe])


def resources(sim_data) -> dict:
    return {"alerts": alerts_from_env(), "sources": SourcesResource(mode="sim", data_dir=str(sim_data))}


def definitions(res: dict) -> dg.Definitions:
    return dg.Definitions(
        assets=[flaky_feed, probe, dg.AssetSpec(PIPELINE_HEALTH)],
        asset_checks=[flaky_check],
        jobs=[game_day],
        sensors=[alerts_sensor],
        resources=res,
    )


class Ticker:
    """Ticks the real alerts_sensor, carrying its cursor like the daemon does."""

    def __init__(self, instance, defs, resources, monkeypatch):
        self.instance, self.defs, self.resources, self.mp = instance, defs, resources, monkeypatch
        self.cursor = None

    def tick(self, at: dt.datetime) -> None:
        self.mp.setenv("NBA_LAKE_SIM_NOW", at.isoformat())
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, definitions=self.defs, sensor_name="alerts_sensor",
            resources=self.resources,
        ) as ctx:
            alerts_sensor(ctx)
            self.cursor = ctx.cursor


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    STATE.update(fail_run=False, fail_check=False, during_check=None)
    with Receiver() as rx, lake_instance_for_test() as instance:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("NBA_LAKE_SLACK_API_URL", f"{rx.url}/api/")
        monkeypatch.setenv("NBA_LAKE_SLACK_CHANNEL", "#oncall")
        monkeypatch.setenv("NBA_LAKE_ALERT_WEBHOOK", f"{rx.url}/hook?key={HOOK_SECRET}")
        monkeypatch.setenv("NBA_LAKE_HEARTBEAT_URL", f"{rx.url}/ping/{BEAT_SECRET}")
        res = resources(tmp_path)
        defs = definitions(res)
        yield rx, instance, defs, Ticker(instance, defs, res, monkeypatch)


def slack_texts(rx: Receiver) -> list[str]:
    return [r.json()["text"] for r in rx.on("/api/chat.postMessage")]


def hook_events(rx: Receiver) -> list[tuple[str, str]]:
    return [(r.json()["event"], r.json()["key"]) for r in rx.on("/hook")]


def assert_no_secret(rx: Receiver, caplog) -> None:
    for r in rx.requests:
        body = r.body.decode()
        for secret in (TOKEN, HOOK_SECRET, BEAT_SECRET):
            assert secret not in body, f"secret in a payload to {r.path}"
        if r.path.endswith("chat.postMessage"):
            assert r.headers["authorization"] == f"Bearer {TOKEN}"  # only where Slack needs it
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("nba_lake"))
    for secret in (TOKEN, HOOK_SECRET, BEAT_SECRET):
        assert secret not in ours


def materialize(defs, instance, day: str):
    return dg.materialize(
        [flaky_feed, flaky_check], partition_key=day, instance=instance, raise_on_error=False
    )


def test_failed_run_alerts_once_then_resolves(setup, caplog):
    rx, instance, defs, ticker = setup
    caplog.set_level(logging.INFO)
    STATE["fail_run"] = True
    assert not materialize(defs, instance, "2025-12-11").success
    ticker.tick(T0)
    ticker.tick(T0 + dt.timedelta(minutes=1))  # still failing: nothing new
    assert hook_events(rx) == [("firing", "run:__ephemeral_asset_job__:2025-12-11")]
    (text,) = slack_texts(rx)
    assert "run of __ephemeral_asset_job__ failed (2025-12-11)" in text and "503 for every request" in text
    assert rx.on("/api/chat.postMessage")[0].json()["channel"] == "#oncall"
    payload = rx.on("/hook")[0].json()
    assert payload["fields"]["partition"] == "2025-12-11" and payload["link"].endswith(payload["fields"]["run_id"])

    STATE["fail_run"] = False
    assert materialize(defs, instance, "2025-12-11").success
    ticker.tick(T0 + dt.timedelta(minutes=2))
    ticker.tick(T0 + dt.timedelta(minutes=3))
    assert hook_events(rx) == [("firing", "run:__ephemeral_asset_job__:2025-12-11"), ("resolved", "run:__ephemeral_asset_job__:2025-12-11")]
    assert len(slack_texts(rx)) == 2 and slack_texts(rx)[1].startswith(":white_check_mark: *RESOLVED")
    assert_no_secret(rx, caplog)


def test_error_check_alerts_once_per_day_then_resolves(setup, caplog):
    rx, instance, defs, ticker = setup
    caplog.set_level(logging.INFO)
    STATE["fail_check"] = True
    materialize(defs, instance, "2025-12-10")
    materialize(defs, instance, "2025-12-10")  # the same failure again: same incident
    ticker.tick(T0)
    ticker.tick(T0 + dt.timedelta(minutes=1))
    key = "check:raw/flaky_feed:no_rejected_records:2025-12-10"
    assert hook_events(rx) == [("firing", key)]
    fields = rx.on("/hook")[0].json()["fields"]
    assert fields["check"] == "no_rejected_records" and fields["table"] == "raw/flaky_feed"
    assert fields["day"] == "2025-12-10" and "1 record(s) rejected" in fields["summary"]
    assert "jalen-brunson" in fields["offending"]
    assert "checkDetail=no_rejected_records" in rx.on("/hook")[0].json()["link"]

    STATE["fail_check"] = False
    materialize(defs, instance, "2025-12-10")
    ticker.tick(T0 + dt.timedelta(minutes=2))
    ticker.tick(T0 + dt.timedelta(minutes=3))
    assert hook_events(rx) == [("firing", key), ("resolved", key)]
    assert len(slack_texts(rx)) == 2
    assert_no_secret(rx, caplog)


def test_a_check_failing_while_the_sensor_ticks_during_its_evaluation_still_alerts(setup):
    """The check's record exists (PLANNED) from its step's start; a tick then must not move the cursor
    past it, or its failure, landing later under the same id, is never read (seen in the soak)."""
    rx, instance, defs, ticker = setup
    STATE["fail_check"] = True
    STATE["during_check"] = lambda: ticker.tick(T0)
    materialize(defs, instance, "2025-12-10")
    STATE["during_check"] = None
    assert hook_events(rx) == []  # nothing was known at that tick
    ticker.tick(T0 + dt.timedelta(minutes=1))
    key = "check:raw/flaky_feed:no_rejected_records:2025-12-10"
    assert hook_events(rx) == [("firing", key)]
    ticker.tick(T0 + dt.timedelta(minutes=2))  # read once more: still one message
    assert hook_events(rx) == [("firing", key)]


def test_check_cursor_stops_below_the_first_record_in_flight():
    from types import SimpleNamespace

    from sensors.alerts import check_cursor

    recs = [SimpleNamespace(id=i, planned=p) for i, p in ((4, False), (5, True), (7, False))]
    assert check_cursor(recs, 3, lambda r: r.planned) == 4
    assert check_cursor(recs, 3, lambda r: False) == 7
    assert check_cursor([], 3, lambda r: True) == 3


def test_thirty_hour_stall_on_the_sim_clock_alerts_once_and_recovery_resolves(setup, caplog):
    rx, instance, defs, ticker = setup
    caplog.set_level(logging.INFO)
    job = defs.resolve_job_def("game_day")
    assert job.execute_in_process(instance=instance).success
    ticker.tick(T0)
    assert len(rx.on(f"/ping/{BEAT_SECRET}")) == 1, "one heartbeat per successful game-day run"
    assert last_game_day_success(instance) == T0
    assert hook_events(rx) == []

    for hours in (10, 25, 30, 30.5):  # 26 h window: 30 h is a stall; one alert, not one per tick
        ticker.tick(T0 + dt.timedelta(hours=hours))
    assert hook_events(rx) == [("firing", "stale:game_day_run")]
    assert "last successful game_day run 30.0 h ago" in slack_texts(rx)[0]
    assert len(rx.on(f"/ping/{BEAT_SECRET}")) == 1

    assert job.execute_in_process(instance=instance).success  # the daemon is back
    ticker.tick(T0 + dt.timedelta(hours=31))
    ticker.tick(T0 + dt.timedelta(hours=31, minutes=1))
    assert hook_events(rx) == [("firing", "stale:game_day_run"), ("resolved", "stale:game_day_run")]
    assert len(rx.on(f"/ping/{BEAT_SECRET}")) == 2
    assert_no_secret(rx, caplog)


def test_undelivered_message_is_retried_next_tick(setup):
    rx, instance, defs, ticker = setup
    STATE["fail_run"] = True
    materialize(defs, instance, "2025-12-09")
    rx.status = 503
    ticker.tick(T0)
    assert json.loads(ticker.cursor)["pending"], "an undelivered alert must stay pending"
    rx.status = 200
    rx.clear()
    ticker.tick(T0 + dt.timedelta(minutes=1))
    ticker.tick(T0 + dt.timedelta(minutes=2))
    assert hook_events(rx) == [("firing", "run:__ephemeral_asset_job__:2025-12-09")]


def test_without_sinks_alerts_go_to_the_log(caplog, tmp_path, monkeypatch):
    for var in ("SLACK_BOT_TOKEN", "NBA_LAKE_ALERT_WEBHOOK", "NBA_LAKE_HEARTBEAT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NBA_LAKE_SOURCE", "sim")
    STATE.update(fail_run=True, fail_check=False)
    caplog.set_level(logging.INFO, logger="nba_lake.alerts")
    with lake_instance_for_test() as instance:
        res = resources(tmp_path)
        defs = definitions(res)
        materialize(defs, instance, "2025-12-08")
        Ticker(instance, defs, res, monkeypatch).tick(T0)
    lines = [r.getMessage() for r in caplog.records if r.name == "nba_lake.alerts"]
    assert len(lines) == 1 and lines[0].startswith("ALERT ") and "run:__ephemeral_asset_job__:2025-12-08" in lines[0]


# ----------------------------------------------------------------------------------- pure rules
def _alert(key: str):
    from resources.alerts import Alert

    return Alert(key=key, kind="check_failed", status="firing", title=key)


def test_reconcile_sends_net_changes_only():
    msgs, open_ = reconcile({}, [Event("a", alert=_alert("a")), Event("a", alert=_alert("a"))], "t")
    assert [m.key for m in msgs] == ["a"] and set(open_) == {"a"}
    msgs, open_ = reconcile(open_, [Event("a", alert=_alert("a"))], "t")
    assert msgs == [] and set(open_) == {"a"}
    msgs, open_ = reconcile(open_, [Event("a", resolve_why="passed"), Event("b", resolve_why="x")], "t2")
    assert [(m.status, m.key, m.fields["resolution"]) for m in msgs] == [("resolved", "a", "passed")]
    assert open_ == {}
    # opened and closed between two ticks: nothing to say
    msgs, open_ = reconcile({}, [Event("c", alert=_alert("c")), Event("c", resolve_why="ok")], "t3")
    assert msgs == [] and open_ == {}


def test_erroring_sensor_is_an_incident_and_skipped_ticks_resolve_it():
    class Tick:
        def __init__(self, status, message=None):
            self.status = dg.TickStatus[status] if hasattr(dg, "TickStatus") else type("S", (), {"value": status})
            self.error = type("E", (), {"message": message})() if message else None

    alerts = AlertsResource()
    events = tick_events(alerts, {"late_boxscore_sensor": Tick("FAILURE", "ConnectError: stats.nba.com")}, "t")
    assert events[0].alert is not None and "late_boxscore_sensor is erroring" == events[0].alert.title
    events = tick_events(alerts, {"late_boxscore_sensor": Tick("SKIPPED")}, "t")
    assert events[0].alert is None and events[0].resolve_why


def test_scrub_removes_secret_values_and_key_params(monkeypatch):
    monkeypatch.setenv("BDL_API_KEY", "bdl-secret-1")
    text = "GET https://x/odds?apiKey=abc123&date=1 failed; auth bdl-secret-1; Bearer xoxb-9-9"
    out = scrub(text)
    assert "abc123" not in out and "bdl-secret-1" not in out and "xoxb-9-9" not in out and "date=1" in out


def test_first_tick_on_an_existing_instance_pings_for_the_latest_run_only(setup):
    rx, instance, defs, ticker = setup
    job = defs.resolve_job_def("game_day")
    for _ in range(3):
        assert job.execute_in_process(instance=instance).success
    ticker.tick(T0)
    assert len(rx.on(f"/ping/{BEAT_SECRET}")) == 1
    assert job.execute_in_process(instance=instance).success
    ticker.tick(T0 + dt.timedelta(hours=1))
    assert len(rx.on(f"/ping/{BEAT_SECRET}")) == 2


def test_tables_age_on_the_sources_clock_and_a_stalled_run_stands_for_them():
    from resources.alerts import AlertsResource

    alerts = AlertsResource(ui_url="http://127.0.0.1:3000")
    sim_now = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    wall = 1_000_000.0
    # written 60 wall seconds before the tick that first sees it: dated 60 s before the sim's now
    seen = observe_writes({}, {"raw/schedule": (5, wall - 60)}, sim_now, wall)
    assert seen == {"raw/schedule": [5, "2026-01-10T11:59:00+00:00"]}
    # the same write seen again keeps its date, whatever the clocks did since
    assert observe_writes(seen, {"raw/schedule": (5, wall - 60)}, sim_now + dt.timedelta(hours=40), wall + 5) == seen
    fail = {"raw/schedule": 30.0}
    ok_run = sim_now + dt.timedelta(hours=31)  # a game-day run succeeded an hour ago (sim clock)
    events = stale_events(alerts, ok_run - dt.timedelta(hours=1), ok_run, seen, fail)
    (table,) = [e for e in events if e.key == "stale:raw/schedule"]
    assert table.alert is not None and "not written for 31.0 h (freshness policy: 30 h)" in table.alert.title
    # the run itself stalled: one incident (the run), not one per table it writes
    events = stale_events(alerts, sim_now, ok_run, seen, fail)
    assert [e.key for e in events if e.alert is not None] == ["stale:game_day_run"]
    # written within the window: resolves
    events = stale_events(alerts, None, sim_now + dt.timedelta(hours=29), seen, fail)
    assert [(e.key, e.alert) for e in events] == [("stale:raw/schedule", None)]


def test_a_registry_table_goes_stale_on_the_sources_clock_through_the_sensors_evaluation():
    with dg.instance_for_test() as instance:
        _a_registry_table_goes_stale(instance)


def _a_registry_table_goes_stale(instance):
    from checks.health import latest_writes, record_game_day_success
    from nba_assets import tables
    from resources.alerts import AlertsResource
    from sensors.alerts import evaluate

    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=tables.SCHEDULE.key, partition="2026-01-09"))
    writes = latest_writes(instance, [tables.SCHEDULE, tables.GAMES])
    assert set(writes) == {tables.SCHEDULE.label}  # never-written tables have no age
    t0 = dt.datetime.now(dt.UTC)
    alerts = AlertsResource()
    sent, cursor = evaluate(instance, alerts, t0, [], [tables.SCHEDULE, tables.GAMES], {})
    assert sent == [] and list(cursor["seen"]) == [tables.SCHEDULE.label]
    later = t0 + dt.timedelta(hours=31)  # the game-day runs go on (an hour ago) but the table is not written
    record_game_day_success(instance, "run-1", later - dt.timedelta(hours=1), pinged=False)
    sent, cursor = evaluate(instance, alerts, later, [], [tables.SCHEDULE, tables.GAMES], cursor)
    assert [(a.key, a.status) for a in sent] == [(f"stale:{tables.SCHEDULE.label}", "firing")]


def test_odds_quota_below_the_floor_alerts_once_and_resolves_when_back_above(setup, tmp_path, monkeypatch):
    from resources.sim.quota import set_remaining

    rx, instance, defs, ticker = setup
    monkeypatch.setenv("NBA_LAKE_QUOTA_FLOOR", "1000")
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", T0.isoformat())
    odds = SourcesResource(mode="sim", data_dir=str(tmp_path)).odds()
    set_remaining(tmp_path / "sim", 900)
    odds.fetch_events(dt.date(2025, 12, 11))  # a past day's historical events list: 1 credit
    ticker.tick(T0)
    ticker.tick(T0 + dt.timedelta(minutes=1))  # still low: nothing new
    assert [k for e, k in hook_events(rx) if k.startswith("quota:")] == ["quota:oddsapi"]
    assert any("oddsapi quota low: 899 credits left" in t for t in slack_texts(rx))
    set_remaining(tmp_path / "sim", 5000)
    odds.fetch_events(dt.date(2025, 12, 10))
    ticker.tick(T0 + dt.timedelta(minutes=2))
    assert [(e, k) for e, k in hook_events(rx) if k.startswith("quota:")] == [
        ("firing", "quota:oddsapi"), ("resolved", "quota:oddsapi")]
