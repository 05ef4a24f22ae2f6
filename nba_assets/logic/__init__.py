"""Pure transforms on polars DataFrames: no Dagster, no IO. Each module is one concern of one layer."""
