"""Champion and challengers: which prediction system backs the picks of a day.

The rule (docs/grading.md, "Champion and challengers"), applied each day D to the graded days in the
trailing window [D - window_days, D) only, so a day's champion never sees a grade of D or later:
- the metric is ROI at the price taken (profit_units / priced_bets, system_daily_performance);
- a challenger (any other system with rows in the window) qualifies with at least `min_bets` priced bets;
- the best qualifying challenger (highest ROI, then more bets, then its name) is promoted when its ROI
  is at least `margin` above the champion's over the same window. A champion without a priced bet in
  the window (retired, or broken) has no record to defend: the best qualifying challenger takes over;
- otherwise the champion keeps the title. `initial` holds it before any promotion.
Every system with graded rows competes: registering a system (logic/systems.py) enters it.

The title on D depends on the titles before it, so `champion_history` replays the rule from the first
graded day every time (a few hundred days of a few rows each): any day's row is the same whichever
partitions were materialized before, and re-running a day writes the same row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from nba_assets import tables
from nba_assets.logic.system_ids import BASELINE_SYSTEM

CHAMPION_TABLE = tables.CHAMPION
# What the rule reads of system_daily_performance.
PERFORMANCE_COLUMNS = ["game_date", "system_id", "wins", "losses", "priced_bets", "profit_units", "clv_bets", "clv"]


@dataclass(frozen=True)
class Rule:
    # 30 days: ~25 game days, a few hundred priced bets per system on a full slate, short enough that a
    # system that stopped working loses its title within a month.
    window_days: int = 30
    # 2 points of ROI: below that, a month's difference between two systems betting the same market is
    # mostly noise (the sd of a month's ROI over ~300 bets at -110 is ~5.5 points; the margin and the
    # sample floor together keep the title from flipping back and forth day to day).
    margin: float = 0.02
    min_bets: int = 100  # priced bets in the window a challenger needs
    initial: str = BASELINE_SYSTEM  # the champion before any promotion: the moving average

    def describe(self) -> str:
        return (f"ROI at the price taken over the trailing {self.window_days} days; a challenger with >= "
                f"{self.min_bets} priced bets is promoted when its ROI is >= {self.margin:+.0%} above the champion's")  # fmt: skip


RULE = Rule()


def window_figures(perf: pl.DataFrame, days: list[dt.date], window_days: int) -> pl.DataFrame:
    """Per (day, system): the figures of the graded days in [day - window_days, day): bets (priced),
    profit_units, roi, hit_rate, clv (mean over bets with a closing line)."""
    schema = {"game_date": pl.Date, "system_id": pl.Utf8, "bets": pl.Int64, "roi": pl.Float64,
              "hit_rate": pl.Float64, "clv": pl.Float64}  # fmt: skip
    if perf.height == 0 or not days:
        return pl.DataFrame(schema=schema)
    targets = pl.DataFrame({"day": sorted(set(days))}, schema={"day": pl.Date})
    rows = targets.join(perf.select(PERFORMANCE_COLUMNS), how="cross").filter(
        (pl.col("game_date") < pl.col("day")) & (pl.col("game_date") >= pl.col("day") - pl.duration(days=window_days))
    )
    decided = pl.col("wins") + pl.col("losses")
    return (
        rows.group_by("day", "system_id")
        .agg(
            bets=pl.col("priced_bets").sum().cast(pl.Int64),
            # Summed in integer hundredths of a point and ten-thousandths of a unit (the daily figures'
            # own precision): a float sum's result depends on the order polars adds in, and a re-run
            # must write the same bytes.
            profit=(pl.col("profit_units") * 10_000).round().cast(pl.Int64).sum() / 10_000,
            wins=pl.col("wins").sum(),
            decided=decided.sum(),
            clv_sum=(pl.col("clv") * pl.col("clv_bets") * 100).round().cast(pl.Int64).sum() / 100,
            clv_bets=pl.col("clv_bets").sum(),
        )
        .select(
            pl.col("day").alias("game_date"),
            "system_id",
            "bets",
            roi=pl.when(pl.col("bets") > 0).then(pl.col("profit") / pl.col("bets")),
            hit_rate=pl.when(pl.col("decided") > 0).then(pl.col("wins") / pl.col("decided")),
            clv=pl.when(pl.col("clv_bets") > 0).then(pl.col("clv_sum") / pl.col("clv_bets")),
        )
        .sort("game_date", "system_id")
    )


def _qualified(figures: dict[str, dict], exclude: str, rule: Rule) -> dict | None:
    """The best system other than `exclude` with the minimum sample: highest ROI, more bets, name."""
    ranked = sorted(
        (f for s, f in figures.items() if s != exclude and f["bets"] >= rule.min_bets and f["roi"] is not None),
        key=lambda f: (-f["roi"], -f["bets"], f["system_id"]),
    )
    return ranked[0] if ranked else None


def _decide(champion: str, figures: dict[str, dict], rule: Rule) -> str:
    """The day's champion from the day's window figures and yesterday's champion."""
    best, mine = _qualified(figures, champion, rule), figures.get(champion)
    if best is None:
        return champion
    if mine is None or mine["bets"] == 0 or mine["roi"] is None:
        return best["system_id"]  # no record to defend
    return best["system_id"] if best["roi"] >= mine["roi"] + rule.margin - 1e-12 else champion


def champion_history(perf: pl.DataFrame, days: list[dt.date], rule: Rule = RULE) -> pl.DataFrame:
    """ChampionContract rows for `days`: the rule replayed day by day from the first graded day (module
    docstring). `perf`: system_daily_performance rows (PERFORMANCE_COLUMNS), any days; only rows
    before each day count for it. The challenger columns name the best other qualifying system."""
    if not days:
        return CHAMPION_TABLE.empty()
    perf = perf.select(PERFORMANCE_COLUMNS)
    last = max(days)
    first = min([*days, *(d + dt.timedelta(days=1) for d in perf["game_date"].to_list())])
    calendar = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    figures = window_figures(perf.filter(pl.col("game_date") < last), calendar, rule.window_days)
    by_day: dict[dt.date, dict[str, dict]] = {}
    for row in figures.iter_rows(named=True):
        by_day.setdefault(row["game_date"], {})[row["system_id"]] = row
    wanted, rows, champion = set(days), [], rule.initial
    for day in calendar:
        today, previous = by_day.get(day, {}), champion
        champion = _decide(champion, today, rule)
        if day not in wanted:
            continue
        mine, before = today.get(champion, {}), today.get(previous, {})
        other = _qualified(today, champion, rule) or {}
        rows.append({
            "game_date": day, "champion": champion, "promoted": champion != previous,
            "previous_champion": previous, "previous_champion_bets": before.get("bets", 0),
            "previous_champion_roi": before.get("roi"), "window_start": day - dt.timedelta(days=rule.window_days),
            "champion_bets": mine.get("bets", 0), "champion_roi": mine.get("roi"),
            "champion_hit_rate": mine.get("hit_rate"), "champion_clv": mine.get("clv"),
            "challenger": other.get("system_id"), "challenger_bets": other.get("bets"),
            "challenger_roi": other.get("roi"), "challenger_hit_rate": other.get("hit_rate"),
        })  # fmt: skip
    empty = CHAMPION_TABLE.empty()
    return pl.DataFrame(rows, schema=empty.schema).select(empty.columns).sort("game_date")


def backing_system(champions: pl.DataFrame, day: dt.date) -> str:
    """The system whose picks are published on `day`: that day's champion (ChampionContract rows)."""
    row = champions.filter(pl.col("game_date") == day)
    if row.height != 1:
        raise LookupError(f"no champion row for {day} ({row.height} rows): materialize grading/champion for it")
    return row["champion"][0]


def backed_picks(predictions: pl.DataFrame, champions: pl.DataFrame) -> pl.DataFrame:
    """The published picks: the OVER/UNDER rows of `predictions` whose system is their day's champion,
    with `backed_by` naming it. Days without a champion row have no published pick."""
    return (
        predictions.filter(pl.col("recommendation").is_in(["OVER", "UNDER"]))
        .join(champions.select("game_date", pl.col("champion").alias("system_id")), on=["game_date", "system_id"])
        .with_columns(backed_by=pl.col("system_id"))
    )
