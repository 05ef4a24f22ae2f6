"""The pure parts of outage handling: which runs the recovery sensor asks for, which alerts the alerts
sensor keeps open (sensors/outages.py, sensors/alerts.py)."""

from __future__ import annotations

from nba_assets import tables as t
from resources.alerts import AlertsResource
from sensors.alerts import outage_events, reconcile
from sensors.outages import SOURCE_OF, plan_recovery, watched_days

D1, D2 = "2025-12-07", "2025-12-08"


def test_every_raw_table_has_a_source_the_recovery_can_probe():
    from sensors.outages import PROBES

    assert {tb.layer for tb in SOURCE_OF} == {"raw"} and set(SOURCE_OF.values()) <= set(PROBES)
    assert SOURCE_OF[t.SCHEDULE] == "nbacom" and SOURCE_OF[t.BDL_GAMES] == "bdl" and SOURCE_OF[t.PROP_LINES] == "oddsapi"


def test_recovery_asks_once_per_day_for_the_tables_of_the_sources_that_answer():
    outages = {
        ("nbacom", D1): {t.SCHEDULE: 11, t.NBACOM_BOXSCORES: 12},
        ("nbacom", D2): {t.SCHEDULE: 21},
        ("bdl", D2): {t.BDL_GAMES: 22, t.INJURIES: 23},
        ("oddsapi", D2): {t.PROP_LINES: 24},
    }
    reqs = plan_recovery(outages, up={"nbacom", "bdl"})
    got = {r.partition_key: sorted(k.to_user_string() for k in r.asset_selection) for r in reqs}
    # the odds are still down; games re-derived with its schedules and box scores (a slate day has no
    # box scores, so automation would not re-run it)
    assert got == {D1: ["analytics/games", "raw/nbacom_boxscores", "raw/schedule"],
                   D2: ["analytics/games", "raw/bdl_games", "raw/injuries", "raw/schedule"]}
    assert [r.run_key for r in reqs] == [f"recovered-{D1}-12-11", f"recovered-{D2}-22-23-21"]
    assert plan_recovery(outages, up=set()) == []
    # the same day recorded down again (a new materialization) is a new run key
    again = plan_recovery({("nbacom", D1): {t.SCHEDULE: 31}}, up={"nbacom"})
    assert again[0].run_key == f"recovered-{D1}-31"
    # a table games does not read leaves games to automation
    odds = plan_recovery({("oddsapi", D2): {t.PROP_LINES: 41}}, up={"oddsapi"})
    assert [k.to_user_string() for k in odds[0].asset_selection] == ["raw/prop_lines"]


def test_one_alert_per_source_and_day_resolved_when_no_longer_recorded():
    alerts, now = AlertsResource(), "2025-12-08T13:00:00+00:00"
    down = {("nbacom", D2): {t.SCHEDULE: 1, t.NBACOM_BOXSCORES: 2}}
    sent, open_ = reconcile({}, outage_events(alerts, down, {}, now), now)
    assert [(a.key, a.status, a.kind) for a in sent] == [(f"outage:nbacom:{D2}", "firing", "source_outage")]
    assert "nbacom down for 2025-12-08: raw/nbacom_boxscores, raw/schedule" in sent[0].title
    sent, open_ = reconcile(open_, outage_events(alerts, down, open_, now), now)
    assert sent == []  # still down: nothing sent again
    sent, open_ = reconcile(open_, outage_events(alerts, {}, open_, now), now)
    assert [(a.key, a.status) for a in sent] == [(f"outage:nbacom:{D2}", "resolved")] and open_ == {}


def test_watched_days_are_the_lookback_and_today():
    import datetime as dt

    days = watched_days(dt.date(2025, 12, 9), n=2)
    assert days == ["2025-12-07", "2025-12-08", "2025-12-09"]
