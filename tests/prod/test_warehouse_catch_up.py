"""Publishing state per table and day, and the automation that catches BigQuery up, end to end on the
emulators and the prod instance (PostgreSQL): BigQuery down -> the day is written to the lake and its
`published_to_bigquery` check fails (without a second wait) -> the catch-up sensor waits while BigQuery
does not answer -> BigQuery back -> the sensor's run re-publishes the day from the lake -> the check
passes and BigQuery's counts equal the lake's; a second catch-up of the same day changes nothing
(MERGE)."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from checks.warehouse import PUBLISHED
from nba_assets import tables
from nba_assets.dagster_internals import private_api
from tests.prod.test_bigquery_down import Blackhole, home  # noqa: F401 - `home`: the prod instance fixture

DAY = "2025-12-11"
TABLES = (tables.SCHEDULE, tables.INJURIES)


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance):
    repo = defs.get_repository_def()
    sensor = repo.get_sensor_def("warehouse_catch_up_sensor")
    with dg.build_sensor_context(instance=instance, repository_def=repo, sensor_name=sensor.name,
                                 resources=repo.get_top_level_resources()) as ctx:
        return sensor.evaluate_tick(ctx)


def _day_status(instance: dg.DagsterInstance) -> dict[str, str]:
    keys = [dg.AssetCheckKey(t.key, PUBLISHED) for t in TABLES]
    records = private_api.latest_check_records(instance, keys, DAY)
    return {k.asset_key.to_user_string(): records[k].status.value for k in keys if k in records}


def _alert_events(instance: dg.DagsterInstance) -> dict[str, str]:
    """{incident key: "firing" | "resolved"} the alerts sensor derives from the check records, latest wins."""
    from resources.alerts import alerts_from_env
    from sensors.alerts import check_events, check_records

    keys = [dg.AssetCheckKey(t.key, PUBLISHED) for t in TABLES]
    out = {}
    for event in check_events(alerts_from_env(), check_records(instance, keys, None), "2025-12-11T20:00:00+00:00"):
        out[event.key] = "firing" if event.alert is not None else "resolved"
    return out


def _counts(env) -> dict[str, tuple[int, int]]:
    from checks.warehouse import footer_rows

    out = {}
    with env.bigquery().get_client() as client:
        publisher = env.bigquery().publisher(client)
        for table in TABLES:
            out[table.label] = (publisher.day_counts(table, [DAY]).get(DAY, 0), footer_rows(env.data_dir, table, DAY))
    return out


@pytest.fixture
def down_then_up(prod_env, monkeypatch):
    monkeypatch.setenv("NBA_LAKE_BQ_PUBLISH_DEADLINE_S", "1")
    hole = Blackhole()
    monkeypatch.setenv("NBA_LAKE_BQ_ENDPOINT", f"http://127.0.0.1:{hole.port}")

    def back():
        monkeypatch.setenv("NBA_LAKE_BQ_ENDPOINT", prod_env.bq.endpoint)
        # the real emulator on a loaded 2-core machine can take over 1 s for a load + MERGE
        monkeypatch.setenv("NBA_LAKE_BQ_PUBLISH_DEADLINE_S", "30")

    yield prod_env, back
    hole.close()


def test_a_day_bigquery_missed_is_failed_per_table_then_caught_up_by_the_sensor(
    down_then_up, home, monkeypatch  # noqa: F811 - the fixture imported above
):
    from nba_assets.definitions import build_definitions
    from sensors import warehouse

    env, back = down_then_up
    monkeypatch.setattr(warehouse, "PROBE_TIMEOUT_S", 1.0)
    down = build_definitions()
    # the prod instance: deploy/dagster.prod.yaml on PostgreSQL, where the check records live in prod
    with dg.DagsterInstance.from_config(str(home)) as instance:
        t0 = time.monotonic()
        result = down.resolve_job_def("ingest_and_features").execute_in_process(
            instance=instance, partition_key=DAY, asset_selection=[t.key for t in TABLES]
        )
        took = time.monotonic() - t0
        assert result.success  # the lake holds the day; the run is not failed for the warehouse
        evaluations = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()
                       if e.check_name == PUBLISHED}
        assert set(evaluations) == {t.label for t in TABLES}
        assert not any(e.passed for e in evaluations.values())
        assert all("not in BigQuery" in e.description for e in evaluations.values()), evaluations
        assert _day_status(instance) == {t.label: "FAILED" for t in TABLES}
        incidents = {f"check:{t.label}:{PUBLISHED}:{DAY}" for t in TABLES}
        assert _alert_events(instance) == dict.fromkeys(incidents, "firing")  # one page per table and day
        # one publish waited its 1 s deadline; the checks did not ask BigQuery again (they read the
        # run's own "warehouse/published: no"), so they cost no second deadline
        print(f"run with BigQuery down: {took:.1f} s")

        skipped = _tick(down, instance)
        assert not skipped.run_requests and "wait for BigQuery" in skipped.skip_message

        back()
        up = build_definitions()
        tick = _tick(up, instance)
        assert len(tick.run_requests) == 1
        request = tick.run_requests[0]
        assert sorted(request.run_config["ops"]["publish_missing_days"]["config"]["days"]) == sorted(
            f"{t.label} {DAY}" for t in TABLES)
        job = up.resolve_job_def("warehouse_catch_up")
        assert job.execute_in_process(run_config=request.run_config, instance=instance, tags=request.tags).success
        assert _day_status(instance) == {t.label: "SUCCEEDED" for t in TABLES}
        assert _alert_events(instance) == dict.fromkeys(incidents, "resolved")
        counts = _counts(env)
        assert all(bq == lake and lake > 0 for bq, lake in counts.values()), counts

        assert "every published day is in BigQuery" in _tick(up, instance).skip_message
        # re-publishing the same day (e.g. two catch-ups racing) leaves the same rows: MERGE, not append
        assert job.execute_in_process(run_config=request.run_config, instance=instance).success
        assert _counts(env) == counts
