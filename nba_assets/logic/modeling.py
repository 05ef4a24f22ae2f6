"""Points predictions: a walk-forward LightGBM regressor and the moving-average baseline beside it.

Training (the week's model) lives in nba_assets/logic/training.py.

p_over: P(actual > line). For the model, the empirical distribution of B's residuals (actual - predicted)
on validation rows with a line (the rows p_over is ever computed for), shifted by the prediction (a linearly interpolated ECDF, so p_over rises smoothly with predicted - line).
For the baseline, a normal around the L10 mean with sd = pts_std_l10 (floored; a default when unknown).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from io_managers.model_store import TrainedModel
from nba_assets import tables
from nba_assets.contracts import PlayerFeaturesContract
from nba_assets.logic import injuries, pricing, systems
from nba_assets.logic.inputs import stale_reasons
from nba_assets.logic.system_ids import BASELINE_SYSTEM, MARKET_SYSTEM, MODEL_SYSTEM

BASELINE_VERSION = f"{BASELINE_SYSTEM}@v1"
# How far the market-anchored system moves from the consensus line toward the model. The books are
# sharp (the line alone is about as accurate as the model on lined players), so half of the model's
# disagreement is its signal and half its noise; 0.5 is that prior, not a value fitted to results.
MARKET_WEIGHT = 0.5
REFRESH_MORNING = "morning"
PREDICTIONS_TABLE = tables.PLAYER_PROP_PREDICTIONS

# Recommend a side only when |predicted - line| >= 2 points. Residual sd is ~6 points, so a 2-point edge
# is P(side) ~ 0.63 under the model: clear of the 52.38% break-even at -110 with room for the model being
# over-confident. Smaller edges are inside the noise and become PASS ("edge below threshold").
EDGE_THRESHOLD = 2.0
CONFIDENCE_FULL_EDGE = 2 * EDGE_THRESHOLD  # |edge| at which confidence is full (times quality)
# Below this feature_quality_score (0-100) the row is still predicted (MAE is tracked) but never bet:
# the features are stale or thin (lesson 13, docs/architecture.md). 50 matches the feature layer's low-quality mark.
MIN_QUALITY = 50.0
MAX_POINTS = 80.0  # PredictionContract range; a higher prediction is a model bug, clipping keeps it legal

# Baseline fallbacks: a player with no prior game has no moving average; 8 points is roughly the median
# rotation player's scoring, and such rows are PASS with "no scoring history" anyway.
NO_HISTORY_POINTS = 8.0
BASELINE_SD_FLOOR = 3.0  # a 10-game sd can be tiny by luck; a floor keeps p_over from saturating
BASELINE_DEFAULT_SD = 6.0  # ~ the residual sd of a moving average on rotation players

PASS_LOW_QUALITY = "low feature quality"
PASS_NO_HISTORY = "no scoring history"
PASS_SMALL_EDGE = "edge below threshold"

ID_COLUMNS = ["game_id", "game_date", "player_lookup"]


def _contract_feature_columns() -> list[str]:
    """Numeric/boolean columns of PlayerFeaturesContract from `home` up to feature_quality_score.

    season_year is excluded (an id: walk-forward trees cannot extrapolate to a new season's value).
    The consensus line and its derivatives are inputs: the line is known before tip-off.
    """
    cols = list(PlayerFeaturesContract.to_schema().columns.items())
    names = [name for name, _ in cols]
    start, stop = names.index("home"), names.index("feature_quality_score")
    return [
        name
        for name, col in cols[start:stop]
        if col.dtype.type in (pl.Float64, pl.Int64, pl.Boolean) and name != "season_year"
    ]


FEATURE_COLUMNS: list[str] = _contract_feature_columns()


def _matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"feature rows lack model inputs {missing}")
    # Nulls become NaN, which LightGBM treats as missing (its own split direction).
    return frame.select(pl.col(c).cast(pl.Float64) for c in features).to_numpy().astype(np.float64)


def baseline_expr() -> pl.Expr:
    """The moving-average baseline: L10 mean, else L5, else season mean, else NO_HISTORY_POINTS."""
    return pl.coalesce("pts_l10", "pts_l5", "pts_season", pl.lit(NO_HISTORY_POINTS)).cast(pl.Float64)


def predict_points(model: TrainedModel, features: pl.DataFrame) -> pl.Series:
    """The model's predicted points for each feature row, clipped to [0, MAX_POINTS]."""
    if features.height == 0:
        return pl.Series("predicted_points", [], dtype=pl.Float64)
    raw = model.booster.predict(_matrix(features, model.features))
    return pl.Series("predicted_points", np.clip(raw, 0.0, MAX_POINTS), dtype=pl.Float64)


# ------------------------------------------------------------------------------------ calibration
def p_over_from_residuals(predicted: np.ndarray, line: np.ndarray, residuals: np.ndarray) -> np.ndarray:
    """P(actual > line) with actual = predicted + r, r drawn from the sorted residuals.

    A linearly interpolated ECDF (plotting positions (i + 0.5) / n) keeps p_over continuous and
    non-decreasing in predicted - line, and inside (0, 1) even beyond the observed residuals.
    """
    n = residuals.size
    if n == 0:
        return normal_p_over(predicted, line, np.full(predicted.shape, BASELINE_DEFAULT_SD))
    cdf = np.interp(line - predicted, residuals, (np.arange(n) + 0.5) / n)
    return 1.0 - cdf


def normal_p_over(mean: np.ndarray, line: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """P(X > line) for X ~ Normal(mean, sd)."""
    z = (line - mean) / (sd * math.sqrt(2.0))
    return np.array([0.5 * math.erfc(v) for v in z], dtype=np.float64)


# ------------------------------------------------------------------------------------ the systems
@systems.register(BASELINE_SYSTEM, BASELINE_VERSION, ("pts_l10", "pts_l5", "pts_season", "pts_std_l10"))
def moving_average(data: systems.SystemInput) -> systems.SystemOutput:
    """The L10 mean (else L5, season mean); p_over from a normal with the player's L10 sd (floored)."""
    f = data.features
    baseline = f.select(baseline_expr()).to_series().to_numpy()
    sd = f.select(
        pl.col("pts_std_l10").clip(lower_bound=BASELINE_SD_FLOOR).fill_null(BASELINE_DEFAULT_SD)
    ).to_series().to_numpy()
    history = f.select(pl.coalesce("pts_l10", "pts_l5", "pts_season").is_not_null()).to_series().to_numpy()
    p_over = normal_p_over(np.clip(baseline, 0.0, MAX_POINTS), data.line, sd)
    return systems.SystemOutput(baseline, p_over, history, BASELINE_VERSION)


@systems.register(MODEL_SYSTEM, "walk-forward weekly", tuple(FEATURE_COLUMNS), needs_model=True)
def lightgbm(data: systems.SystemInput) -> systems.SystemOutput:
    """The week's LightGBM model; p_over from its out-of-sample residuals (module docstring)."""
    assert data.model is not None  # needs_model: build_predictions skips the system without one
    predicted = predict_points(data.model, data.features).to_numpy()
    p_over = p_over_from_residuals(predicted, data.line, data.model.residuals)
    # The model handles missing history itself (NaN inputs); quality still gates it.
    return systems.SystemOutput(
        predicted, p_over, np.ones(data.features.height, dtype=bool), data.model.model_version
    )


@systems.register(MARKET_SYSTEM, "line + 0.5 * model residual", (*FEATURE_COLUMNS, "consensus_line"),
                  needs_model=True)
def market_anchored(data: systems.SystemInput) -> systems.SystemOutput:
    """The consensus line moved MARKET_WEIGHT of the way toward the model (the model without a line).

    p_over uses the model's residual distribution around the anchored prediction: the anchor halves
    the model's disagreement with the market, so its edges (and bets) are the model's strongest ones.
    """
    assert data.model is not None
    model = predict_points(data.model, data.features).to_numpy()
    line = data.features["consensus_line"].to_numpy()
    has_line = ~np.isnan(line.astype(np.float64))
    predicted = np.where(has_line, np.nan_to_num(line) + MARKET_WEIGHT * (model - np.nan_to_num(line)), model)
    p_over = p_over_from_residuals(predicted, data.line, data.model.residuals)
    version = data.model.model_version.replace(MODEL_SYSTEM, MARKET_SYSTEM, 1)
    return systems.SystemOutput(predicted, p_over, np.ones(data.features.height, dtype=bool), version)


# ------------------------------------------------------------------------------------ predictions
def _recommend(quality_ok: pl.Expr, has_history: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Recommendation and pass_reason; the first matching rule wins (no line, injury, stale inputs,
    quality, history, edge). The injury rules are in nba_assets/logic/injuries.py."""
    no_line = pl.col("line").is_null()
    stale = pl.col("stale_reason").is_not_null()
    small = pl.col("edge").abs() < EDGE_THRESHOLD
    injured, injury_reason = injuries.gate_reason(EDGE_THRESHOLD)
    low_quality = f"{PASS_LOW_QUALITY} ({{}} < {MIN_QUALITY:g})"
    rec = (
        pl.when(no_line)
        .then(pl.lit("NO_LINE"))
        .when(injured | stale | ~quality_ok | ~has_history | small)
        .then(pl.lit("PASS"))
        .when(pl.col("edge") > 0)
        .then(pl.lit("OVER"))
        .otherwise(pl.lit("UNDER"))
    )
    reason = (
        pl.when(no_line)
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(injured)
        .then(injury_reason)
        .when(stale)
        .then(pl.col("stale_reason"))
        .when(~quality_ok)
        .then(pl.format(low_quality, pl.col("feature_quality_score").round(1)))
        .when(~has_history)
        .then(pl.lit(PASS_NO_HISTORY))
        .when(small)
        .then(pl.lit(f"{PASS_SMALL_EDGE} (|edge| < {EDGE_THRESHOLD:g})"))
        .otherwise(pl.lit(None, dtype=pl.Utf8))
    )
    return rec, reason


def _system_rows(base: pl.DataFrame, system_id: str, out: systems.SystemOutput) -> pl.DataFrame:
    quality_ok = pl.col("feature_quality_score") >= MIN_QUALITY
    rec, reason = _recommend(quality_ok, pl.col("has_history"))
    has_line = pl.col("line").is_not_null()
    return (
        base.with_columns(
            system_id=pl.lit(system_id),
            model_version=pl.lit(out.version),
            predicted_points=pl.Series(
                np.round(np.clip(np.asarray(out.predicted, dtype=np.float64), 0.0, MAX_POINTS), 2),
                dtype=pl.Float64,
            ),
            p_raw=pl.Series(np.asarray(out.p_over, dtype=np.float64), dtype=pl.Float64),
            has_history=pl.Series(np.asarray(out.has_history, dtype=bool), dtype=pl.Boolean),
        )
        .with_columns(
            edge=pl.when(has_line).then((pl.col("predicted_points") - pl.col("line")).round(2)),
            p_over=pl.when(has_line).then(pl.col("p_raw").clip(0.0, 1.0).round(4)),
        )
        .with_columns(recommendation=rec, pass_reason=reason)
        .with_columns(pricing.pick_exprs())
        .with_columns(
            # Confidence is NOT taken from p_over: on held-out weeks no system's p_over beats always saying
            # the base rate (Brier skill < 0, docs/architecture.md 5a). It is how far the edge is past
            # zero, full at CONFIDENCE_FULL_EDGE points, scaled by feature quality and by the injury
            # rule (questionable: halved); 0 without a line.
            confidence=pl.when(has_line)
            .then(
                ((pl.col("edge").abs() / CONFIDENCE_FULL_EDGE).clip(0.0, 1.0) * pl.col("feature_quality_score")
                 * injuries.confidence_factor())
                .clip(0.0, 100.0)
                .round(1)
            )
            .otherwise(0.0)
        )
    )


# Columns a caller may put on the feature rows to say when and from what the prediction is made (the
# recommendation history does); absent ones get the defaults of a single morning prediction.
CONTEXT_COLUMNS = {
    "injury_status": pl.Utf8,
    "injury_report_ts": pl.Datetime("us", "UTC"),
    "line_snapshot_ts": pl.Datetime("us", "UTC"),
    **pricing.OFFER_SCHEMA,  # the best offer per side as of created_at: the pick is the recommended side's
}


def build_predictions(
    features: pl.DataFrame,
    model: TrainedModel | None,
    created_at: dt.datetime | None = None,
    missing: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """PredictionContract rows: one per feature row and registered system (systems needing a model are
    skipped when `model` is None).

    Feature rows must carry `tipoff_utc`; `created_at` is either passed (one time for every row) or a
    column of the rows (`refresh` too), never now(): re-running reproduces the rows byte for byte.
    Optional row columns: injury_status, injury_report_ts (logic/injuries.status_asof),
    line_snapshot_ts and the best offers (logic/pricing.lines_asof; without them a pick has no book).
    `missing` (logic.inputs.missing_team_games): teams whose recent history has a hole; their rows are
    PASS with a STALE_INPUTS reason.
    """
    if created_at is not None and created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware (the contract stores UTC)")
    if features.height == 0:
        return PREDICTIONS_TABLE.empty()
    if "tipoff_utc" not in features.columns:
        raise ValueError("feature rows need tipoff_utc: a prediction must be made before its game")
    if created_at is None and "created_at" not in features.columns:
        raise ValueError("pass created_at or give the feature rows a created_at column")
    features = features.with_columns(
        *(pl.lit(None, dtype=dtype).alias(c) for c, dtype in CONTEXT_COLUMNS.items() if c not in features.columns),
        *([pl.lit(created_at).cast(pl.Datetime("us", "UTC")).alias("created_at")] if created_at else []),
        *([] if "refresh" in features.columns else [pl.lit(REFRESH_MORNING).alias("refresh")]),
    ).sort(["game_date", "game_id", "player_lookup", "created_at"])
    base = features.select(
        *ID_COLUMNS,
        line=pl.col("consensus_line").cast(pl.Float64),
        line_source=pl.when(pl.col("consensus_line").is_null())
        .then(pl.lit("NO_LINE"))
        .otherwise(pl.lit("CONSENSUS")),
        n_books=pl.col("n_books").cast(pl.Int64),
        feature_quality_score=pl.col("feature_quality_score").cast(pl.Float64),
        injury_status=pl.col("injury_status"),
        injury_report_ts=pl.col("injury_report_ts"),
        line_snapshot_ts=pl.col("line_snapshot_ts"),
        *(pl.col(c) for c in pricing.OFFER_SCHEMA),
        refresh=pl.col("refresh"),
        tipoff_utc=pl.col("tipoff_utc").cast(pl.Datetime("us", "UTC")),
        created_at=pl.col("created_at").cast(pl.Datetime("us", "UTC")),
    )
    no_holes = missing is None or missing.height == 0
    base = base.with_columns(
        stale_reason=pl.lit(None, dtype=pl.Utf8) if no_holes else stale_reasons(features, missing)
    )
    data = systems.SystemInput(
        features=features,
        model=model,
        line=base["line"].fill_null(0.0).to_numpy(),  # placeholder where null; p_over is nulled there
    )
    frames = [
        _system_rows(base, system.name, system.run(data))
        for system in systems.registered()
        if model is not None or not system.needs_model
    ]
    columns = list(PREDICTIONS_TABLE.empty().columns)
    return (
        pl.concat(frames, how="vertical")
        .select(columns)
        .sort(["game_id", "player_lookup", "system_id", "created_at"])
    )


# ------------------------------------------------------------------------------------------ plots
