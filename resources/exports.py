"""The exports resource: where the published JSON documents go (docs/exports.md).

`NBA_LAKE_EXPORTS_DIR` names it: a local folder (default `<NBA_LAKE_DATA_DIR>/exports`) or, in prod, a
`gs://` bucket of its own. The lake's bucket stays private, so an exports location inside it is refused.
"""

from __future__ import annotations

import dagster as dg

from io_managers.exports import ExportStore
from resources.settings import ConfigError, exports_dir

__all__ = ["ExportsResource", "exports_dir"]


class ExportsResource(dg.ConfigurableResource):
    """The exports location (a folder or gs://bucket[/prefix]); `store()` reads and writes documents."""

    root: str

    def store(self) -> ExportStore:
        if not self.root:
            raise ConfigError(
                "exports need NBA_LAKE_EXPORTS_DIR=gs://<exports bucket> with a gs:// lake (the lake's bucket stays private)"
            )
        return ExportStore(self.root)
