"""The lake as a Dagster resource: `LakeResource.reader()` is a `LakeReader` (resources/lake_reader.py:
DuckDB over the Parquet lake, one view per table)."""

from __future__ import annotations

import dagster as dg

from resources.lake_reader import LakeReader

__all__ = ["LakeReader", "LakeResource"]


class LakeResource(dg.ConfigurableResource):
    """The lake for checks, sensors and assets that query history through DuckDB."""

    data_dir: str

    def reader(self) -> LakeReader:
        return LakeReader(self.data_dir)
