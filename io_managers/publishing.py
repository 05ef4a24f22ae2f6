"""The prod lake IO manager: the same Parquet lake on GCS, and every day it writes published to BigQuery.

A subclass of the lake IO manager (io_managers/lake.py) whose only addition is the publish hook: after
a step's partitions are all written, each day's object is loaded into the table's day partition
(resources/bigquery.py). So the run that wrote a day is the run that publishes it, a range backfill
publishes every day of its range, and an asset body never knows which environment it runs in.
A publish failure fails the step after the lake write: the lake stays the source of truth and a
re-run (or `nba-lake publish`) replaces the day again.
"""

from __future__ import annotations

from contextlib import ExitStack

import dagster as dg
import polars as pl
from upath import UPath

from io_managers.lake import ParquetLakeIOManager, PolarsLakeIOManager
from nba_assets import tables
from resources.bigquery import BigQueryPublisher, LakeBigQueryResource, object_uri, publishable_tables


class PublishingLakeIOManager(PolarsLakeIOManager):
    def __init__(self, base_path: UPath, bigquery: LakeBigQueryResource):
        super().__init__(base_path=base_path)
        self._bigquery = bigquery
        self._tables = set(publishable_tables())
        self._stack = ExitStack()
        self._publisher: BigQueryPublisher | None = None

    def publisher(self) -> BigQueryPublisher:
        """One client per IO manager (i.e. per run process); tables are created once per run."""
        if self._publisher is None:
            self._publisher = self._bigquery.publisher(self._stack.enter_context(self._bigquery.get_client()))
        return self._publisher

    def after_partition_written(
        self, context: dg.OutputContext, key: str, path: UPath, frame: pl.DataFrame
    ) -> None:
        table = tables.lake_table(context.asset_key)
        if table is None or table not in self._tables:
            return
        done = self.publisher().publish_day(table, key, object_uri(path))
        context.log.info(f"published {table.label} {key}: {done.rows} rows -> {done.target} in {done.seconds:.2f} s")


class GcsLakeIOManager(ParquetLakeIOManager):
    """`base_dir` is gs://bucket/prefix; each written day is published to BigQuery (`project`...).

    Flat fields rather than a nested BigQuery resource: Dagster 1.13's nested-resource resolution for
    IO manager factories calls a deprecated context API (a DeprecationWarning on every run)."""

    project: str
    location: str
    dataset_prefix: str = ""
    api_endpoint: str | None = None

    def create_io_manager(self, context: dg.InitResourceContext) -> PublishingLakeIOManager:
        bigquery = LakeBigQueryResource(
            project=self.project, location=self.location, dataset_prefix=self.dataset_prefix,
            api_endpoint=self.api_endpoint,
        )
        return PublishingLakeIOManager(base_path=UPath(self.base_dir), bigquery=bigquery)
