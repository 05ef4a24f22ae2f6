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


def _fields(*spec: tuple[str, str]) -> list:
    from google.cloud import bigquery

    return [bigquery.SchemaField(name, kind) for name, kind in spec]


def test_a_new_contract_column_is_added_nullable_in_contract_order():
    from google.cloud import bigquery

    from resources.bigquery import columns_to_add

    published = _fields(("game_date", "DATE"), ("points", "INTEGER"))  # legacy spelling, as the API reports it
    contract = [*_fields(("game_date", "DATE"), ("edge", "FLOAT64"), ("points", "INT64")),
                bigquery.SchemaField("book", "STRING", mode="REQUIRED")]
    added = columns_to_add("p.d.t", published, contract)
    assert [(f.name, f.field_type, f.mode) for f in added] == [("edge", "FLOAT64", "NULLABLE"), ("book", "STRING", "NULLABLE")]
    assert columns_to_add("p.d.t", contract, contract) == []
    # a column the contract dropped stays in BigQuery
    assert columns_to_add("p.d.t", [*contract, *_fields(("old", "STRING"))], contract) == []


def test_a_changed_column_type_fails_naming_table_column_and_both_types():
    from resources.bigquery import SchemaEvolutionError, columns_to_add

    published = _fields(("game_date", "DATE"), ("player_id", "INTEGER"), ("line", "FLOAT"))
    contract = _fields(("game_date", "DATE"), ("player_id", "STRING"), ("line", "FLOAT64"), ("new", "BOOL"))
    with pytest.raises(SchemaEvolutionError) as err:
        columns_to_add("p.nba_raw.injuries", published, contract)
    assert "p.nba_raw.injuries.player_id: BigQuery has INT64, the contract says STRING" in str(err.value)
    assert "line" not in str(err.value)  # FLOAT and FLOAT64 are one type


def test_add_column_sql_is_one_idempotent_statement():
    from google.cloud import bigquery

    from resources.bigquery import add_column_sql

    sql = add_column_sql("p.d.t", bigquery.SchemaField("edge", "FLOAT", mode="NULLABLE"))
    assert sql == "ALTER TABLE `p.d.t` ADD COLUMN IF NOT EXISTS `edge` FLOAT64"
