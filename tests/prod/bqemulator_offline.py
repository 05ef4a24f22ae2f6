"""Starts bqemulator without its DuckDB spatial extension (it cannot be downloaded offline).

bqemulator loads DuckDB's `spatial` extension at startup for GEOGRAPHY support and refuses to start
without it. The lake has no GEOGRAPHY column, so the loader is replaced by a no-op; everything else
is the stock emulator. Usage: python -m tests.prod.bqemulator_offline start --rest-port ... (as `bqemulator`).
"""

from __future__ import annotations

import sys

from bqemulator.cli import main
from bqemulator.storage import engine as _engine

_engine.DuckDBEngine._load_spatial = lambda self: None

if __name__ == "__main__":
    sys.exit(main())
