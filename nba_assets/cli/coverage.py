"""Coverage figures for `nba-lake status`: lined players predicted, predictions of final games graded."""

from __future__ import annotations

import datetime as dt

from rich.table import Table

from checks.coverage import load_daily_coverage


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.1%}"


def coverage_table(reader, days: list[dt.date]) -> Table:
    """Per day: predicted/lined players and graded/final-game predictions, with shares."""
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
