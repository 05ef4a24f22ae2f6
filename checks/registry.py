"""Every asset check of the code location, in one list: the one place a new check is registered.

The checks themselves are declared by kind of rule: `checks/definitions.py` (the table checks, the
duplicate check of every registry table among them), `checks/coverage_checks.py` (prediction coverage),
`checks/health.py` (the pipeline's health), `checks/export_checks.py` (the published documents),
`checks/warehouse.py` (BigQuery holds each published day: prod only). The raw tables' parser checks (`no_rejected_records`,
`no_source_duplicates`, `game_ids_stable`) are results of the ingest itself and live on the raw assets
(`nba_assets/raw.py`). docs/adding-a-table.md says how to add one.
"""

from __future__ import annotations

import dagster as dg

from checks.coverage_checks import COVERAGE_CHECKS
from checks.definitions import build_asset_checks
from checks.export_checks import EXPORT_CHECKS
from checks.health import game_day_run_recent
from checks.warehouse import warehouse_checks


def all_asset_checks(warehouse: bool = False) -> list[dg.AssetChecksDefinition]:
    """What nba_assets/definitions.py passes to dg.Definitions; `warehouse`: the environment publishes
    to BigQuery (prod), so each published table gets its per-day `published_to_bigquery` check."""
    return [*build_asset_checks(), *COVERAGE_CHECKS, *EXPORT_CHECKS, game_day_run_recent, *warehouse_checks(warehouse)]
