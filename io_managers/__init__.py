"""Storage: the Parquet lake IO manager (local dir or gs:// bucket)."""

from io_managers.lake import ParquetLakeIOManager, PartitionMismatchError, PolarsLakeIOManager

__all__ = ["ParquetLakeIOManager", "PartitionMismatchError", "PolarsLakeIOManager"]
