"""A contract that gains a column publishes into the BigQuery table created with the old schema (the
column is added, nullable, and holds the day's values); a column whose type changed fails the publish
naming table, column and both types, and leaves the published day as it was. On the emulators."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from google.cloud import bigquery

from nba_assets import tables
from resources.bigquery import SchemaEvolutionError, contract_schema, object_uri

DAY = "2025-12-11"
TABLE = tables.INJURIES
NEW = "description"  # the column the "old" table lacks


def _day_rows(n: int = 3) -> pl.DataFrame:
    """n rows of injuries for DAY in the contract's columns and types."""
    day = dt.date.fromisoformat(DAY)
    return pl.DataFrame({
        "game_date": [day] * n,
        "report_ts": [dt.datetime(2025, 12, 11, 17, tzinfo=dt.UTC)] * n,
        "player_id": list(range(1, n + 1)),
        "player_name": [f"Player {i}" for i in range(n)],
        "player_lookup": [f"player{i}" for i in range(n)],
        "team": ["BOS"] * n,
        "status": ["Out"] * n,
        "return_date": [None] * n,
        NEW: [f"knee {i}" for i in range(n)],
        "landing_file": ["landing/x.json"] * n,
    }, schema=TABLE.empty().schema)


@pytest.fixture
def publisher_and_uri(prod_env):
    from upath import UPath

    path = UPath(prod_env.data_dir) / "lake" / TABLE.layer / TABLE.name / f"{DAY}.parquet"
    with path.open("wb") as f:
        _day_rows().write_parquet(f)
    with prod_env.bigquery().get_client() as client:
        yield client, prod_env.bigquery().publisher(client), object_uri(path)


def _create_old(client, publisher, schema: list[bigquery.SchemaField]) -> str:
    target = publisher.table_id(TABLE)
    client.create_dataset(target.rsplit(".", 1)[0], exists_ok=True)
    spec = bigquery.Table(target, schema=schema)
    spec.time_partitioning = bigquery.TimePartitioning(type_="DAY", field="game_date")
    client.create_table(spec)
    return target


def test_a_new_contract_column_is_added_on_the_next_publish_and_holds_values(publisher_and_uri):
    client, publisher, uri = publisher_and_uri
    target = _create_old(client, publisher, [f for f in contract_schema(TABLE) if f.name != NEW])
    client.query(
        f"INSERT INTO `{target}` (game_date, report_ts, player_id, player_name, player_lookup, team, status, "
        "landing_file) VALUES (DATE '2025-12-10', TIMESTAMP '2025-12-10 17:00:00+00', 9, 'Old', 'old', 'BOS', "
        "'Out', 'landing/old.json')"
    ).result()
    done = publisher.publish_day(TABLE, DAY, uri)
    assert done.rows == 3
    rows = client.query(f"SELECT game_date, `{NEW}` FROM `{target}` ORDER BY game_date, `{NEW}`").result()
    got = [(str(r[0]), r[1]) for r in rows]
    assert got == [("2025-12-10", None), (DAY, "knee 0"), (DAY, "knee 1"), (DAY, "knee 2")]
    # the next run's publisher (tables not yet known to it) publishes the day again, identically
    again = type(publisher)(client, publisher.project, publisher.dataset_prefix, publisher.location)
    assert again.publish_day(TABLE, DAY, uri).rows == 3
    n = next(iter(client.query(f"SELECT COUNT(*) FROM `{target}` WHERE `{NEW}` IS NOT NULL").result()))[0]
    assert n == 3


def test_a_changed_column_type_fails_naming_table_and_column(publisher_and_uri):
    client, publisher, uri = publisher_and_uri
    old = [bigquery.SchemaField(f.name, "STRING", mode=f.mode) if f.name == "player_id" else f
           for f in contract_schema(TABLE)]
    target = _create_old(client, publisher, old)
    with pytest.raises(SchemaEvolutionError) as err:
        publisher.publish_day(TABLE, DAY, uri)
    message = str(err.value)
    print(message)
    assert f"{target}.player_id: BigQuery has STRING, the contract says INT64" in message
    assert next(iter(client.query(f"SELECT COUNT(*) FROM `{target}`").result()))[0] == 0
