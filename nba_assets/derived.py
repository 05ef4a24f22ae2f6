"""Derived tables declared in the registry: a table whose day is a pure function of other tables' same day.

A registry entry with `derive="<module>:<function>"` and `inputs=(("<arg>", "<layer/table>"), ...)`
becomes a daily asset here: the registry's key, group, partitions, contract, freshness policy and
duplicate check (like every table, `table_asset` and checks/definitions.py), the layer's automation
(re-run when an input's day changes), the function's docstring as the description the UI shows. Its
body only calls the function with the inputs' frames of the day (or range) and returns the result.

Adding such a table touches three product files: its contract (nba_assets/contracts.py), its registry
entry (nba_assets/tables.py) and its function (nba_assets/logic/<layer>.py). docs/architecture.md,
"How to add a table", walks through it; tests/test_add_a_table.py follows that walk-through.
Tables that need configuration, a partition mapping or resources keep their own asset in their layer's
module (nba_assets/<layer>.py).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.automation import RERUN
from nba_assets.common import table_asset, table_in

# The layers a derived table may live in, and how automation keeps each fresh.
AUTOMATION = {"analytics": RERUN, "features": RERUN}


def derive_function(table: t.Table) -> Callable[..., pl.DataFrame]:
    """The pure function named by `table.derive` ("module:function")."""
    if not table.derive or ":" not in table.derive:
        raise ValueError(f"{table.label}: derive must be '<module>:<function>', got {table.derive!r}")
    module, name = table.derive.split(":", 1)
    return getattr(importlib.import_module(module), name)


def derived_asset(table: t.Table) -> dg.AssetsDefinition:
    """The daily asset of a derived registry entry (module docstring)."""
    if table.layer not in AUTOMATION:
        raise ValueError(f"{table.label}: derived tables live in {sorted(AUTOMATION)}, not {table.layer!r}")
    fn = derive_function(table)
    args = [arg for arg, _ in table.inputs]
    unmatched = set(inspect.signature(fn).parameters) ^ set(args)
    if unmatched:
        raise ValueError(f"{table.label}: inputs {args} do not match {table.derive}'s parameters ({sorted(unmatched)})")

    def body(**frames: pl.DataFrame) -> pl.DataFrame:
        return fn(**frames)

    # Dagster reads the inputs from the signature: one parameter per input, named as the function's.
    body.__signature__ = inspect.Signature(
        [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=pl.DataFrame) for a in args],
        return_annotation=pl.DataFrame,
    )
    body.__name__ = table.name
    return table_asset(
        table,
        inspect.cleandoc(fn.__doc__ or table.grain),
        code_version=f"{table.layer}_v1",
        automation_condition=AUTOMATION[table.layer],
        ins={arg: table_in(t.get(label)) for arg, label in table.inputs},
    )(body)


DERIVED_ASSETS = [derived_asset(table) for table in t.ALL if table.derive]
