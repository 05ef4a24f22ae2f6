"""Points predictions: a walk-forward LightGBM regressor and the moving-average baseline beside it.

Walk-forward: the model for week W is trained on feature rows with game_date < W's first day only, so a
prediction never uses a model that has seen its own day (lesson 14, docs/architecture.md).

Training window: the last TRAINING_WINDOW_DAYS game days before the cutoff (`training_frame`), not all
history, so a week's training costs the same in the third season as in the first and a backfill's cost
grows linearly with its weeks (see TRAINING_WINDOW_DAYS for the size).

Training (`train_points_model`), three fits, all on the window's rows (< cutoff):
  A. fit on rows before the last 21 game days, early-stopping on the 7 game days after them
     -> the round count;
  B. fit on rows before the last 14 game days with that round count, predict those 14 days
     -> honest validation MAE (model vs L10 baseline) and the out-of-sample residuals that calibrate p_over;
  C. the stored model: every row before the cutoff, same round count (trained beside B).
The validation window is never used to pick anything, so its MAE is an out-of-sample number. Windows
count game days (dates with rows), not calendar days: in season they are the same give or take the
All-Star break, and across the offseason the window is the end of the last season instead of nothing.

p_over: P(actual > line). For the model, the empirical distribution of B's residuals (actual - predicted)
on validation rows with a line (the rows p_over is ever computed for), shifted by the prediction (a linearly interpolated ECDF, so p_over rises smoothly with predicted - line).
For the baseline, a normal around the L10 mean with sd = pts_std_l10 (floored; a default when unknown).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import lightgbm as lgb
import numpy as np
import polars as pl

from io_managers.model_store import TrainedModel
from nba_assets import tables
from nba_assets.contracts import PlayerFeaturesContract
from nba_assets.logic import injuries, systems
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

# Game days of training rows before the cutoff (validation and early-stopping days included). On the
# simulated 2025-26 season the internal validation MAE (the 14 game days before cutoffs 2026-01-05, -12
# and -19, all before the held-out weeks) stops improving at 56 game days: 28 -> 56 days gains 0.02-0.07,
# 56 -> all (74-88 days) -0.03..+0.01. 84 keeps a 50% margin over that. Older rows would cost training
# time every week without helping: a window makes a week's cost constant, so a backfill grows
# linearly with its weeks instead of quadratically (bench/README.md, model section).
TRAINING_WINDOW_DAYS = 84
VAL_DAYS = 14  # game days of validation (model vs baseline MAE, p_over calibration) before the cutoff
EARLY_STOPPING_DAYS = 7  # game days of early-stopping holdout just before the validation window
# Fewest validation rows with a line to calibrate p_over on them alone (~60 lined rows per game day).
MIN_CALIBRATION_ROWS = 200

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


@dataclass(frozen=True)
class ModelParams:
    """LightGBM hyperparameters. Same params + same rows (in any order) -> the same model text."""

    seed: int = 7
    num_boost_round: int = 300
    early_stopping_rounds: int = 30
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 40
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 1.0
    # L1 (conditional median), not L2 (mean): predictions are judged by MAE, which the median minimizes,
    # and points are right-skewed (a mean sits above the typical game). On the simulated 2025-26 season,
    # decided on the weeks before 2026-01-19 (lgbm/L10 MAE 0.945 -> 0.935) and confirmed after them
    # (0.936 -> 0.921); p_over stays calibrated because it comes from the model's own out-of-sample
    # residuals. See bench/README.md.
    objective: str = "regression_l1"
    # One thread per fit: the model is the same with two (col-wise histograms, deterministic=True), but
    # on two cores shared with the rest of the pipeline two OpenMP threads measured 3-10x slower per fit
    # (they spin waiting for a busy core). The cores are used by fitting side by side instead: a run's
    # weeks (fit_weeks) and a week's fits B and C (train_points_model), each single-threaded.
    num_threads: int = 1

    def lgb_params(self) -> dict[str, object]:
        return {
            "objective": self.objective,
            "metric": "l1",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,  # with deterministic=True: no row/col-wise auto choice between runs
            "num_threads": self.num_threads,
            "verbosity": -1,
        }


# --------------------------------------------------------------------------------------- training
def training_frame(
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    cutoff: dt.date,
    min_history_days: int,
    window_days: int = TRAINING_WINDOW_DAYS,
) -> pl.DataFrame:
    """Feature rows of the last `window_days` game days before `cutoff` for players who played, with
    their actual points (`target`). A game day is a date with such rows.

    Empty when fewer than `min_history_days` game days precede the cutoff: the week gets no model.
    Sorted by (game_date, game_id, player_lookup) so training does not depend on the input order.
    """
    keys = ["game_id", "player_lookup"]
    played = actuals.filter(~pl.col("dnp")).select(
        *keys, pl.col("points").cast(pl.Float64).alias("target")
    )
    train = features.filter(pl.col("game_date") < cutoff).join(played, on=keys, how="inner", validate="m:1")
    days = train["game_date"].unique().sort()
    if days.len() < min_history_days:
        return train.clear()
    if days.len() > window_days:
        train = train.filter(pl.col("game_date") >= days[-window_days])
    return train.sort(["game_date", "game_id", "player_lookup"])


@dataclass(frozen=True)
class WeekOutcome:
    """What training the model of one week gave: a model, or the reason there is none."""

    week: dt.date
    model: TrainedModel | None = None
    reason: str | None = None  # why no model was trained
    train_rows: int = 0


def fit_week(
    week: dt.date,
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    params: ModelParams,
    min_history_days: int,
    has_games: bool = True,
) -> WeekOutcome:
    """Train the model of `week` (a Monday) on the rows before it, or say why not.

    No games that week: nothing to predict, so no training cost. Too little history: no model; the
    week's predictions fall back to the latest earlier model (or the baseline alone)."""
    if not has_games:
        return WeekOutcome(week, reason=f"no games in the week of {week}: nothing to predict, no model trained")
    train = (
        training_frame(features, actuals, week, min_history_days)
        if features.height and actuals.height
        else pl.DataFrame()
    )
    if train.height == 0:
        return WeekOutcome(
            week,
            reason=(
                f"fewer than {min_history_days} days of feature history before {week}: "
                "no model for this week; predictions fall back to the latest earlier model or baseline only"
            ),
        )
    return WeekOutcome(week, model=train_points_model(train, params, week), train_rows=train.height)


def training_workers() -> int:
    """Weeks trained at once: one per core this process may use. Each fit is single-threaded
    (ModelParams.num_threads) and LightGBM releases the GIL while it trains, so two weeks on two cores
    take about the time of one, and each week's model is the one it would be alone (deterministic)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def fit_weeks(
    weeks: Sequence[dt.date],
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    params: ModelParams,
    min_history_days: int,
    playing: Collection[dt.date],
    workers: int | None = None,
) -> Iterator[WeekOutcome]:
    """`fit_week` for every week of `weeks`, yielded in that order; up to `workers` weeks
    (training_workers() by default) train at the same time. The same outcomes as one week after the
    other: a week's training reads only its own window of `features`/`actuals` (read-only here)."""

    def one(week: dt.date) -> WeekOutcome:
        return fit_week(week, features, actuals, params, min_history_days, has_games=week in playing)

    n = min(workers or training_workers(), len(weeks))
    if n <= 1:
        yield from map(one, weeks)
        return
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="fit-week") as pool:
        yield from pool.map(one, weeks)


def model_summary(model: TrainedModel) -> dict[str, object]:
    """The figures of a trained model shown on the asset (plain values; the asset wraps plots/paths)."""
    m = model.metrics
    return {
        "model_version": model.model_version,
        "training_rows": m.get("train_rows"),
        "training_date_range": f"{m.get('train_start')}..{m.get('train_end')}",
        "val_mae_model": m.get("val_mae_model"),
        "val_mae_l10_baseline": m.get("val_mae_baseline"),
    }


def _matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"feature rows lack model inputs {missing}")
    # Nulls become NaN, which LightGBM treats as missing (its own split direction).
    return frame.select(pl.col(c).cast(pl.Float64) for c in features).to_numpy().astype(np.float64)


def baseline_expr() -> pl.Expr:
    """The moving-average baseline: L10 mean, else L5, else season mean, else NO_HISTORY_POINTS."""
    return pl.coalesce("pts_l10", "pts_l5", "pts_season", pl.lit(NO_HISTORY_POINTS)).cast(pl.Float64)


def _fit(
    frame: pl.DataFrame, params: ModelParams, rounds: int, valid: pl.DataFrame | None = None
) -> lgb.Booster:
    data = lgb.Dataset(
        _matrix(frame, FEATURE_COLUMNS),
        label=frame["target"].to_numpy(),
        feature_name=FEATURE_COLUMNS,
        free_raw_data=True,
    )
    callbacks, valid_sets = [], []
    if valid is not None and valid.height:
        valid_sets = [
            lgb.Dataset(_matrix(valid, FEATURE_COLUMNS), label=valid["target"].to_numpy(), reference=data)
        ]
        callbacks = [lgb.early_stopping(params.early_stopping_rounds, verbose=False)]
    return lgb.train(
        params.lgb_params(), data, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
    )


def train_points_model(train: pl.DataFrame, params: ModelParams, cutoff: dt.date) -> TrainedModel:
    """Fit the week's model on `train` (rows < cutoff, from training_frame); see the module docstring.

    Raises ValueError with fewer than VAL_DAYS + 1 game days (nothing to fit before the validation).
    """
    train = train.sort(["game_date", "game_id", "player_lookup"])
    if train.height and train["game_date"].max() >= cutoff:
        raise ValueError(f"training rows on or after the cutoff {cutoff}: walk-forward violated")
    days = train["game_date"].unique().sort().to_list()
    if len(days) <= VAL_DAYS:
        raise ValueError(
            f"need training rows on more than {VAL_DAYS} game days before {cutoff} (have {len(days)}): "
            f"the last {VAL_DAYS} are the validation window"
        )
    val_start = days[-VAL_DAYS]
    # No inner holdout with too few days before validation: fixed rounds, said in the metrics.
    es_start = days[-VAL_DAYS - EARLY_STOPPING_DAYS] if len(days) > VAL_DAYS + EARLY_STOPPING_DAYS else None
    pre = train.filter(pl.col("game_date") < val_start)
    val = train.filter(pl.col("game_date") >= val_start)

    if es_start is not None:
        fit_a = pre.filter(pl.col("game_date") < es_start)
        holdout = pre.filter(pl.col("game_date") >= es_start)
        rounds = max(_fit(fit_a, params, params.num_boost_round, holdout).best_iteration, 1)
    else:
        rounds = params.num_boost_round

    # B and C both take the round count from A and nothing from each other: they train side by side
    # (LightGBM releases the GIL; each fit single-threaded, so each is the model it would be alone).
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="fit") as pool:
        final = pool.submit(_fit, train, params, rounds)
        booster_b = _fit(pre, params, rounds)
        booster = final.result()
    val_pred = np.clip(booster_b.predict(_matrix(val, FEATURE_COLUMNS)), 0.0, MAX_POINTS)
    actual = val["target"].to_numpy()
    baseline = val.select(baseline_expr()).to_series().to_numpy()
    # p_over is only ever computed where a line exists, and books post lines for rotation players and
    # up, whose residuals are about twice as wide as the bench players' that dominate the window. The
    # ECDF of every row made lined p_over far too confident (2025-26 sim: bins at 0.1 and 0.85 both
    # went over ~45% of the time), so calibrate on the lined rows; all rows only when too few have one.
    lined = val["consensus_line"].is_not_null().to_numpy()
    calibration = lined if lined.sum() >= MIN_CALIBRATION_ROWS else np.ones(val.height, dtype=bool)
    residuals = np.sort((actual - val_pred)[calibration])
    metrics = {
        "train_rows": train.height,
        "train_days": train["game_date"].n_unique(),
        "train_start": train["game_date"].min().isoformat(),
        "train_end": train["game_date"].max().isoformat(),
        "cutoff": cutoff.isoformat(),
        "val_start": val_start.isoformat(),
        "val_rows": val.height,
        "val_mae_model": round(float(np.mean(np.abs(actual - val_pred))), 4),
        "val_mae_baseline": round(float(np.mean(np.abs(actual - baseline))), 4),
        "val_bias_model": round(float(np.mean(val_pred - actual)), 4),
        "calibration_rows": int(residuals.size),
        "calibration_lined_only": bool(calibration is lined),
        "early_stopping": es_start is not None,
        "num_boost_round": rounds,
        "params": asdict(params),
    }
    return TrainedModel(
        booster=booster,
        features=list(FEATURE_COLUMNS),
        residuals=residuals,
        metrics=metrics,
        model_version=f"{MODEL_SYSTEM}@{cutoff.isoformat()}",
        cutoff=cutoff,
    )


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
    Optional row columns: injury_status, injury_report_ts (logic/injuries.status_asof) and
    line_snapshot_ts. `missing` (logic.inputs.missing_team_games): teams whose recent history has a
    hole; their rows are PASS with a STALE_INPUTS reason.
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
def importance_plot_png(model: TrainedModel, top: int = 20) -> bytes:
    """A horizontal bar chart of gain importance (top features), as PNG bytes."""
    gain = model.booster.feature_importance(importance_type="gain")
    order = np.argsort(gain)[::-1][:top][::-1]
    # Imported here: matplotlib (~0.5-1 s) only when a plot is drawn, not with every definition load.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, max(3.0, 0.3 * len(order) + 1)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh([model.features[i] for i in order], gain[order], color="#3b6ea5")
    ax.set_xlabel("total gain")
    ax.set_title(f"{model.model_version}: feature importance")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
