"""The smallest code location for the UI proxy tests (tests/prod/test_ui_proxy.py): one asset to wipe."""

import dagster as dg


@dg.asset
def viewer_probe() -> int:
    return 1


defs = dg.Definitions(assets=[viewer_probe])
