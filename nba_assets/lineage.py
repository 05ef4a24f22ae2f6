"""Column lineage of the analytics and feature tables: which upstream columns each output column
comes from. `table_asset` attaches it as definition metadata (`dagster/column_lineage`) beside a
column schema with each column's type (`dagster/column_schema`), so the asset page in the UI shows,
per column, the raw columns behind it. Row-level lineage (which rows, which API responses) is
`nba-lake trace`.

Declared by hand from the transforms in nba_assets/logic/; tests/unit/test_lineage.py checks that
every column named here exists in its table's contract and that every upstream is a real dependency.
"""

from __future__ import annotations

import dagster as dg

from nba_assets import tables as t

Deps = dict[str, list[tuple[t.Table, str]]]

_BOX_STATS = ("minutes", "dnp", "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb",
              "ast", "stl", "blk", "tov", "pf", "player_lookup", "player_name", "team")  # fmt: skip


def _both_sources(column: str) -> list[tuple[t.Table, str]]:
    return [(t.BDL_BOXSCORES, column), (t.NBACOM_BOXSCORES, column)]


def _from(table: t.Table, *columns: str) -> list[tuple[t.Table, str]]:
    return [(table, c) for c in columns]


_PGS = t.PLAYER_GAME_SUMMARY
_TGS = t.TEAM_GAME_SUMMARY
_POSSESSIONS = _from(_PGS, "fga", "oreb", "tov", "fta")

LINEAGE: dict[t.Table, Deps] = {
    t.GAMES: {
        "game_date": _from(t.SCHEDULE, "game_date") + _from(t.BDL_GAMES, "game_date") + _both_sources("game_date"),
        "game_id": _from(t.SCHEDULE, "game_id"),
        "bdl_game_id": _from(t.BDL_BOXSCORES, "source_game_id") + _from(t.BDL_GAMES, "source_game_id"),
        "season_year": _from(t.SCHEDULE, "season_year") + _from(t.BDL_GAMES, "season_year"),
        "home_team": _from(t.SCHEDULE, "home_team") + _from(t.BDL_GAMES, "home_team") + _both_sources("home_team"),
        "away_team": _from(t.SCHEDULE, "away_team") + _from(t.BDL_GAMES, "away_team") + _both_sources("away_team"),
        "tipoff_utc": _from(t.SCHEDULE, "tipoff_utc") + _from(t.BDL_GAMES, "tipoff_utc"),
        "status": _from(t.SCHEDULE, "status") + _from(t.BDL_GAMES, "status"),
        "home_score": _from(t.SCHEDULE, "home_score") + _from(t.BDL_GAMES, "home_score"),
        "away_score": _from(t.SCHEDULE, "away_score") + _from(t.BDL_GAMES, "away_score"),
        "schedule_sources": _from(t.SCHEDULE, "game_id") + _from(t.BDL_GAMES, "source_game_id"),
        "has_bdl_boxscore": _from(t.BDL_BOXSCORES, "source_game_id"),
        "has_nbacom_boxscore": _from(t.NBACOM_BOXSCORES, "source_game_id"),
    },
    _PGS: {
        **{c: _both_sources(c) for c in _BOX_STATS},
        "game_date": _from(t.GAMES, "game_date"),
        "game_id": _from(t.GAMES, "game_id"),
        "season_year": _from(t.GAMES, "season_year"),
        "opponent": _from(t.GAMES, "home_team", "away_team"),
        "home": _from(t.GAMES, "home_team"),
        "bdl_player_id": _from(t.BDL_BOXSCORES, "player_id"),
        "nbacom_player_id": _from(t.NBACOM_BOXSCORES, "player_id"),
        "source_disagreement": _both_sources("points") + _both_sources("minutes"),
        "alt_points": _both_sources("points"),
        "alt_minutes": _both_sources("minutes"),
    },
    _TGS: {
        **{c: _from(_PGS, c) for c in ("game_date", "game_id", "season_year", "team", "opponent", "home")},
        "points_for": _from(_PGS, "points"),
        "points_against": _from(_PGS, "points"),
        "possessions": _POSSESSIONS,
        "pace": [*_POSSESSIONS, (_PGS, "minutes")],
        "off_rating": [(_PGS, "points"), *_POSSESSIONS],
        "def_rating": [(_PGS, "points"), *_POSSESSIONS],
        "win": _from(_PGS, "points"),
    },
    t.PLAYER_FEATURES: {
        **{c: _from(t.SCHEDULE, "game_id", "home_team", "away_team") for c in ("game_id", "team", "opponent", "home")},
        "game_date": _from(t.SCHEDULE, "game_date"),
        "season_year": _from(t.SCHEDULE, "season_year"),
        "player_lookup": _from(_PGS, "player_lookup"),
        "player_name": _from(_PGS, "player_name"),
        **{c: _from(_PGS, "points", "game_date") for c in ("pts_l3", "pts_l5", "pts_l10", "pts_season",
                                                          "pts_std_l10", "pts_trend_l10")},
        **{c: _from(_PGS, "minutes", "game_date") for c in ("min_l5", "min_l10", "min_change", "minutes_last_7d")},
        "usage_proxy_l10": _from(_PGS, "fga", "fta", "tov", "minutes"),
        "ft_share_l10": _from(_PGS, "ftm", "points"),
        "dnp_rate_l10": _from(_PGS, "dnp"),
        **{c: _from(_PGS, "game_date") for c in ("games_last_7d", "days_rest", "back_to_back")},
        "games_played_season": _from(_PGS, "game_id", "dnp"),
        "opp_pts_allowed_l10": _from(_TGS, "points_against"),
        "opp_def_rating_l10": _from(_TGS, "def_rating"),
        "team_pace_l10": _from(_TGS, "pace"),
        "opp_pace_l10": _from(_TGS, "pace"),
        "teammates_out": _from(t.INJURIES, "status", "team"),
        "teammates_out_pts_l10": [*_from(t.INJURIES, "status", "team"), (_PGS, "points")],
        **{c: _from(t.PROP_LINES, "line", "bookmaker", "snapshot_ts", "minutes_before_tip")
           for c in ("consensus_line", "line_movement")},
        "n_books": _from(t.PROP_LINES, "bookmaker"),
        "line_minus_l10": [(t.PROP_LINES, "line"), (_PGS, "points")],
        "feature_quality_score": [(_PGS, "game_id"), (_TGS, "game_id"), (t.PROP_LINES, "line")],
        "data_as_of": _from(_PGS, "game_date"),
        "roster_source": [(_PGS, "team"), (t.INJURIES, "team"), (t.PROP_LINES, "home_team")],
    },
}  # fmt: skip


def column_lineage(table: t.Table) -> dg.TableColumnLineage | None:
    deps = LINEAGE.get(table)
    if deps is None:
        return None
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=up.key, column_name=name) for up, name in ups]
            for column, ups in deps.items()
        }
    )


def column_schema(table: t.Table) -> dg.TableSchema | None:
    """The contract's columns and types; the description names the upstream columns."""
    if table.contract is None:
        return None
    deps = LINEAGE.get(table, {})
    columns = []
    for name, dtype in table.empty().schema.items():
        ups = deps.get(name, [])
        text = "from " + ", ".join(f"{up.label}.{c}" for up, c in ups) if ups else None
        columns.append(dg.TableColumn(name=name, type=str(dtype), description=text))
    return dg.TableSchema(columns=columns)


def definition_metadata(table: t.Table) -> dict[str, object]:
    """`dagster/column_schema` for every lake table, `dagster/column_lineage` where declared."""
    out: dict[str, object] = {}
    schema = column_schema(table)
    if schema is not None:
        out["dagster/column_schema"] = schema
    lineage = column_lineage(table)
    if lineage is not None:
        out["dagster/column_lineage"] = lineage
    return out
