"""Prod on Google Cloud: settings from environment variables only, and the prod resources dict.

`NBA_LAKE_ENV=prod` (resources/env.py) makes definitions.py use `prod_resources()`: the same lake
layout in a GCS bucket (gcsfs through UPath), the landing zone beside it, DuckDB over the bucket, and
every written day published to BigQuery. Credentials are Google's application default credentials:
a service-account key file when GOOGLE_APPLICATION_CREDENTIALS names one (mounted), else the VM's or
pod's service account (workload identity) or `gcloud auth application-default login`; nothing secret
is a setting here. A missing variable, or a key file variable naming no file, fails the code
location's load with one line naming it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resources.settings import ConfigError, Settings

if TYPE_CHECKING:
    from nba_assets.tables import Table
    from resources.bigquery import BigQueryPublisher, Published

# (variable, meaning) of every required prod setting, in the order they are checked.
REQUIRED = (
    ("NBA_LAKE_DATA_DIR", "gs://<bucket>/<prefix> holding lake/ and landing/"),
    ("NBA_LAKE_GCP_PROJECT", "the Google Cloud project of the BigQuery datasets"),
    ("NBA_LAKE_BQ_LOCATION", "the BigQuery location of the datasets, e.g. US or europe-west1"),
)
DEFAULT_DATASET_PREFIX = "nba_lake_"
KEY_FILE_VAR = "GOOGLE_APPLICATION_CREDENTIALS"


@dataclass(frozen=True)
class GcpSettings:
    data_dir: str  # gs://bucket/prefix
    project: str  # NBA_LAKE_GCP_PROJECT
    location: str  # NBA_LAKE_BQ_LOCATION
    dataset_prefix: str  # NBA_LAKE_BQ_DATASET_PREFIX: datasets are <prefix><layer>
    bq_endpoint: str | None  # NBA_LAKE_BQ_ENDPOINT: emulator only
    publish_deadline_s: float = 60.0  # NBA_LAKE_BQ_PUBLISH_DEADLINE_S: one day's publish, 0 < s <= 60

    @property
    def bucket(self) -> str:
        return self.data_dir.removeprefix("gs://").split("/", 1)[0]


def gcp_settings(environ: Mapping[str, str] | None = None) -> GcpSettings:
    env = os.environ if environ is None else environ
    for name, meaning in REQUIRED:
        if not env.get(name):
            raise ConfigError(f"NBA_LAKE_ENV=prod needs {name} ({meaning})")
    check_key_file(env)
    data_dir = env["NBA_LAKE_DATA_DIR"].rstrip("/")
    if not data_dir.startswith("gs://") or len(data_dir) <= len("gs://"):
        raise ConfigError(f"NBA_LAKE_ENV=prod needs NBA_LAKE_DATA_DIR=gs://<bucket>/<prefix>, got {data_dir!r}")
    return GcpSettings(
        data_dir=data_dir,
        project=env["NBA_LAKE_GCP_PROJECT"],
        location=env["NBA_LAKE_BQ_LOCATION"],
        dataset_prefix=env.get("NBA_LAKE_BQ_DATASET_PREFIX", DEFAULT_DATASET_PREFIX),
        bq_endpoint=env.get("NBA_LAKE_BQ_ENDPOINT") or None,
        publish_deadline_s=_publish_deadline(env.get("NBA_LAKE_BQ_PUBLISH_DEADLINE_S", "")),
    )


def check_key_file(env: Mapping[str, str]) -> None:
    """A key file variable that names no file is refused here, in one line, rather than by every Google
    client later ("File ... was not found"). Unset, the clients use the attached service account."""
    path = env.get(KEY_FILE_VAR, "")
    if path and not os.path.isfile(path):
        raise ConfigError(
            f"{KEY_FILE_VAR}={path!r} names no file: mount the service-account key there, or unset "
            f"{KEY_FILE_VAR} to use the VM's or pod's service account (application default credentials)"
        )


def _publish_deadline(raw: str) -> float:
    from resources.bigquery import DEFAULT_PUBLISH_DEADLINE_S, MAX_PUBLISH_DEADLINE_S

    if not raw.strip():
        return DEFAULT_PUBLISH_DEADLINE_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_PUBLISH_DEADLINE_S:
        raise ConfigError(
            f"NBA_LAKE_BQ_PUBLISH_DEADLINE_S={raw!r} must be seconds in (0, {MAX_PUBLISH_DEADLINE_S:g}]"
        )
    return value


def bigquery_resource(g: GcpSettings | None = None):
    from resources.bigquery import LakeBigQueryResource

    g = g or gcp_settings()
    return LakeBigQueryResource(
        project=g.project, location=g.location, dataset_prefix=g.dataset_prefix, api_endpoint=g.bq_endpoint,
        publish_deadline_s=g.publish_deadline_s,
    )


def prod_resources(s: Settings) -> dict[str, object]:
    """The prod storage resources: GCS lake + landing (same layout as local), BigQuery publishing.
    resources/env.py adds what every environment shares (sources, alerts)."""
    from io_managers.publishing import GcsLakeIOManager
    from resources.files import quiet_gcs_reads
    from resources.lake import LakeResource

    quiet_gcs_reads()
    g = gcp_settings()
    bigquery = bigquery_resource(g)
    return {
        "io_manager": GcsLakeIOManager(
            base_dir=g.data_dir, project=g.project, location=g.location, dataset_prefix=g.dataset_prefix,
            api_endpoint=g.bq_endpoint, publish_deadline_s=g.publish_deadline_s,
        ),
        "lake": LakeResource(data_dir=g.data_dir),
        "bigquery": bigquery,
    }


def publish_range(
    publisher: BigQueryPublisher,
    data_dir: str,
    start: dt.date,
    end: dt.date,
    only: list[Table] | None = None,
    on_published=None,
) -> tuple[list[Published], list[tuple[str, str]]]:
    """Publish every lake day of [start, end] of the tables `only` (default: all) from the gs:// lake.

    Returns (published, missing): days without a lake object are not touched in BigQuery and are
    listed as (table, day), so a backfill never blanks a day the lake does not hold.
    """
    from upath import UPath

    from io_managers.lake import LAKE_DIR
    from resources.bigquery import lake_days, object_uri, publishable_tables

    days = lake_days(start, end)
    done: list = []
    missing: list[tuple[str, str]] = []
    for table in only or publishable_tables():
        folder = UPath(data_dir) / LAKE_DIR / table.layer / table.name
        present = {p.name for p in folder.iterdir()} if folder.exists() else set()
        for day in days:
            if f"{day}.parquet" not in present:
                missing.append((table.label, day))
                continue
            result = publisher.publish_day(table, day, object_uri(folder / f"{day}.parquet"))
            done.append(result)
            if on_published is not None:
                on_published(result)
    return done, missing
