"""The exports resource: where the published JSON documents go (docs/exports.md).

`NBA_LAKE_EXPORTS_DIR` names it: a local folder (default `<NBA_LAKE_DATA_DIR>/exports`) or, in prod, a
`gs://` bucket of its own. The lake's bucket stays private, so an exports location inside it is refused.
"""

from __future__ import annotations

import os

import dagster as dg

from io_managers.exports import ExportStore
from resources.settings import ConfigError


def _bucket(url: str) -> str | None:
    return url.removeprefix("gs://").split("/", 1)[0] if url.startswith("gs://") else None


def exports_dir(data_dir: str, environ: dict[str, str] | None = None) -> str:
    """NBA_LAKE_EXPORTS_DIR, else <data_dir>/exports for a local lake; for a gs:// lake without it, ""
    (the pipeline still runs; the export assets fail naming the variable)."""
    env = os.environ if environ is None else environ
    configured = env.get("NBA_LAKE_EXPORTS_DIR", "").strip().rstrip("/")
    lake_bucket = _bucket(data_dir)
    if not configured:
        if lake_bucket:
            return ""
        return f"{data_dir.rstrip('/')}/exports"
    if lake_bucket and _bucket(configured) == lake_bucket:
        raise ConfigError(
            f"NBA_LAKE_EXPORTS_DIR={configured!r} is in the lake's bucket {lake_bucket!r}, which stays private: "
            "give the exports a bucket of their own"
        )
    return configured


class ExportsResource(dg.ConfigurableResource):
    """The exports location (a folder or gs://bucket[/prefix]); `store()` reads and writes documents."""

    root: str

    def store(self) -> ExportStore:
        if not self.root:
            raise ConfigError(
                "exports need NBA_LAKE_EXPORTS_DIR=gs://<exports bucket> with a gs:// lake (the lake's bucket stays private)"
            )
        return ExportStore(self.root)
