"""The season report: per-system accuracy and betting record by month, calibration and hit rate plots.

Figures here test the machinery on whatever league the lake holds (on the simulated league: not a
betting edge). Hit rates are judged against the 52.38% break-even at -110; sustained >= 60% on real
lines is a leakage suspect (docs/data.md).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from nba_assets.logic.grading import WIN_PAYOUT

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BREAK_EVEN = 110.0 / 210.0  # 52.38%: the hit rate at which -110 bets break even
ROLLING_DAYS = 14  # hit rate over time: a trailing window of game days, wide enough to be readable
CALIBRATION_BINS = 10


# What season_report reads of prediction_grades, and what by_refresh reads of graded history: readers of
# every season select only these (the rest costs memory and nothing else).
REPORT_COLUMNS = [
    "game_id", "game_date", "player_lookup", "system_id", "line", "p_over", "actual_points", "outcome",
    "absolute_error", "signed_error",
]
BY_REFRESH_COLUMNS = ["system_id", "refresh", "outcome", "absolute_error", "signed_error"]


@dataclass(frozen=True)
class SeasonReport:
    """Tables (polars + markdown for the UI) and PNG plots."""

    monthly: pl.DataFrame  # system_id, month, n, graded, mae, bias, wins, losses, pushes, hit_rate, roi
    overall: pl.DataFrame  # the same per system over the whole period
    calibration: pl.DataFrame  # system_id, bin, n, mean_p_over, over_rate
    monthly_md: str
    overall_md: str
    same_rows: pl.DataFrame  # the overall table restricted to player-games every system predicted
    reliability: pl.DataFrame  # system_id, decile, n, mean_p_over, over_rate
    skill: pl.DataFrame  # system_id, n, brier, base_rate_brier, brier_skill
    same_rows_md: str
    reliability_md: str
    skill_md: str
    calibration_png: bytes
    hit_rate_png: bytes
    mae_png: bytes


def _summary(grades: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    out = pl.col("outcome")
    wins, losses = (out == "WIN").sum(), (out == "LOSS").sum()
    decided = wins + losses
    return (
        grades.group_by(by)
        .agg(
            n=pl.len().cast(pl.Int64),
            graded=out.is_in(["WIN", "LOSS", "PUSH"]).sum().cast(pl.Int64),
            mae=pl.col("absolute_error").mean(),
            bias=pl.col("signed_error").mean(),
            wins=wins.cast(pl.Int64),
            losses=losses.cast(pl.Int64),
            pushes=(out == "PUSH").sum().cast(pl.Int64),
            hit_rate=pl.when(decided > 0).then(wins / decided),
            roi=pl.when(decided > 0).then((wins * WIN_PAYOUT - losses) / decided),
        )
        .sort(by)
    )


def calibration_table(grades: pl.DataFrame) -> pl.DataFrame:
    """p_over in equal-width bins vs the observed share of games that went over (pushes excluded)."""
    actual, line = pl.col("actual_points").cast(pl.Float64), pl.col("line")
    rows = grades.filter(
        pl.col("p_over").is_not_null() & actual.is_not_null() & line.is_not_null() & (actual != line)
    )
    return (
        rows.with_columns(
            bin=(pl.col("p_over") * CALIBRATION_BINS).floor().clip(0, CALIBRATION_BINS - 1).cast(pl.Int64),
            went_over=(actual > line).cast(pl.Float64),
        )
        .group_by("system_id", "bin")
        .agg(
            n=pl.len().cast(pl.Int64),
            mean_p_over=pl.col("p_over").mean(),
            over_rate=pl.col("went_over").mean(),
        )
        .sort("system_id", "bin")
    )


def _brier_rows(grades: pl.DataFrame) -> pl.DataFrame:
    actual, line = pl.col("actual_points").cast(pl.Float64), pl.col("line")
    return grades.filter(
        pl.col("p_over").is_not_null() & actual.is_not_null() & line.is_not_null() & (actual != line)
    ).with_columns(went_over=(actual > line).cast(pl.Float64))


def same_rows(grades: pl.DataFrame) -> pl.DataFrame:
    """Grades of the player-games that every system in `grades` predicted: the honest comparison (a
    system that skips hard rows, e.g. before its first model, would otherwise look better)."""
    n_systems = grades["system_id"].n_unique()
    keys = (
        grades.group_by("game_id", "player_lookup")
        .agg(pl.col("system_id").n_unique().alias("_n"))
        .filter(pl.col("_n") == n_systems)
        .drop("_n")
    )
    return grades.join(keys, on=["game_id", "player_lookup"], how="semi")


def reliability_by_decile(grades: pl.DataFrame) -> pl.DataFrame:
    """Per system, p_over deciles (by rank within the system) vs the observed over rate."""
    rows = _brier_rows(grades)
    return (
        rows.with_columns(
            decile=(
                (pl.col("p_over").rank("ordinal").over("system_id") - 1)
                * 10
                // pl.len().over("system_id")
                + 1
            ).cast(pl.Int64)
        )
        .group_by("system_id", "decile")
        .agg(n=pl.len().cast(pl.Int64), mean_p_over=pl.col("p_over").mean(), over_rate=pl.col("went_over").mean())
        .sort("system_id", "decile")
    )


def probability_skill(grades: pl.DataFrame) -> pl.DataFrame:
    """Per system: Brier of p_over vs the Brier of always saying the rows' base rate (skill > 0 = better)."""
    rows = _brier_rows(grades)
    return (
        rows.group_by("system_id")
        .agg(
            n=pl.len().cast(pl.Int64),
            brier=((pl.col("p_over") - pl.col("went_over")) ** 2).mean(),
            base_rate_brier=((pl.col("went_over").mean() - pl.col("went_over")) ** 2).mean(),
        )
        .with_columns(brier_skill=1.0 - pl.col("brier") / pl.col("base_rate_brier"))
        .sort("system_id")
    )


def by_refresh(history_grades: pl.DataFrame) -> pl.DataFrame:
    """How each refresh's recommendations would have done (every history row graded), per system."""
    return _summary(history_grades, ["system_id", "refresh"])


def rolling_hit_rate(grades: pl.DataFrame, days: int = ROLLING_DAYS) -> pl.DataFrame:
    """Per system and game day: wins / (wins + losses) over the trailing `days` game days."""
    daily = (
        grades.group_by("system_id", "game_date")
        .agg(w=(pl.col("outcome") == "WIN").sum(), l=(pl.col("outcome") == "LOSS").sum())
        .sort("system_id", "game_date")
    )
    return daily.with_columns(
        w_roll=pl.col("w").rolling_sum(days, min_samples=1).over("system_id"),
        l_roll=pl.col("l").rolling_sum(days, min_samples=1).over("system_id"),
    ).with_columns(
        hit_rate=pl.when(pl.col("w_roll") + pl.col("l_roll") > 0).then(
            pl.col("w_roll") / (pl.col("w_roll") + pl.col("l_roll"))
        )
    ).select("system_id", "game_date", "hit_rate")


def to_markdown(df: pl.DataFrame, digits: int = 3) -> str:
    """A GitHub-style markdown table; floats rounded, nulls blank."""

    def cell(v: object) -> str:
        if v is None:
            return ""
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join(lines)


def _figure(title: str) -> tuple[Figure, object]:
    # Imported here: matplotlib (~0.5-1 s) only when a plot is drawn, not with every definition load.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, "no graded predictions yet", ha="center", va="center", transform=ax.transAxes)


def _calibration_png(cal: pl.DataFrame) -> bytes:
    fig, ax = _figure("Calibration of p_over")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for (system,), part in cal.group_by("system_id", maintain_order=True):
        ax.plot(part["mean_p_over"], part["over_rate"], marker="o", label=system)
    if cal.height == 0:
        _no_data(ax)
    ax.set_xlabel("predicted P(over) (bin mean)")
    ax.set_ylabel("observed over rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return _png(fig)


def _hit_rate_png(rolling: pl.DataFrame) -> bytes:
    fig, ax = _figure(f"Hit rate, trailing {ROLLING_DAYS} game days")
    ax.axhline(BREAK_EVEN, color="grey", linestyle="--", linewidth=1, label="break-even at -110")
    for (system,), part in rolling.drop_nulls("hit_rate").group_by("system_id", maintain_order=True):
        ax.plot(part["game_date"].to_list(), part["hit_rate"], label=system)
    if rolling.drop_nulls("hit_rate").height == 0:
        _no_data(ax)
    ax.set_ylabel("hit rate")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower left")
    fig.autofmt_xdate()
    return _png(fig)


def _mae_png(monthly: pl.DataFrame) -> bytes:
    fig, ax = _figure("MAE by month")
    months = sorted(monthly["month"].unique().to_list()) if monthly.height else []
    systems = sorted(monthly["system_id"].unique().to_list()) if monthly.height else []
    width = 0.8 / max(len(systems), 1)
    x = np.arange(len(months))
    for i, system in enumerate(systems):
        part = monthly.filter(pl.col("system_id") == system)
        mae = dict(zip(part["month"].to_list(), part["mae"].to_list(), strict=True))
        ax.bar(x + i * width, [mae.get(m) or 0.0 for m in months], width, label=system)
    if not months:
        _no_data(ax)
    ax.set_xticks(x + width * (len(systems) - 1) / 2, months)
    ax.set_ylabel("mean absolute error (points)")
    if systems:
        ax.legend(loc="lower left")
    return _png(fig)


def season_report(grades: pl.DataFrame) -> SeasonReport:
    """Monthly and overall tables per system, calibration and hit-rate/MAE plots, from prediction grades."""
    grades = grades.with_columns(month=pl.col("game_date").dt.strftime("%Y-%m"))
    monthly = _summary(grades, ["system_id", "month"])
    overall = _summary(grades, ["system_id"])
    cal = calibration_table(grades)
    same = _summary(same_rows(grades), ["system_id"]) if grades.height else overall
    reliability, skill = reliability_by_decile(grades), probability_skill(grades)
    return SeasonReport(
        monthly=monthly,
        overall=overall,
        calibration=cal,
        monthly_md=to_markdown(monthly),
        overall_md=to_markdown(overall),
        same_rows=same,
        reliability=reliability,
        skill=skill,
        same_rows_md=to_markdown(same),
        reliability_md=to_markdown(reliability),
        skill_md=to_markdown(skill, digits=4),
        calibration_png=_calibration_png(cal),
        hit_rate_png=_hit_rate_png(rolling_hit_rate(grades)),
        mae_png=_mae_png(monthly),
    )


def coverage_by_month(daily: pl.DataFrame) -> pl.DataFrame:
    """checks.coverage.daily_coverage rolled up by month (plus a total row): lined players predicted and
    predictions of final games graded, as counts and shares."""
    sums = [pl.col(c).sum() for c in ("lined_players", "lined_predicted", "final_game_predictions", "graded")]
    monthly = daily.group_by(pl.col("game_date").dt.strftime("%Y-%m").alias("month")).agg(*sums).sort("month")
    total = daily.select(pl.lit("total").alias("month"), *sums)
    out = pl.concat([monthly, total], how="vertical_relaxed") if daily.height else monthly
    return out.with_columns(
        lined_coverage=pl.when(pl.col("lined_players") > 0).then(pl.col("lined_predicted") / pl.col("lined_players")),
        graded_share=pl.when(pl.col("final_game_predictions") > 0).then(
            pl.col("graded") / pl.col("final_game_predictions")
        ),
    )
