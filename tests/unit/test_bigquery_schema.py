"""Pure helpers of BigQuery publishing: contract -> schema, the day-replacing MERGE, SQL qualification."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets import tables
from resources.bigquery import (
    SchemaMappingError,
    bq_type,
    contract_schema,
    lake_days,
    merge_day_sql,
    publishable_tables,
    qualify_tables,
)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (pl.Date, "DATE"), (pl.Datetime("us", "UTC"), "TIMESTAMP"), (pl.Datetime("us"), "DATETIME"),
        (pl.Int64, "INT64"), (pl.Int32, "INT64"), (pl.Float64, "FLOAT64"), (pl.Utf8, "STRING"),
        (pl.Boolean, "BOOL"),
    ],
)
def test_polars_types_map_to_bigquery(dtype, expected):
    assert bq_type(dtype) == expected


def test_an_unmappable_type_fails_naming_it():
    with pytest.raises(SchemaMappingError, match="List"):
        bq_type(pl.List(pl.Int64))


def test_contract_schema_keeps_order_and_nullability():
    fields = contract_schema(tables.SCHEDULE)
    assert [f.name for f in fields][:3] == ["game_date", "game_id", "season_year"]
    modes = {f.name: f.mode for f in fields}
    assert modes["game_id"] == "REQUIRED" and modes["home_score"] == "NULLABLE"
    assert {f.name: f.field_type for f in fields}["tipoff_utc"] == "TIMESTAMP"
    assert all(f.mode == "NULLABLE" for f in contract_schema(tables.SCHEDULE, nullable_only=True))


def test_every_published_table_has_a_game_date_partition_column():
    for table in publishable_tables():
        fields = {f.name: f for f in contract_schema(table)}
        assert fields[table.partition_column].field_type == "DATE", table


def test_a_table_without_contract_is_refused():
    with pytest.raises(KeyError, match="grading/season_report"):
        contract_schema(tables.SEASON_REPORT)


def test_merge_replaces_exactly_one_day():
    sql = merge_day_sql("p.d.t", "p.d._staging_t", ["game_date", "points"])
    assert "ON FALSE" in sql
    assert "WHEN NOT MATCHED BY SOURCE AND T.`game_date` = @day THEN DELETE" in sql
    assert sql.endswith("INSERT (`game_date`, `points`) VALUES (`game_date`, `points`)")


def test_qualify_rewrites_lake_names_only():
    sql = "select * from raw.schedule s join analytics.games g using (game_id) where s.game_date = 'raw.schedule'"
    out = qualify_tables(sql, "proj", "nba_", [tables.SCHEDULE, tables.GAMES])
    assert "`proj.nba_raw.schedule` s join `proj.nba_analytics.games` g" in out
    assert "s.game_date" in out
    # already qualified names are left alone
    assert qualify_tables("select 1 from `proj.nba_raw.schedule`", "proj", "nba_", [tables.SCHEDULE]) == (
        "select 1 from `proj.nba_raw.schedule`"
    )


def test_lake_days_is_inclusive_and_rejects_a_reversed_range():
    assert lake_days(dt.date(2025, 1, 30), dt.date(2025, 2, 1)) == ["2025-01-30", "2025-01-31", "2025-02-01"]
    with pytest.raises(ValueError, match="before"):
        lake_days(dt.date(2025, 2, 1), dt.date(2025, 1, 30))
