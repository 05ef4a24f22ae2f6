"""Pandera contracts as Dagster types, so a contract violation fails the step BEFORE the write.

dagster-pandera builds the type check, but hard-codes `typing_type=pd.DataFrame`; our IO manager and
inputs are polars, so we re-wrap it with `typing_type=pl.DataFrame` (verified on dagster-pandera 0.29).
"""

from __future__ import annotations

import functools

import dagster as dg
import pandera.polars as pa
import polars as pl
from dagster_pandera import pandera_schema_to_dagster_type


@functools.cache
def contract_type(model: type[pa.DataFrameModel]) -> dg.DagsterType:
    base = pandera_schema_to_dagster_type(model)
    return dg.DagsterType(
        name=model.__name__,
        type_check_fn=lambda ctx, value: base.type_check(ctx, value),
        typing_type=pl.DataFrame,
        metadata=base.metadata,
        description=base.description,
    )
