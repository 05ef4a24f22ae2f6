"""Training the week's LightGBM points model (walk-forward; nba_assets/logic/modeling.py predicts with it).

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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import lightgbm as lgb
import numpy as np
import polars as pl

from io_managers.model_store import TrainedModel
from nba_assets.logic.modeling import FEATURE_COLUMNS, MAX_POINTS, _matrix, baseline_expr
from nba_assets.logic.system_ids import MODEL_SYSTEM

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
# Part of every training fingerprint: bump it when train_points_model changes what it fits from the
# same rows and parameters, so no stored model of the old code is kept as if it were the new one's.
FINGERPRINT_VERSION = 1



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


def training_fingerprint(train: pl.DataFrame, params: ModelParams, cutoff: dt.date) -> str:
    """What a week's model is a function of: its training rows (every column, in their sorted order),
    the parameters, the cutoff, the training code's constants, LightGBM's and polars' versions. Training is
    deterministic, so the same fingerprint gives the same model text."""
    head = {
        # polars' row hash is stable within one polars version only: another version fits again.
        "version": FINGERPRINT_VERSION, "lightgbm": lgb.__version__, "polars": pl.__version__, "params": asdict(params),
        "cutoff": cutoff.isoformat(), "columns": dict(zip(train.columns, map(str, train.dtypes), strict=True)),
        "rows": train.height, "window": TRAINING_WINDOW_DAYS, "val": VAL_DAYS, "es": EARLY_STOPPING_DAYS,
        "calibration": MIN_CALIBRATION_ROWS, "features": FEATURE_COLUMNS,
    }
    digest = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    for seed in (0, 1):  # two 64-bit row hashes: 128 bits per row
        digest.update(train.hash_rows(seed=seed).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class WeekOutcome:
    """What training the model of one week gave: a model, or the reason there is none."""

    week: dt.date
    model: TrainedModel | None = None
    reason: str | None = None  # why no model was trained
    train_rows: int = 0
    # The stored model was kept: its training fingerprint is this week's (nothing it learns from changed).
    reused: bool = False


def fit_week(
    week: dt.date,
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    params: ModelParams,
    min_history_days: int,
    has_games: bool = True,
    stored: Callable[[dt.date], TrainedModel | None] | None = None,
) -> WeekOutcome:
    """Train the model of `week` (a Monday) on the rows before it, or say why not.

    No games that week: nothing to predict, so no training cost. Too little history: no model; the
    week's predictions fall back to the latest earlier model (or the baseline alone). `stored` (the
    week's model already in the store, or None): kept when its training fingerprint is this one's, so
    a week whose rows did not change is not fitted again (a game day's run retrains its week daily)."""
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
    fingerprint = training_fingerprint(train, params, week)
    previous = stored(week) if stored is not None else None
    if previous is not None and previous.metrics.get("training_fingerprint") == fingerprint:
        return WeekOutcome(week, model=previous, train_rows=train.height, reused=True)
    model = train_points_model(train, params, week)
    model.metrics["training_fingerprint"] = fingerprint
    return WeekOutcome(week, model=model, train_rows=train.height)


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
    stored: Callable[[dt.date], TrainedModel | None] | None = None,
) -> Iterator[WeekOutcome]:
    """`fit_week` for every week of `weeks`, yielded in that order; up to `workers` weeks
    (training_workers() by default) train at the same time. The same outcomes as one week after the
    other: a week's training reads only its own window of `features`/`actuals` (read-only here)."""

    def one(week: dt.date) -> WeekOutcome:
        return fit_week(week, features, actuals, params, min_history_days, has_games=week in playing, stored=stored)

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
