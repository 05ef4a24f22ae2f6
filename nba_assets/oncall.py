"""`nba-lake health`: one line and an exit code for cron jobs and uptime checks (outside the daemon)."""

from __future__ import annotations

import datetime as dt
import time

import dagster as dg
import polars as pl

from checks import coverage
from checks.contracts import empty_frame
from checks.health import health_report, last_game_day_success, raw_writes
from resources.sources import SourcesResource


def health_line(instance: dg.DagsterInstance, defs: dg.Definitions, sources: SourcesResource) -> tuple[bool, str]:
    """(healthy, one line): the last successful game-day run on the source clock, raw tables' last write."""
    graph = defs.resolve_asset_graph()
    raw_keys = sorted((k for k in graph.get_all_asset_keys() if k.path[0] == "raw"), key=lambda k: k.path)
    return health_report(
        last_game_day_success(instance), sources.now(), raw_writes(instance, raw_keys), time.time()
    )


def load_daily_coverage(reader, lo: dt.date | None = None, hi: dt.date | None = None) -> pl.DataFrame:
    """checks.coverage.daily_coverage over the lake for [lo, hi] (every day when None)."""
    tables = set(reader.tables())
    where = "true"
    if lo is not None and hi is not None:
        where = f"game_date between DATE '{lo}' and DATE '{hi}'"

    def read(table: str, cols: str) -> pl.DataFrame:
        if table.replace("/", ".") not in tables:
            return empty_frame(table).select(c.strip() for c in cols.split(","))
        return reader.query(f"select {cols} from {table.replace('/', '.')} where {where}")

    return coverage.daily_coverage(
        read("raw/prop_lines", "game_date, player_lookup, player_name, home_team, away_team, minutes_before_tip"),
        read("predictions/player_prop_predictions", "game_date, game_id, player_lookup, system_id"),
        read("grading/prediction_grades", "game_date, game_id, player_lookup, system_id"),
        read("analytics/games", "game_date, game_id, status"),
    )


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1%}"


def coverage_table(reader, days: list[dt.date]):
    """A rich table for `nba-lake status`: per day, lined players predicted and final-game predictions graded."""
    from rich.table import Table

    cov = load_daily_coverage(reader, min(days), max(days))
    by_day = {r["game_date"]: r for r in cov.iter_rows(named=True)}
    t = Table(title="coverage (lined players predicted · predictions of final games graded)",
              expand=False, title_justify="left")
    t.add_column("", no_wrap=True)
    for d in days:
        t.add_column(d.strftime("%a %m-%d"), justify="right", no_wrap=True)
    for label, num, den, share in (
        ("lined players predicted", "lined_predicted", "lined_players", "lined_coverage"),
        ("final-game predictions graded", "graded", "final_game_predictions", "graded_share"),
    ):
        cells = []
        for d in days:
            r = by_day.get(d)
            cells.append(f"{r[num]}/{r[den]} {_pct(r[share])}" if r and r[den] else "·")
        t.add_row(label, *cells)
    return t
