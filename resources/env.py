"""The one environment switch: local (default), test, prod.

`settings()` reads and validates the environment variables (a bad value fails with one line naming it);
`resources_for(settings)` builds the resources dict `definitions.py` passes to Dagster. Asset bodies never
branch on the environment.
Secrets come only from environment variables (`dg.EnvVar`), resolved by Dagster at run time so they
never enter the code, the logs or the landing zone.
"""

from __future__ import annotations

import os

import dagster as dg

from io_managers.lake import ParquetLakeIOManager
from resources.alerts import alerts_from_env
from resources.exports import ExportsResource, exports_dir
from resources.lake import LakeResource
from resources.settings import Settings, settings
from resources.sources import SourcesResource


def sources_resource(s: Settings) -> SourcesResource:
    """The sources resource of the settings: what the code location uses and the CLI reads its clock from."""
    live = s.source == "live"
    return SourcesResource(
        mode=s.source,
        data_dir=s.data_dir,
        # Keys are resolved from the environment at run time; only required when fetching live.
        bdl_api_key=dg.EnvVar("BDL_API_KEY") if live else None,
        odds_api_key=dg.EnvVar("ODDS_API_KEY") if live else None,
        # Optional: the second props feed is skipped in live mode when its key is not set.
        sportsdataio_api_key=dg.EnvVar("SPORTSDATAIO_API_KEY") if live and os.environ.get("SPORTSDATAIO_API_KEY") else None,
        sim_seed=s.sim_seed,
        # The sim's clock and fault state are local files; with a gs:// lake they live here.
        sim_state_dir=s.sim_state_dir,
        sim_faults=s.sim_faults,
        sim_network_fault_rate=s.sim_network_fault_rate,
        **{f"{name}_base_url": url for name, url in s.base_urls},
    )


def executor_for(s: Settings) -> dg.ExecutorDefinition:
    """The executor of every job (NBA_LAKE_EXECUTOR). In-process: steps are many and small (an asset plus
    its checks) and a subprocess per step re-imports the project (~5-10 s), so one process per run is
    faster on a laptop-sized machine. Multiprocess (prod): independent steps (the raw tables of a day,
    the analytics tables over them) run side by side, at most `max_concurrent` at once."""
    if s.executor == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": s.max_concurrent}, name="multiprocess")
    return dg.in_process_executor


def resources_for(s: Settings | None = None) -> dict[str, object]:
    """The resources dict for the chosen environment. Same asset code everywhere."""
    s = s or settings()
    sources = sources_resource(s)
    # What every environment shares (sensors and schedules ask for these by name); prod swaps the
    # storage and adds BigQuery on top, never drops one.
    shared = {"sources": sources, "alerts": alerts_from_env(),
              "exports": ExportsResource(root=exports_dir(s.data_dir))}
    if s.env == "prod":
        # Imported here, not at the top: only prod pays for the Google client imports.
        from resources.gcp import prod_resources

        return {**shared, **prod_resources(s)}
    return {
        **shared,
        "io_manager": ParquetLakeIOManager(base_dir=s.data_dir),
        "lake": LakeResource(data_dir=s.data_dir),
    }
