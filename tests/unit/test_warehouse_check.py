"""The `published_to_bigquery` rule (pure) and the catch-up job's item parsing."""

from __future__ import annotations

import pytest

from checks.warehouse import CATCH_UP, compare_day, warehouse_checks
from nba_assets import tables
from sensors.warehouse import parse_days

DAY = "2025-12-11"


def test_a_day_passes_when_bigquery_holds_the_lakes_rows():
    r = compare_day(DAY, 36, 36)
    assert r.passed and "36 rows" in r.summary and r.extra["bigquery_rows"] == 36


@pytest.mark.parametrize(
    ("lake", "bq", "kw", "words", "retry"),
    [
        (36, 0, {}, "BigQuery has 0 rows, the lake 36", "yes"),
        (36, 40, {}, "BigQuery has 40 rows, the lake 36", "yes"),
        (36, None, {"unpublished": "publish raw/injuries 2025-12-11: BigQuery did not answer within 3 s"},
         "in the lake, not in BigQuery: publish raw/injuries", "yes"),
        (36, None, {"unavailable": "count raw/injuries: BigQuery did not answer within 60 s"},
         "BigQuery not compared: count raw/injuries", "yes"),
        (None, 0, {}, "the lake holds no object for the day", "no"),
    ],
)
def test_a_day_fails_naming_why(lake, bq, kw, words, retry):
    r = compare_day(DAY, lake, bq, **kw)
    assert not r.passed and words in r.summary and r.failing_dates == [DAY]
    assert r.extra[CATCH_UP] == retry


def test_an_empty_day_in_both_passes():
    assert compare_day(DAY, 0, 0).passed


def test_the_check_exists_only_where_there_is_a_warehouse():
    assert warehouse_checks(False) == []
    checks = warehouse_checks(True)
    from resources.bigquery import publishable_tables

    assert {k.name for c in checks for k in c.check_keys} == {"published_to_bigquery"}
    assert sorted(k.asset_key for c in checks for k in c.check_keys) == sorted(t.key for t in publishable_tables())


def test_catch_up_items_parse_and_a_bad_one_is_named():
    assert parse_days(["raw/schedule 2025-12-11", "raw/schedule 2025-12-10", "analytics/games 2025-12-11",
                       "raw/schedule 2025-12-11"]) == {
        tables.SCHEDULE: ["2025-12-11", "2025-12-10"], tables.GAMES: ["2025-12-11"]}
    with pytest.raises(ValueError, match="'raw/nope 2025-12-11'"):
        parse_days(["raw/nope 2025-12-11"])
    with pytest.raises(ValueError, match="'raw/schedule 12/11'"):
        parse_days(["raw/schedule 12/11"])


def _record(instance, table, day: str, passed: bool, catch_up: str = "yes") -> None:
    """One evaluation of published_to_bigquery for `day`, stored as a run's event (each in its own run
    id: the storage keeps one record per check, run and partition)."""
    import logging
    import time
    import uuid

    import dagster as dg

    from checks.warehouse import PUBLISHED

    evaluation = dg.AssetCheckEvaluation(
        asset_key=table.key, check_name=PUBLISHED, passed=passed, partition=day,
        metadata={CATCH_UP: catch_up}, severity=dg.AssetCheckSeverity.ERROR,
    )
    event = dg.DagsterEvent(event_type_value=dg.DagsterEventType.ASSET_CHECK_EVALUATION.value,
                            job_name="warehouse_catch_up", event_specific_data=evaluation)
    instance.event_log_storage.store_event(dg.EventLogEntry(
        error_info=None, level=logging.INFO, user_message="", run_id=uuid.uuid4().hex, timestamp=time.time(),
        dagster_event=event, job_name="warehouse_catch_up",
    ))


def test_the_catch_up_list_is_each_days_latest_failure_newest_first_bounded(instance):
    from sensors.warehouse import unpublished_days

    _record(instance, tables.SCHEDULE, "2025-12-09", False)
    _record(instance, tables.SCHEDULE, "2025-12-09", True)  # caught up since
    _record(instance, tables.SCHEDULE, "2025-12-10", False)
    _record(instance, tables.INJURIES, "2025-12-11", False)
    _record(instance, tables.GAMES, "2025-12-11", False, catch_up="no")  # left to an operator
    assert unpublished_days(instance) == [("raw/injuries", "2025-12-11"), ("raw/schedule", "2025-12-10")]
    assert unpublished_days(instance, limit=1) == [("raw/injuries", "2025-12-11")]
