"""`results/<day>` and `leaderboard`: graded picks and each system's record over trailing windows."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

import polars as pl

from nba_assets.logic.exports import fields as f
from nba_assets.logic.exports.encode import SCHEMA_VERSION

SIDES = ["OVER", "UNDER"]
DECIDED = ["WIN", "LOSS"]
WINDOWS = (("last_7_days", 7), ("last_30_days", 30), ("season", None))
# The champion's running record is a daily series; a season has ~170 game days, a point each.


def season_start(day: dt.date) -> dt.date:
    """The first day of `day`'s season: a season runs from October to June, so August 1 separates them."""
    return dt.date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def _mean(column: str, where: pl.Expr) -> pl.Expr:
    """The mean of `column` over the rows `where` holds and the column is not null (null when none)."""
    return pl.col(column).filter(where & pl.col(column).is_not_null()).mean()


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def graded_record(picks: pl.DataFrame) -> dict[str, Any]:
    """The record of graded picks (fields.graded rows with a side): counts, hit rate (pushes
    excluded), ROI per unit at the price taken and at -110 (over wins and losses), mean CLV, Brier of
    p_over and MAE over the rows that have them. One pass over the picks (a leaderboard computes
    this per system, window and day)."""
    if picks.height == 0:
        return {"picks": 0, "wins": 0, "losses": 0, "pushes": 0, "hit_rate": None, "roi_at_price": None,
                "roi_at_110": None, "units_at_price": None, "units_at_110": 0.0, "clv": None}  # fmt: skip
    out = pl.col("outcome")
    decided = out.is_in(DECIDED)
    priced = decided & pl.col(f.PROFIT_UNITS).is_not_null()
    r = picks.filter(pl.col("recommendation").is_in(SIDES) & out.is_in(["WIN", "LOSS", "PUSH"])).select(
        picks=pl.len(), wins=(out == "WIN").sum(), losses=(out == "LOSS").sum(),
        roi_at_price=_mean(f.PROFIT_UNITS, decided), roi_at_110=_mean("profit_at_110", decided),
        n_priced=priced.sum(), units_at_price=pl.col(f.PROFIT_UNITS).filter(priced).sum(),
        units_at_110=pl.col("profit_at_110").filter(decided).sum(), clv=_mean(f.CLV, pl.lit(True)),
    ).row(0, named=True)  # fmt: skip
    picks_n, wins, losses = int(r["picks"]), int(r["wins"]), int(r["losses"])
    return {
        "picks": picks_n, "wins": wins, "losses": losses, "pushes": picks_n - wins - losses,
        "hit_rate": wins / (wins + losses) if wins + losses else None,
        "roi_at_price": _float(r["roi_at_price"]), "roi_at_110": _float(r["roi_at_110"]),
        "units_at_price": float(r["units_at_price"]) if r["n_priced"] else None,
        "units_at_110": float(r["units_at_110"] or 0.0), "clv": _float(r["clv"]),
    }  # fmt: skip


def _metrics(grades: pl.DataFrame) -> dict[str, Any]:
    """graded_record plus MAE (every row where the player played) and Brier of p_over (lined rows
    that were not a push)."""
    rec = graded_record(grades)
    actual, line = pl.col("actual_points").cast(pl.Float64), pl.col("line")
    brier_rows = actual.is_not_null() & line.is_not_null() & pl.col("p_over").is_not_null() & (actual != line)
    extra = grades.select(
        mae=_mean("absolute_error", pl.lit(True)),
        brier=((pl.col("p_over") - (actual > line).cast(pl.Float64)) ** 2).filter(brier_rows).mean(),
    ).row(0, named=True)
    rec["mae"], rec["brier"] = _float(extra["mae"]), _float(extra["brier"])
    return rec


def results(day: dt.date, grades: pl.DataFrame, games: pl.DataFrame, champion: str | None,
            best_bet_ids: set[str]) -> dict[str, Any]:
    """Day `day`'s picks (a side on a line, every system) graded: result, closing line, CLV, profit at the
    price taken and at -110; which system was champion and which picks were best bets. `complete` says
    every game of the day is final and graded."""
    g = f.graded(grades).filter(pl.col("recommendation").is_in(SIDES))
    n_games = games.height
    final = games.filter(pl.col("status") == 3).height
    graded_games = grades["game_id"].n_unique() if grades.height else 0
    picks = []
    for r in g.sort(["game_id", "player_lookup", "system_id"]).iter_rows(named=True):
        pid = f.pick_id(r["game_id"], r["player_lookup"], r["system_id"])
        picks.append({
            "pick_id": pid, "game_id": r["game_id"], "player_lookup": r["player_lookup"], "system_id": r["system_id"],
            "side": r["recommendation"], "line": r[f.PICK_LINE], "book": r[f.PICK_BOOK], "price": r[f.PICK_PRICE],
            "closing_line": r[f.CLOSING_LINE], "clv": r[f.CLV], "predicted_points": r["predicted_points"],
            "actual_points": r["actual_points"], "result": r["outcome"], "profit_units": r[f.PROFIT_UNITS],
            "profit_at_110": r["profit_at_110"], "champion_pick": r["system_id"] == champion,
            "best_bet": pid in best_bet_ids,
        })  # fmt: skip
    systems = sorted(set(g["system_id"].to_list()))
    return {
        "schema_version": SCHEMA_VERSION, "document": "results", "game_date": day,
        "as_of": grades["created_at"].max() if grades.height else None,
        "complete": n_games > 0 and final == n_games and graded_games >= final,
        "games": n_games, "final_games": final, "graded_games": graded_games, "champion": champion,
        "by_system": {s: graded_record(g.filter(pl.col("system_id") == s)) for s in systems},
        "best_bets": graded_record(g.filter(pl.col("system_id").eq_missing(champion)).filter(
            pl.concat_str("game_id", "player_lookup", "system_id", separator=":").is_in(sorted(best_bet_ids)))),
        "picks": picks,
    }  # fmt: skip


class GradedByDay:
    """Graded rows (fields.graded) sorted by game_date, whole and per system: the rows of days
    [lo, hi) are a slice, not a filter of every row. A range of leaderboards (one per day, each over
    the season before it) filtered the whole history a dozen times per day."""

    def __init__(self, grades: pl.DataFrame):
        self.rows = f.graded(grades).sort("game_date", maintain_order=True)
        self.systems = {k[0]: part for k, part in
                        self.rows.partition_by("system_id", as_dict=True, maintain_order=True).items()}  # fmt: skip
        # each system's dates as a list: a window's bounds by bisection, not a polars search per window
        self.system_dates = {s: part["game_date"].to_list() for s, part in self.systems.items()}

    @staticmethod
    def between(rows: pl.DataFrame, lo: dt.date, hi: dt.date) -> pl.DataFrame:
        """`rows`' rows with lo <= game_date < hi (`rows` sorted by game_date)."""
        dates = rows["game_date"]
        a, b = dates.search_sorted(lo, side="left"), dates.search_sorted(hi, side="left")
        return rows.slice(a, b - a)

    def system(self, system_id: str) -> pl.DataFrame:
        return self.systems.get(system_id, self.rows.clear())

    def system_between(self, system_id: str, lo: dt.date, hi: dt.date) -> pl.DataFrame:
        """between(system(system_id), lo, hi)."""
        dates = self.system_dates.get(system_id, [])
        a, b = bisect.bisect_left(dates, lo), bisect.bisect_left(dates, hi)
        return self.system(system_id).slice(a, b - a)


def leaderboard(day: dt.date, grades: pl.DataFrame | GradedByDay, champion: str | None,
                champions_by_day: dict[dt.date, str], best_bets_picks: pl.DataFrame) -> dict[str, Any]:
    """Per system over the last 7 and 30 days and the season before `day`: hit rate, MAE, ROI at the
    price taken and at -110, Brier, CLV; the champion; the champion's running record day by day (the
    picks of whichever system was champion that day) and the best bets' record."""
    start = season_start(day)
    index = grades if isinstance(grades, GradedByDay) else GradedByDay(grades)
    season = index.between(index.rows, start, day)
    systems = sorted(set(season["system_id"].to_list()) | ({champion} if champion else set()))
    table = []
    for s in systems:
        entry: dict[str, Any] = {"system_id": s, "champion": s == champion}
        for name, days in WINDOWS:
            rows = index.system_between(s, start if days is None else max(start, day - dt.timedelta(days=days)), day)
            entry[name] = _metrics(rows)
        table.append(entry)
    return {
        "schema_version": SCHEMA_VERSION, "document": "leaderboard", "game_date": day, "season_start": start,
        "as_of": season["created_at"].max() if season.height else None,
        "latest_graded_day": season["game_date"].max() if season.height else None,
        "champion": champion, "systems": table, "champion_record": running_record(season, champions_by_day),
        "best_bets": graded_record(best_bets_picks),
    }  # fmt: skip


def running_record(season: pl.DataFrame, champions_by_day: dict[dt.date, str]) -> list[dict[str, Any]]:
    """Cumulative wins, losses and units at -110 of each day's champion's graded picks, one point per day
    with any (fields.graded rows of the season)."""
    backed = pl.DataFrame({"game_date": list(champions_by_day), "system_id": list(champions_by_day.values())},
                          schema={"game_date": pl.Date, "system_id": pl.Utf8})  # fmt: skip
    out = pl.col("outcome")
    daily = (
        season.join(backed, on=["game_date", "system_id"], how="semi")
        .filter(pl.col("recommendation").is_in(SIDES) & out.is_in(["WIN", "LOSS", "PUSH"]))
        .group_by("game_date", "system_id")
        .agg(wins=(out == "WIN").sum(), losses=(out == "LOSS").sum(), units_at_110=pl.col("profit_at_110").sum())
        .sort("game_date")
        .with_columns(pl.col("wins", "losses", "units_at_110").cum_sum())
    )
    return [{**r, "wins": int(r["wins"]), "losses": int(r["losses"])} for r in daily.iter_rows(named=True)]
