"""The declared column lineage (nba_assets/lineage.py) against the contracts and the asset graph:
every column exists on both ends, every upstream is a real dependency, every output column of the
analytics and feature tables has its sources, and the assets carry it as definition metadata."""

from __future__ import annotations

import dagster as dg

from nba_assets import tables as t
from nba_assets.definitions import defs
from nba_assets.lineage import LINEAGE, column_schema

TRACED = (t.GAMES, t.PLAYER_GAME_SUMMARY, t.TEAM_GAME_SUMMARY, t.PLAYER_FEATURES)
# Provenance columns computed from the row itself, with no upstream column.
DERIVED_HERE = {
    t.GAMES: {"game_code", "in_schedule", "reconciliation_flag"},
    t.PLAYER_GAME_SUMMARY: {"source_used"},
    t.PLAYER_FEATURES: {"feature_version", "roster_source"},  # which roster rule placed the player
}


def test_declared_columns_exist_and_upstreams_are_dependencies():
    graph = defs.resolve_asset_graph()
    assert set(LINEAGE) == set(TRACED)
    for table, deps in LINEAGE.items():
        columns = set(table.empty().columns)
        assert set(deps) <= columns, (table.label, set(deps) - columns)
        parents = graph.get(table.key).parent_keys
        for column, ups in deps.items():
            assert ups, (table.label, column)
            for up, name in ups:
                assert up.key in parents, f"{table.label}.{column}: {up.label} is not an input"
                assert name in up.empty().columns, f"{table.label}.{column}: {up.label} has no {name}"


def test_every_output_column_has_its_sources():
    for table in TRACED:
        missing = set(table.empty().columns) - set(LINEAGE[table]) - DERIVED_HERE.get(table, set())
        assert missing == set(), (table.label, missing)


def test_assets_carry_lineage_and_schema_metadata():
    graph = defs.resolve_asset_graph()
    node = graph.get(t.PLAYER_FEATURES.key)
    lineage = node.metadata["dagster/column_lineage"]
    assert isinstance(lineage, dg.TableColumnLineage)
    deps = {(d.asset_key, d.column_name) for d in lineage.deps_by_column["consensus_line"]}
    assert (t.PROP_LINES.key, "line") in deps
    schema = node.metadata["dagster/column_schema"]
    by_name = {c.name: c for c in schema.columns}
    assert "analytics/player_game_summary.points" in by_name["pts_l10"].description
    # raw tables have a schema but no lineage (their source is an API response: nba-lake trace)
    raw = graph.get(t.BDL_BOXSCORES.key)
    assert "dagster/column_schema" in raw.metadata and "dagster/column_lineage" not in raw.metadata
    assert column_schema(t.POINTS_MODEL) is None
