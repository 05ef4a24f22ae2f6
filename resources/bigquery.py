"""BigQuery as the warehouse: every lake table published to a day-partitioned BigQuery table.

Layout: lake table `<layer>/<table>` -> `<project>.<dataset_prefix><layer>.<table>`, partitioned by DAY
on `game_date`, columns and types from the table's pandera contract (nba_assets/contracts.py, via the table registry nba_assets/tables.py), never
inferred from a file. The contract may grow: a column it gains is added to the BigQuery table
(nullable, one `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`) the first time a run publishes the table;
a column whose type changed stops the publish naming table, column and both types (SchemaEvolutionError).

Publishing one day (`BigQueryPublisher.publish_day`) replaces exactly that day, idempotently, and no
reader ever sees the day half-replaced:
1. load the day's Parquet object (`gs://.../lake/<layer>/<table>/<day>.parquet`, the same object the
   lake holds) into a fresh staging table of the same dataset (WRITE_TRUNCATE, expires after an hour
   in case the process dies before step 3);
2. one MERGE statement: `ON FALSE` matches nothing, so rows of the target in that day are deleted
   (`NOT MATCHED BY SOURCE AND game_date = day`) and every staged row is inserted (`NOT MATCHED`).
   A single DML statement is atomic in BigQuery: a query sees the old day or the new day;
3. drop the staging table.
Re-publishing a day therefore never duplicates, and other days are never touched.

The partition decorator (`table$YYYYMMDD` + WRITE_TRUNCATE) would be one load job instead of a load
plus a MERGE, but the emulator the tests run against rejects decorators, so the path we can prove
offline is the one shipped.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl
import requests
from dagster_gcp import BigQueryResource
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from pydantic import Field

from nba_assets import tables
from nba_assets.tables import Table

STAGING_TTL = dt.timedelta(hours=1)
# One publish (load + MERGE + count + drop) gives up after this many seconds (NBA_LAKE_BQ_PUBLISH_DEADLINE_S):
# the client's own default is ~10 minutes of retries per call, so a BigQuery outage held each step ~9 min.
DEFAULT_PUBLISH_DEADLINE_S = 60.0
MAX_PUBLISH_DEADLINE_S = 60.0
# No single request waits longer: a signal delivered to another thread than the one blocked in a socket
# read only takes effect once that read returns, so a SIGTERM is acted on within this many seconds.
REQUEST_TIMEOUT_S = 10.0


class PublishDeadlineExceeded(TimeoutError):
    """A publish did not finish within its deadline (BigQuery down or too slow); names table and day."""


class SchemaMappingError(TypeError):
    """A contract column whose polars type has no BigQuery equivalent."""


class SchemaEvolutionError(TypeError):
    """A contract column whose BigQuery type differs from the published table's: BigQuery cannot change
    a column's type in place, so the publish stops and names table, column and both types."""


# ------------------------------------------------------------------------------------ pure helpers
def bq_type(dtype: pl.DataType) -> str:
    """BigQuery standard SQL type of a contract column's polars type."""
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP" if dtype.time_zone else "DATETIME"
    if dtype == pl.Boolean:
        return "BOOL"
    if dtype.is_integer():
        return "INT64"
    if dtype.is_float():
        return "FLOAT64"
    if dtype in (pl.Utf8, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "STRING"
    raise SchemaMappingError(f"no BigQuery type for polars {dtype}")


def contract_schema(table: str | Table, *, nullable_only: bool = False) -> list[bigquery.SchemaField]:
    """The BigQuery schema of a lake table (a `Table` or "layer/table") from its pandera contract.

    Non-nullable contract columns are REQUIRED in the published table. `nullable_only` gives the
    staging schema: Parquet written by polars marks every column optional, so the load goes into an
    all-NULLABLE staging table and the MERGE enforces REQUIRED on the target.
    """
    t = tables.get(table)
    if t.contract is None:
        raise KeyError(f"{t.label}: not a lake table (no contract), so no BigQuery schema")
    fields = []
    for name, col in t.contract.to_schema().columns.items():
        try:
            kind = bq_type(col.dtype.type)
        except SchemaMappingError as exc:
            raise SchemaMappingError(f"{t.label}.{name}: {exc}") from None
        mode = "NULLABLE" if (nullable_only or col.nullable) else "REQUIRED"
        fields.append(bigquery.SchemaField(name, kind, mode=mode))
    return fields


# The REST API reports some types by their legacy names (a table created with INT64 reads back INTEGER).
_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "NUMERIC": "NUMERIC"}


def standard_type(field_type: str) -> str:
    """A BigQuery field type in standard SQL spelling (INTEGER -> INT64, FLOAT -> FLOAT64, BOOLEAN -> BOOL)."""
    kind = field_type.upper()
    return _LEGACY_TYPES.get(kind, kind)


def columns_to_add(
    target: str, published: list[bigquery.SchemaField], contract: list[bigquery.SchemaField]
) -> list[bigquery.SchemaField]:
    """The contract columns the published table lacks, each NULLABLE (BigQuery adds no REQUIRED column
    to a table that has rows; the rows already published hold NULL there), in contract order.

    A column present in both with another type raises SchemaEvolutionError naming the table, the column
    and both types. A published column the contract no longer has is left alone (its history stays)."""
    have = {f.name: standard_type(f.field_type) for f in published}
    changed = [
        f"{target}.{f.name}: BigQuery has {have[f.name]}, the contract says {standard_type(f.field_type)}"
        for f in contract if f.name in have and have[f.name] != standard_type(f.field_type)
    ]
    if changed:
        raise SchemaEvolutionError(
            "cannot publish: a column's type changed (BigQuery cannot alter it in place; migrate the "
            "table, e.g. recreate it and re-publish its days from the lake): " + "; ".join(changed)
        )
    return [bigquery.SchemaField(f.name, f.field_type, mode="NULLABLE") for f in contract if f.name not in have]


def add_column_sql(target: str, field: bigquery.SchemaField) -> str:
    """One DDL statement adding one nullable column (BigQuery's emulator takes one ALTER per statement)."""
    return f"ALTER TABLE `{target}` ADD COLUMN IF NOT EXISTS `{field.name}` {standard_type(field.field_type)}"


def publishable_tables() -> list[Table]:
    """Every daily lake table: everything published, each partitioned by its partition column."""
    return [t for t in tables.LAKE if t.partitioned == tables.DAILY and t.partition_column]


def merge_day_sql(target: str, staging: str, columns: list[str], day_column: str = "game_date") -> str:
    """One atomic MERGE replacing the rows of day @day in `target` by every row of `staging`."""
    cols = ", ".join(f"`{c}`" for c in columns)
    return (
        f"MERGE `{target}` T USING `{staging}` S ON FALSE "
        f"WHEN NOT MATCHED BY SOURCE AND T.`{day_column}` = @day THEN DELETE "
        f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({cols})"
    )


def qualify_tables(sql: str, project: str, dataset_prefix: str, lake: list[Table]) -> str:
    """Rewrite `layer.table` references of lake tables to `project.<prefix>layer.table`, so the SQL
    written for the DuckDB lake views runs unchanged on BigQuery."""
    for table in sorted(lake, key=lambda t: len(t.view), reverse=True):
        layer, name = table.layer, table.name
        pattern = re.compile(rf"(?<![\w.`]){re.escape(layer)}\.{re.escape(name)}(?![\w`])")
        sql = pattern.sub(f"`{project}.{dataset_prefix}{layer}.{name}`", sql)
    return sql


# ------------------------------------------------------------------------------------ resource
class LakeBigQueryResource(BigQueryResource):
    """dagster-gcp's BigQuery resource plus what publishing needs: the dataset prefix, and an API
    endpoint for an emulator (then anonymous credentials; otherwise Google's default credentials)."""

    dataset_prefix: str = Field(default="", description="datasets are <prefix><layer> (env NBA_LAKE_BQ_DATASET_PREFIX)")
    api_endpoint: str | None = Field(
        default=None, description="BigQuery API endpoint override, for an emulator only (env NBA_LAKE_BQ_ENDPOINT)"
    )

    @contextmanager
    def get_client(self) -> Iterator[bigquery.Client]:
        if not self.api_endpoint:
            with super().get_client() as client:
                yield client
            return
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        client = bigquery.Client(
            project=self.project,
            location=self.location,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.api_endpoint),
        )
        try:
            yield client
        finally:
            client.close()

    publish_deadline_s: float = Field(
        default=DEFAULT_PUBLISH_DEADLINE_S,
        description="seconds one day's publish may take before it gives up (env NBA_LAKE_BQ_PUBLISH_DEADLINE_S)",
    )

    def publisher(self, client: bigquery.Client) -> BigQueryPublisher:
        return BigQueryPublisher(
            client, self.project or client.project, self.dataset_prefix, self.location, self.publish_deadline_s
        )


@dataclass(frozen=True)
class Published:
    table: str
    day: str
    rows: int
    seconds: float
    target: str


class Budget:
    """What is left of one publish's deadline, as the `timeout` and `retry` of each client call: every
    request and every retry loop ends by the deadline, so no call outlives it."""

    def __init__(self, seconds: float, what: str, clock=time.monotonic):
        self.seconds, self.what, self._clock = seconds, what, clock
        self._end = clock() + seconds

    def left(self) -> float:
        left = self._end - self._clock()
        if left <= 0:
            raise PublishDeadlineExceeded(f"{self.what}: BigQuery did not answer within {self.seconds:g} s")
        return left

    def call(self) -> dict:
        left = self.left()
        return {"timeout": min(left, REQUEST_TIMEOUT_S), "retry": bigquery.DEFAULT_RETRY.with_timeout(left)}


class BigQueryPublisher:
    """Creates the datasets/tables on first use and publishes one lake day at a time, each within
    `deadline_s` seconds (PublishDeadlineExceeded otherwise)."""

    def __init__(self, client: bigquery.Client, project: str, dataset_prefix: str, location: str | None,
                 deadline_s: float = DEFAULT_PUBLISH_DEADLINE_S):
        self.client = client
        self.project = project
        self.dataset_prefix = dataset_prefix
        self.location = location
        self.deadline_s = deadline_s
        self._ready: set[str] = set()

    def table_id(self, table: Table) -> str:
        return f"{self.project}.{self.dataset_prefix}{table.layer}.{table.name}"

    def ensure_table(self, table: Table, budget: Budget | None = None) -> str:
        """Create the dataset and the day-partitioned table when missing; returns the table id."""
        budget = budget or Budget(self.deadline_s, table.label)
        target = self.table_id(table)
        if target in self._ready:
            return target
        dataset_id = target.rsplit(".", 1)[0]
        dataset = bigquery.Dataset(dataset_id)
        if self.location:
            dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True, **budget.call())
        wanted = contract_schema(table)
        spec = bigquery.Table(target, schema=wanted)
        spec.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field=table.partition_column
        )
        existing = self.client.create_table(spec, exists_ok=True, **budget.call())
        self.evolve(target, list(existing.schema), wanted, budget)
        self._ready.add(target)
        return target

    def evolve(self, target: str, published: list[bigquery.SchemaField], wanted: list[bigquery.SchemaField],
               budget: Budget) -> list[str]:
        """Add the contract's new columns to an existing table (nullable); a changed type raises
        SchemaEvolutionError. Returns the names of the columns added."""
        added = columns_to_add(target, published, wanted)
        for field in added:
            self.client.query(add_column_sql(target, field), **budget.call()).result(**budget.call())
        return [f.name for f in added]

    def publish_day(self, table: Table, day: str, uri: str) -> Published:
        """Replace day `day` of `table` by the rows of the Parquet object `uri` (gs://...), within the
        publisher's deadline: PublishDeadlineExceeded (naming table and day) when BigQuery does not answer."""
        budget = Budget(self.deadline_s, f"publish {table.label} {day}")
        try:
            return self._publish_day(table, day, uri, budget)
        except PublishDeadlineExceeded:
            raise
        except (TimeoutError, gexc.RetryError, gexc.DeadlineExceeded, requests.exceptions.RequestException) as exc:
            raise PublishDeadlineExceeded(
                f"publish {table.label} {day}: BigQuery did not answer within {self.deadline_s:g} s "
                f"({type(exc).__name__})"
            ) from exc

    def _publish_day(self, table: Table, day: str, uri: str, budget: Budget) -> Published:
        t0 = time.perf_counter()
        target = self.ensure_table(table, budget)
        dataset_id, name = target.rsplit(".", 1)
        # unique per call: two runs publishing the same table never share a staging table
        staging = f"{dataset_id}._staging_{name}_{day.replace('-', '')}_{uuid.uuid4().hex[:8]}"
        schema = contract_schema(table, nullable_only=True)
        try:
            job = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
                schema=schema,
            )
            self.client.load_table_from_uri(uri, staging, job_config=job, **budget.call()).result(**budget.call())
            self._expire(staging, budget)
            params = [bigquery.ScalarQueryParameter("day", "DATE", dt.date.fromisoformat(day))]
            self.client.query(
                merge_day_sql(target, staging, [f.name for f in schema], table.partition_column),
                job_config=bigquery.QueryJobConfig(query_parameters=params), **budget.call(),
            ).result(**budget.call())
            count = self.client.query(f"SELECT COUNT(*) AS n FROM `{staging}`", **budget.call())
            rows = next(iter(count.result(**budget.call())))[0]
        finally:
            self._drop(staging)
        return Published(table.label, day, int(rows), time.perf_counter() - t0, target)

    def day_counts(self, table: Table, days: list[str]) -> dict[str, int]:
        """{day: rows of `table` in BigQuery} for the days in [min(days), max(days)] that hold rows (a
        table not created yet holds none), within the deadline: PublishDeadlineExceeded otherwise."""
        budget = Budget(self.deadline_s, f"count {table.label} {min(days)}..{max(days)}")
        column = table.partition_column
        sql = (f"SELECT CAST(`{column}` AS STRING) AS day, COUNT(*) AS n FROM `{self.table_id(table)}` "
               f"WHERE `{column}` BETWEEN @first AND @last GROUP BY 1")
        params = [bigquery.ScalarQueryParameter(name, "DATE", dt.date.fromisoformat(value))
                  for name, value in (("first", min(days)), ("last", max(days)))]
        try:
            job = self.client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params), **budget.call())
            return {str(row[0]): int(row[1]) for row in job.result(**budget.call())}
        except gexc.NotFound:
            return {}
        except PublishDeadlineExceeded:
            raise
        except (TimeoutError, gexc.RetryError, gexc.DeadlineExceeded, requests.exceptions.RequestException) as exc:
            raise PublishDeadlineExceeded(
                f"{budget.what}: BigQuery did not answer within {self.deadline_s:g} s ({type(exc).__name__})"
            ) from exc

    def answers(self, timeout_s: float = 5.0) -> str | None:
        """None when BigQuery answers one cheap call within `timeout_s` (the `<prefix>raw` dataset's
        metadata: what the runs' account may read, `bigquery.datasets.get`; not found is an answer),
        else why not."""
        dataset = f"{self.project}.{self.dataset_prefix}{tables.SCHEDULE.layer}"
        try:
            self.client.get_dataset(dataset, **Budget(timeout_s, "probe").call())
        except gexc.NotFound:
            return None
        except (TimeoutError, gexc.GoogleAPIError, requests.exceptions.RequestException) as exc:
            return f"BigQuery did not answer a {timeout_s:g} s probe of {dataset} ({type(exc).__name__})"
        return None

    def _expire(self, staging: str, budget: Budget) -> None:
        # A staging table left behind by a crash between load and drop disappears by itself.
        # (The emulator accepts and ignores expirations.)
        t = self.client.get_table(staging, **budget.call())
        t.expires = dt.datetime.now(dt.UTC) + STAGING_TTL
        self.client.update_table(t, ["expires"], **budget.call())

    def _drop(self, staging: str) -> None:
        # Best effort within a short deadline of its own: when BigQuery is down the staging table (if
        # any) expires by itself after STAGING_TTL.
        try:
            self.client.delete_table(staging, not_found_ok=True, **Budget(min(10.0, self.deadline_s), staging).call())
        except (TimeoutError, gexc.GoogleAPIError, requests.exceptions.RequestException):
            pass


# ------------------------------------------------------------------------------------ operator use
def object_uri(path) -> str:
    """gs://bucket/key of a lake object given as a UPath (what a BigQuery load job reads)."""
    return f"{path.protocol}://{path.path.lstrip('/')}"


def lake_days(start: dt.date, end: dt.date) -> list[str]:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [str(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)]


def query_frame(client: bigquery.Client, sql: str, project: str, dataset_prefix: str) -> pl.DataFrame:
    """Run `sql` (lake table names as `layer.table`) on BigQuery and return a polars frame."""
    rows = client.query(qualify_tables(sql, project, dataset_prefix, publishable_tables())).result()
    return pl.from_arrow(rows.to_arrow(create_bqstorage_client=False))
