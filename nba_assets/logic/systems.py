"""Prediction systems: each is one function with a declared name, version and inputs, registered here.

A system maps the day's feature rows (line columns as of the refresh that runs it) to predicted points,
P(points > line) and whether the row has enough history to bet on. Everything downstream is keyed by
`system_id` only: `build_predictions` runs every registered system, grading, `system_daily_performance`
and the season report group by it, and the prediction contract checks its shape, not a list. Adding a
system is therefore `@register(...)` on one function and nothing else.

The three production systems, compared on the same rows (every slate player, every refresh):
- `moving_avg_l10`: the L10 mean (else L5, season mean), p_over from a normal with the player's L10 sd.
- `lgbm_points_v1`: the week's walk-forward LightGBM model, p_over from its out-of-sample residuals.
- `market_anchored_v1`: the consensus line moved toward the model by MARKET_WEIGHT of the model's
  disagreement (line + w * (model - line)), i.e. the market as the prior and the model's residual signal
  as the update; without a line, the model (else the baseline). It needs the model and the line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from io_managers.model_store import TrainedModel
from nba_assets.contracts import SYSTEM_ID_PATTERN


@dataclass(frozen=True)
class SystemInput:
    """What a system sees: feature rows (sorted, line columns as of the refresh), the week's model (or
    None) and the line as an array (0.0 where there is none; p_over is nulled there)."""

    features: pl.DataFrame
    model: TrainedModel | None
    line: np.ndarray


@dataclass(frozen=True)
class SystemOutput:
    predicted: np.ndarray  # points, clipped to the contract range by the caller
    p_over: np.ndarray  # P(actual > line), in [0, 1]
    has_history: np.ndarray  # False -> PASS "no scoring history"
    version: str  # model_version written on the rows


@dataclass(frozen=True)
class PredictionSystem:
    name: str
    version: str
    inputs: tuple[str, ...]  # feature columns it reads (documentation and a check that they exist)
    needs_model: bool  # no weekly model yet -> the system is skipped for the day (said in metadata)
    predict: Callable[[SystemInput], SystemOutput]

    def run(self, data: SystemInput) -> SystemOutput:
        missing = [c for c in self.inputs if c not in data.features.columns]
        if missing:
            raise ValueError(f"prediction system {self.name!r} needs feature columns {missing}")
        out = self.predict(data)
        n = data.features.height
        for field in ("predicted", "p_over", "has_history"):
            if len(getattr(out, field)) != n:
                raise ValueError(f"prediction system {self.name!r} returned {field} for "
                                 f"{len(getattr(out, field))} of {n} rows")
        return out


_REGISTRY: dict[str, PredictionSystem] = {}


def register(
    name: str, version: str, inputs: tuple[str, ...], needs_model: bool = False
) -> Callable[[Callable[[SystemInput], SystemOutput]], Callable[[SystemInput], SystemOutput]]:
    """Decorator: register `fn` as the prediction system `name` (unique, lowercase snake case)."""
    import re

    if not re.match(SYSTEM_ID_PATTERN, name):
        raise ValueError(f"system name {name!r} must match {SYSTEM_ID_PATTERN}")

    def wrap(fn: Callable[[SystemInput], SystemOutput]) -> Callable[[SystemInput], SystemOutput]:
        if name in _REGISTRY and _REGISTRY[name].predict is not fn:
            raise ValueError(f"prediction system {name!r} is already registered")
        _REGISTRY[name] = PredictionSystem(name, version, tuple(inputs), needs_model, fn)
        return fn

    return wrap


def unregister(name: str) -> None:
    """Remove a system (tests that register a fixture system clean up with this)."""
    _REGISTRY.pop(name, None)


def registered() -> tuple[PredictionSystem, ...]:
    """Every registered system, in registration order."""
    return tuple(_REGISTRY.values())


def get(name: str) -> PredictionSystem:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no prediction system {name!r}; registered: {', '.join(_REGISTRY)}") from None
