"""Feature and prediction quality, and contract validation of stored partitions.

WARN: low-quality or constant features still produce predictions (predictions gate per row on the
quality score), but a day where many rows are weak, or a feature that does not vary across a whole
slate (the production system shipped constant features for months), means an upstream input is
missing or broken and the model is flying blind on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandera.errors as pa_errors
import pandera.polars as pa
import polars as pl

from checks.result import SAMPLE_ROWS, RuleResult, dates_of, from_offending

QUALITY_THRESHOLD = 50.0  # below this a feature row is "low quality" (the features asset uses the same cut)
MAX_LOW_SHARE = 0.25  # early season every row is thin; beyond a quarter of the slate something is missing
MIN_ROWS_FOR_CONSTANT = 20  # a 1-game slate can legitimately share values; 20+ players should not

# Identity, provenance and categorical columns: not features whose variation is informative.
NOT_FEATURES = {
    "game_date", "game_id", "player_lookup", "player_name", "team", "opponent", "home", "season_year",
    "data_as_of", "feature_version", "system_id", "model_version", "line_source", "recommendation",
    "pass_reason", "created_at", "back_to_back", "feature_quality_score",
}  # fmt: skip


def low_quality_share(
    frame: pl.DataFrame,
    threshold: float = QUALITY_THRESHOLD,
    *,
    max_share: float = MAX_LOW_SHARE,
    score_col: str = "feature_quality_score",
) -> RuleResult:
    """Days where the share of slate players with score < threshold exceeds `max_share`.

    Works on features (one row per player) and predictions (rows are deduplicated per player first).
    """
    players = frame.select("game_date", "player_lookup", score_col).unique(["game_date", "player_lookup"])
    per_day = (
        players.group_by("game_date")
        .agg(
            pl.len().alias("players"),
            (pl.col(score_col) < threshold).sum().cast(pl.Int64).alias("low_quality"),
            pl.col(score_col).mean().round(1).alias("mean_score"),
        )
        .with_columns((pl.col("low_quality") / pl.col("players")).round(3).alias("share"))
        .sort("game_date")
    )
    bad = per_day.filter(pl.col("share") > max_share)
    lowest = players.filter(pl.col(score_col) < threshold).sort(score_col).head(10)
    return from_offending(
        bad,
        ok=f"low-quality share <= {max_share:.0%} on every day ({players.height} player-day(s))",
        problem="{n} day(s) with more than " + f"{max_share:.0%} of players below quality {threshold:g}",
        extra={
            "threshold": threshold,
            "low_quality_rows": int(per_day["low_quality"].sum()) if per_day.height else 0,
            "lowest_rows": lowest if lowest.height else "none",
        },
    )


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """Numeric columns that are model inputs (identity/provenance excluded)."""
    return [c for c, t in frame.schema.items() if c not in NOT_FEATURES and t.is_numeric()]


def constant_feature_columns(
    frame: pl.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    min_rows: int = MIN_ROWS_FOR_CONSTANT,
    by: Sequence[str] = (),
) -> RuleResult:
    """(day, column) pairs where a feature takes one value (all-null counts) across >= min_rows rows."""
    cols = list(columns) if columns is not None else feature_columns(frame)
    group = ["game_date", *by]
    if not cols or frame.height == 0:
        return from_offending(pl.DataFrame(), ok="no feature columns to judge", problem="")
    per_group = frame.group_by(group).agg(
        pl.len().alias("rows"), *[pl.col(c).n_unique().alias(c) for c in cols],
        *[pl.col(c).first().alias(f"{c}__value") for c in cols],
    ).filter(pl.col("rows") >= min_rows)  # fmt: skip
    # One (group, column) row per count, in one unpivot; the values (as text) only of the constant ones.
    counts = per_group.select(*group, "rows", *cols).unpivot(
        index=[*group, "rows"], variable_name="column", value_name="n_distinct"
    )
    bad = counts.filter(pl.col("n_distinct") <= 1)
    constant = sorted(set(bad["column"].to_list()))
    values = per_group.select(
        *group, *[pl.col(f"{c}__value").cast(pl.Utf8).alias(c) for c in constant]
    ).unpivot(index=group, variable_name="column", value_name="value") if constant else None
    bad = (
        bad.join(values, on=[*group, "column"], how="left")
        if values is not None
        else bad.with_columns(value=pl.lit(None, dtype=pl.Utf8))
    )
    return from_offending(
        bad,
        ok=f"every feature varies across each day ({len(cols)} column(s))",
        problem="{n} constant (day, column) pair(s) on {dates} date(s)",
        extra={"columns_checked": len(cols), "constant_columns": constant},
        sort_by=[*group, "column"],
    )


def contract_violations(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> RuleResult:
    """Validate a stored partition with its pandera model; failure cases become the offending sample."""
    try:
        model.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        wanted = ("schema_context", "column", "check", "failure_case", "index")
        keep = [c for c in wanted if c in cases.columns]
        cases = cases.select(keep).with_columns(pl.all().cast(pl.Utf8))
        checks_failed = sorted(set(cases["check"].to_list())) if "check" in cases.columns else []
        n = cases.height
        return RuleResult(
            passed=False,
            summary=f"{n} contract failure case(s) against {model.__name__}",
            n_offending=n,
            offending=cases.head(SAMPLE_ROWS),
            failing_dates=_dates_at(frame, cases),
            extra={"checks_failed": checks_failed},
        )
    return RuleResult(True, f"{frame.height} row(s) satisfy the contract")


def _dates_at(frame: pl.DataFrame, cases: pl.DataFrame) -> list[str]:
    """The game dates of the failing rows (row-level cases carry the row index; schema cases do not)."""
    if "index" not in cases.columns or "game_date" not in frame.columns:
        return []
    idx = [int(i) for i in cases["index"].drop_nulls().unique().to_list() if str(i).isdigit()]
    return dates_of(frame[[i for i in idx if i < frame.height]]) if idx else []
