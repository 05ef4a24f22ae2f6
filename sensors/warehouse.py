"""Catching the warehouse up: days the lake holds and BigQuery does not are re-published from the lake.

`warehouse_catch_up_sensor` (prod only, like the `published_to_bigquery` checks it reads) finds the
(table, day)s whose latest `published_to_bigquery` evaluation failed, asks BigQuery one cheap question
(does it answer within 5 s?), and when it does launches one `warehouse_catch_up` run for at most
MAX_DAYS_PER_RUN of them, newest days first, never two at a time. The run publishes each day from its
lake object (the same load + MERGE as the IO manager: re-publishing a day replaces it, never doubles
it), without recomputing any asset, then records each day's `published_to_bigquery` evaluation
(checks/warehouse.py) against the day's materialization: passing days leave the sensor's list and
resolve their alert. A day whose publish failed for a reason a retry does not fix (a changed column
type) is recorded failed with `catch_up: no` and left to an operator (docs/runbook.md).
"""

import os

import dagster as dg

from checks.per_day import log_day_evaluations
from checks.result import to_check_result
from checks.warehouse import CATCH_UP, PUBLISHED, day_results, lake_object
from nba_assets import tables as t
from nba_assets.dagster_internals import private_api
from resources.lake import LakeResource

CATCH_UP_JOB = "warehouse_catch_up"
# Bounded per run: with BigQuery slow again a run waits at most two deadlines (the publish that ran out of
# time, the count of its table's days published before it); the days after it are recorded "not tried".
MAX_DAYS_PER_RUN = 20
HISTORY = 400  # check records read per table and tick: two seasons' range backfills' worth of days
PROBE_TIMEOUT_S = 5.0
# Seconds between ticks; a soak shortens it.
INTERVAL_SECONDS = int(os.environ.get("NBA_LAKE_WAREHOUSE_SENSOR_INTERVAL_SECONDS", "60"))
CATCH_UP_TAG = "nba-lake/catch-up"
IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED]


class CatchUpConfig(dg.Config):
    """The (table, day)s to re-publish, each "layer/table YYYY-MM-DD"."""

    days: list[str]


def parse_days(items: list[str]) -> dict[t.Table, list[str]]:
    """{table: days} of "layer/table YYYY-MM-DD" items, each once; a bad item raises naming it."""
    import datetime as dt

    out: dict[t.Table, list[str]] = {}
    for item in items:
        label, _, day = item.partition(" ")
        try:
            table = t.get(label)
            dt.date.fromisoformat(day)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"catch-up item {item!r}: expected 'layer/table YYYY-MM-DD' ({exc})") from None
        days = out.setdefault(table, [])
        if day not in days:  # a day listed twice is published and recorded once
            days.append(day)
    return out


@dg.op(description="Re-publish days from the lake to BigQuery and record each day's published_to_bigquery.")
def publish_missing_days(context: dg.OpExecutionContext, config: CatchUpConfig, bigquery: dg.ConfigurableResource,
                         lake: LakeResource) -> None:
    # `bigquery` by its base class: naming LakeBigQueryResource here would import Google's clients in
    # every environment (the job exists in prod only).
    from resources.bigquery import PublishDeadlineExceeded, object_uri

    data_dir = lake.data_dir
    down: str | None = None
    for table, days in parse_days(config.days).items():
        failed: dict[str, str] = {}
        permanent: set[str] = set()
        with bigquery.get_client() as client:
            publisher = bigquery.publisher(client)
            for day in sorted(days):
                path = lake_object(data_dir, table, day)
                if down is not None:
                    failed[day] = f"not tried, {down}"
                elif not path.exists():
                    failed[day] = "the lake holds no object for the day"
                    permanent.add(day)
                else:
                    try:
                        done = publisher.publish_day(table, day, object_uri(path))
                        context.log.info(f"published {table.label} {day}: {done.rows} rows -> {done.target}")
                    except PublishDeadlineExceeded as exc:
                        failed[day] = str(exc)
                        down = f"BigQuery did not answer earlier in this run ({table.label} {day})"
                    except Exception as exc:  # noqa: BLE001 - recorded on the day; the other days go on
                        failed[day] = f"{type(exc).__name__}: {exc}"
                        permanent.add(day)
        results = day_results(context.instance, context.run_id, bigquery, data_dir, table, sorted(days), failed)
        per_day = {}
        for day, result in results.items():
            if day in permanent:
                result.extra[CATCH_UP] = "no"
            per_day[day] = to_check_result(result, severity=dg.AssetCheckSeverity.ERROR, dates=[day])
        log_day_evaluations(context, table.key, PUBLISHED, per_day, blocking=False)
        context.log.info(f"{table.label}: {sum(r.passed for r in results.values())} of {len(results)} days in BigQuery")


@dg.job(name=CATCH_UP_JOB, tags={CATCH_UP_TAG: "warehouse"},
        description="Re-publish lake days BigQuery lacks (launched by warehouse_catch_up_sensor).")
def warehouse_catch_up_job():
    publish_missing_days()


def unpublished_days(instance: dg.DagsterInstance, limit: int = MAX_DAYS_PER_RUN) -> list[tuple[str, str]]:
    """(table label, day) whose latest published_to_bigquery evaluation failed and may be retried,
    newest days first, at most `limit`."""
    from resources.bigquery import publishable_tables

    found: list[tuple[str, str]] = []
    for table in publishable_tables():
        latest: dict[str, object] = {}
        for rec in private_api.check_history(instance, dg.AssetCheckKey(table.key, PUBLISHED), limit=HISTORY):
            if rec.partition is not None and rec.partition not in latest:
                latest[rec.partition] = rec.evaluation  # newest first: the first seen is the latest
        for day, ev in latest.items():
            # A planned record (a run is about to check the day: its evaluation is not an
            # AssetCheckEvaluation) and a passed day are left alone.
            if not isinstance(ev, dg.AssetCheckEvaluation) or ev.passed:
                continue
            retry = ev.metadata.get(CATCH_UP)
            if retry is None or retry.value != "no":
                found.append((table.label, day))
    return sorted(found, key=lambda item: (item[1], item[0]), reverse=True)[:limit]


@dg.sensor(job=warehouse_catch_up_job, minimum_interval_seconds=INTERVAL_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING,
           description=f"Re-publishes from the lake the days BigQuery lacks (published_to_bigquery failed), "
           f"at most {MAX_DAYS_PER_RUN} per run, once BigQuery answers again. Prod only.")
def warehouse_catch_up_sensor(context: dg.SensorEvaluationContext, bigquery: dg.ConfigurableResource):
    if context.instance.get_runs(dg.RunsFilter(job_name=CATCH_UP_JOB, statuses=IN_PROGRESS), limit=1):
        return dg.SkipReason("a warehouse_catch_up run is in progress")
    missing = unpublished_days(context.instance)
    if not missing:
        return dg.SkipReason("every published day is in BigQuery (no failing published_to_bigquery)")
    with bigquery.get_client() as client:
        why = bigquery.publisher(client).answers(PROBE_TIMEOUT_S)
    if why is not None:
        return dg.SkipReason(f"{len(missing)}+ day(s) wait for BigQuery: {why}")
    items = [f"{label} {day}" for label, day in missing]
    return dg.RunRequest(
        run_config={"ops": {"publish_missing_days": {"config": {"days": items}}}},
        tags={CATCH_UP_TAG: "warehouse"},
    )


WAREHOUSE_SENSORS = [warehouse_catch_up_sensor]
WAREHOUSE_JOBS = [warehouse_catch_up_job]
