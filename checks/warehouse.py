"""`published_to_bigquery`: a per-day check on every published table that BigQuery holds the lake's day.

Defined in prod only (where the warehouse is; `checks/registry.py`): locally there is no warehouse and
nothing to compare, so the check does not exist rather than pass vacuously. The asset bodies never know
the environment either way; the prod IO manager publishes (io_managers/publishing.py) and this check
says, per table and day, whether that worked.

A day passes when BigQuery's row count for it equals the lake's (the day's materialization's row
count, else the object's Parquet footer). It fails when the run that wrote the day could not publish
it (`warehouse/published: no` on the materialization of this same run: BigQuery is not asked again,
so an outage costs one deadline per run, not one per check), when BigQuery does not answer, or when
the counts differ. ERROR, non-blocking: the lake and every downstream step are right; the warehouse
lags, the alerts sensor pages once per table and day, and `warehouse_catch_up_sensor`
(sensors/warehouse.py) re-publishes the day from the lake and records the day's passing evaluation.
"""

# No `from __future__ import annotations`: Dagster compares the `context` annotation by identity.
from typing import Any

import dagster as dg

from checks.per_day import DayRule, evaluate
from checks.result import RuleResult, combine
from nba_assets import tables as t
from nba_assets.partitions import game_dates
from resources.lake import LakeResource

PUBLISHED = "published_to_bigquery"
# Evaluation metadata: "no" when a catch-up publish failed for a reason re-publishing does not fix
# (a changed column type, a permission); the catch-up sensor leaves such days to an operator.
CATCH_UP = "catch_up"


# ------------------------------------------------------------------------------ the rule (pure)
def compare_day(day: str, lake_rows: int | None, bigquery_rows: int | None, *,
                unpublished: str | None = None, unavailable: str | None = None) -> RuleResult:
    """One day's verdict (the summary leaves the day out: it is the record's partition, and a range's
    own record prefixes it). `unpublished`: why this run's publish did not happen; `unavailable`: why
    BigQuery could not be counted; `lake_rows` None: the lake holds no object for the day."""
    extra: dict[str, Any] = {"lake_rows": lake_rows, "bigquery_rows": bigquery_rows, CATCH_UP: "yes"}
    if unpublished is not None:
        return RuleResult(False, "in the lake, not in BigQuery: " + unpublished, 1, failing_dates=[day],
                          extra=extra)
    if lake_rows is None:
        return RuleResult(False, "the lake holds no object for the day", 1, failing_dates=[day],
                          extra={**extra, CATCH_UP: "no"})
    if unavailable is not None:
        return RuleResult(False, f"BigQuery not compared: {unavailable}", 1, failing_dates=[day],
                          extra=extra)
    if bigquery_rows != lake_rows:
        return RuleResult(False, f"BigQuery has {bigquery_rows} rows, the lake {lake_rows}", 1,
                          failing_dates=[day], extra=extra)
    return RuleResult(True, f"BigQuery has the lake's {lake_rows} rows", extra=extra)


# ------------------------------------------------------------------------------ the inputs
def day_results(instance: dg.DagsterInstance, run_id: str, bigquery: Any, data_dir: str, table: t.Table,
                days: list[str], failed: dict[str, str] | None = None) -> dict[str, RuleResult]:
    """Each day's verdict for `table`. `failed`: days whose publish the caller saw fail (not counted)."""
    latest = latest_day_materializations(instance, table.key, days)
    unpublished = {**{d: why for d, (rid, _, why) in latest.items() if rid == run_id and why}, **(failed or {})}
    lake = {d: latest[d][1] if d in latest and latest[d][1] is not None else footer_rows(data_dir, table, d)
            for d in days}
    asked = [d for d in days if d not in unpublished and lake[d] is not None]
    counts: dict[str, int] = {}
    unavailable = None
    if asked:
        from resources.bigquery import PublishDeadlineExceeded

        with bigquery.get_client() as client:
            try:
                counts = bigquery.publisher(client).day_counts(table, asked)
            except PublishDeadlineExceeded as exc:
                unavailable = str(exc)
    return {d: compare_day(d, lake[d], counts.get(d, 0) if d in asked and unavailable is None else None,
                           unpublished=unpublished.get(d), unavailable=unavailable) for d in days}


def latest_day_materializations(
    instance: dg.DagsterInstance, key: dg.AssetKey, days: list[str]
) -> dict[str, tuple[str, int | None, str | None]]:
    """{day: (run id, row count, why not published or None)} of each day's latest materialization."""
    from io_managers.publishing import PUBLISHED_META

    storage = instance.event_log_storage
    latest = storage.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION, set(days))
    if not latest:
        return {}
    got = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, storage_ids=list(latest.values())), limit=len(latest)
    )
    out = {}
    for rec in got.records:
        meta = rec.asset_materialization.metadata
        rows = meta.get("dagster/row_count")
        published = meta.get(PUBLISHED_META)
        text = str(published.value) if published is not None else ""
        out[rec.partition_key] = (rec.run_id, None if rows is None else int(rows.value),
                                  text.removeprefix("no: ") if text.startswith("no") else None)
    return out


def lake_object(data_dir: str, table: t.Table, day: str) -> Any:
    """The UPath of the lake object of `table` and `day`."""
    from upath import UPath

    from io_managers.lake import LAKE_DIR

    return UPath(data_dir) / LAKE_DIR / table.layer / table.name / f"{day}.parquet"


def footer_rows(data_dir: str, table: t.Table, day: str) -> int | None:
    """Rows of the lake object of `table` and `day` (its Parquet footer), None when there is none."""
    from resources.files import parquet_rows

    path = lake_object(data_dir, table, day)
    return parquet_rows(path) if path.exists() else None


# ------------------------------------------------------------------------------ the checks
def published_check(table: t.Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table.key,
        name=PUBLISHED,
        partitions_def=game_dates,
        blocking=False,
        description="BigQuery holds the lake's day: its row count for the day equals the lake's. ERROR, "
        "non-blocking (the lake is right, the warehouse lags); warehouse_catch_up_sensor re-publishes "
        "failed days once BigQuery answers. Prod only.",
    )
    def _check(context: dg.AssetCheckExecutionContext, bigquery: dg.ConfigurableResource, lake: LakeResource):
        # `bigquery` by its base class: naming LakeBigQueryResource would import Google's clients in
        # every environment (this module is imported everywhere; the check exists in prod only).
        days = list(context.partition_keys)
        results = day_results(context.instance, context.run.run_id, bigquery, lake.data_dir, table, days)
        rule = DayRule(whole=lambda: combine(*results.values()), day=results.__getitem__,
                       days=lambda ds: {d: results[d] for d in ds})
        yield from evaluate(context, dg.AssetCheckSeverity.ERROR, rule)

    return _check


def warehouse_checks(enabled: bool) -> list[dg.AssetChecksDefinition]:
    """`published_to_bigquery` on every published table when there is a warehouse (prod), else none."""
    if not enabled:
        return []
    from resources.bigquery import publishable_tables

    return [published_check(table) for table in publishable_tables()]
