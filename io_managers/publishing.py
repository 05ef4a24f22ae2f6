"""The prod lake IO manager: the same Parquet lake on GCS, and every day it writes published to BigQuery.

A subclass of the lake IO manager (io_managers/lake.py) whose only addition is the publish hook: after
a step's partitions are all written, each day's object is loaded into the table's day partition
(resources/bigquery.py). So the run that wrote a day is the run that publishes it, a range backfill
publishes every day of its range, and an asset body never knows which environment it runs in.
A publish is bounded (NBA_LAKE_BQ_PUBLISH_DEADLINE_S, <= 60 s) and interruptible: when BigQuery does
not answer in time the step still succeeds, the day is recorded as materialized (the lake is the source
of truth) with `warehouse/published: no: ...` in its metadata, its `published_to_bigquery` check fails
(checks/warehouse.py) and `warehouse_catch_up_sensor` re-publishes it once BigQuery answers. Any
other publish error (a contract column whose type changed, a permission) fails the step after the
lake write; a re-run (or `nba-lake publish`) replaces the day again.
"""

from __future__ import annotations

from contextlib import ExitStack

import dagster as dg
import polars as pl
from upath import UPath

from io_managers.lake import ParquetLakeIOManager, PolarsLakeIOManager
from nba_assets import tables
from resources.bigquery import (
    DEFAULT_PUBLISH_DEADLINE_S,
    BigQueryPublisher,
    LakeBigQueryResource,
    PublishDeadlineExceeded,
    object_uri,
    publishable_tables,
)

# The day's materialization says whether its publish to BigQuery succeeded ("yes: N rows" / "no: why").
PUBLISHED_META = "warehouse/published"


class PublishingLakeIOManager(PolarsLakeIOManager):
    def __init__(self, base_path: UPath, bigquery: LakeBigQueryResource):
        super().__init__(base_path=base_path)
        self._bigquery = bigquery
        self._tables = set(publishable_tables())
        self._stack = ExitStack()
        self._publisher: BigQueryPublisher | None = None
        # Once a publish ran out of time, the run's other days are not tried: each would wait its
        # full deadline for a BigQuery that is down (a 30-day range: 30 minutes).
        self._down: str | None = None

    def publisher(self) -> BigQueryPublisher:
        """One client per IO manager (i.e. per run process); tables are created once per run."""
        if self._publisher is None:
            self._publisher = self._bigquery.publisher(self._stack.enter_context(self._bigquery.get_client()))
        return self._publisher

    def after_partition_written(
        self, context: dg.OutputContext, key: str, path: UPath, frame: pl.DataFrame
    ) -> dict[str, str] | None:
        table = tables.lake_table(context.asset_key)
        if table is None or table not in self._tables:
            return None
        if self._down is not None:
            return {PUBLISHED_META: f"no: not tried, {self._down}"}
        try:
            # The step may be blocked in the BigQuery client here: a SIGTERM (run termination, a pod
            # stopping) must end it now, not after the client's retries.
            with dg.raise_execution_interrupts():
                done = self.publisher().publish_day(table, key, object_uri(path))
        except dg.DagsterExecutionInterruptedError:
            # Dagster retries an interrupted step when it has a retry policy (the raw tables do): the
            # run would start the step again instead of ending. A termination is not a flaky source.
            raise dg.Failure(
                f"interrupted (SIGTERM/SIGINT) while publishing {table.label} {key}; the lake holds the day",
                allow_retries=False,
            ) from None
        except PublishDeadlineExceeded as exc:
            # The day is in the lake (the source of truth) and is recorded as materialized; the
            # warehouse catches up on a later publish (warehouse_catch_up_sensor, or `nba-lake publish`).
            context.log.warning(f"{exc}; the lake holds the day, BigQuery does not yet")
            self._down = f"BigQuery did not answer earlier in this run ({table.label} {key})"
            return {PUBLISHED_META: f"no: {exc}"}
        context.log.info(f"published {table.label} {key}: {done.rows} rows -> {done.target} in {done.seconds:.2f} s")
        return {PUBLISHED_META: f"yes: {done.rows} rows"}


class GcsLakeIOManager(ParquetLakeIOManager):
    """`base_dir` is gs://bucket/prefix; each written day is published to BigQuery (`project`...).

    Flat fields rather than a nested BigQuery resource: Dagster 1.13's nested-resource resolution for
    IO manager factories calls a deprecated context API (a DeprecationWarning on every run)."""

    project: str
    location: str
    dataset_prefix: str = ""
    api_endpoint: str | None = None
    publish_deadline_s: float = DEFAULT_PUBLISH_DEADLINE_S

    def create_io_manager(self, context: dg.InitResourceContext) -> PublishingLakeIOManager:
        bigquery = LakeBigQueryResource(
            project=self.project, location=self.location, dataset_prefix=self.dataset_prefix,
            api_endpoint=self.api_endpoint, publish_deadline_s=self.publish_deadline_s,
        )
        return PublishingLakeIOManager(base_path=UPath(self.base_dir), bigquery=bigquery)
