"""The model store: one LightGBM text file per model week, plus a JSON sidecar.

Layout: `<base>/models/points_model/<week_key>.txt` (the booster, `Booster.model_to_string()`) and
`<week_key>.json` (version, features, metrics, the out-of-sample residuals that calibrate p_over, and the
sha256 of the text file). `base` is a local folder or a `gs://` prefix (universal-pathlib).

`TrainedModel` lives here, not in nba_assets, because io_managers sits below nba_assets in the
import order (docs/architecture.md §2): the modeling logic imports it from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
from upath import UPath

MODEL_NAME = "points_model"
SIDECAR_FORMAT = 1
_LOCAL_PROTOCOLS = ("", "file", "local")


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A trained points regressor and everything needed to use and explain it.

    `residuals` are sorted out-of-sample residuals (actual - predicted) from the validation window
    before the cutoff; p_over is read off their distribution.
    """

    booster: lgb.Booster
    features: list[str]
    residuals: np.ndarray
    metrics: dict[str, Any]
    model_version: str
    cutoff: dt.date
    extra: dict[str, Any] = field(default_factory=dict)

    def model_text(self) -> str:
        return self.booster.model_to_string()


class ModelStoreError(RuntimeError):
    """A stored model that cannot be trusted (e.g. its text file does not match its sidecar)."""


class ModelStore:
    """Models as files under `<base_dir>/models/points_model/`, one per week key (YYYY-MM-DD, Monday)."""

    def __init__(self, base_dir: str | os.PathLike[str]):
        self.base = UPath(str(base_dir))
        self.root = self.base / "models" / MODEL_NAME

    def path_for(self, week_key: str) -> UPath:
        """The stable path of week_key's model text file."""
        return self.root / f"{_checked_key(week_key)}.txt"

    def sidecar_for(self, week_key: str) -> UPath:
        return self.root / f"{_checked_key(week_key)}.json"

    def save(self, week_key: str, model: TrainedModel) -> UPath:
        """Write the model text, then its sidecar; each write is atomic. Returns the text file's path."""
        text = model.model_text()
        sidecar = {
            "format": SIDECAR_FORMAT,
            "week_key": week_key,
            "model_version": model.model_version,
            "cutoff": model.cutoff.isoformat(),
            "features": list(model.features),
            "metrics": model.metrics,
            "residuals": [float(r) for r in model.residuals],
            "extra": model.extra,
            "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        path = self.path_for(week_key)
        _atomic_write(path, text.encode())
        # The sidecar goes last and names the text's hash: a crash between the two writes leaves a pair
        # that load() rejects loudly instead of a new booster silently paired with old calibration.
        _atomic_write(
            self.sidecar_for(week_key),
            json.dumps(sidecar, indent=1, sort_keys=True, default=_json_default).encode(),
        )
        return path

    def load(self, week_key: str) -> TrainedModel | None:
        """The model of week_key, or None when that week has no (complete) model."""
        path, side = self.path_for(week_key), self.sidecar_for(week_key)
        if not (path.exists() and side.exists()):
            return None
        text = path.read_bytes().decode()
        meta = json.loads(side.read_bytes().decode())
        if hashlib.sha256(text.encode()).hexdigest() != meta.get("model_sha256"):
            raise ModelStoreError(
                f"{path} does not match its sidecar {side} (interrupted save?): re-materialize week "
                f"{week_key} of predictions/points_model"
            )
        return TrainedModel(
            booster=lgb.Booster(model_str=text),
            features=list(meta["features"]),
            residuals=np.asarray(meta["residuals"], dtype=np.float64),
            metrics=meta["metrics"],
            model_version=meta["model_version"],
            cutoff=dt.date.fromisoformat(meta["cutoff"]),
            extra=meta.get("extra", {}),
        )

    def weeks(self) -> list[str]:
        """Week keys that have a sidecar (a complete save), oldest first."""
        if not self.root.exists():
            return []
        return sorted(p.name.removesuffix(".json") for p in self.root.iterdir() if p.name.endswith(".json"))

    def latest_before(self, week_key: str) -> TrainedModel | None:
        """The newest stored model of a week strictly before week_key (the fallback), or None."""
        earlier = [k for k in self.weeks() if k < _checked_key(week_key)]
        return self.load(earlier[-1]) if earlier else None


def _checked_key(week_key: str) -> str:
    # ISO dates sort as strings, which latest_before relies on; anything else is a caller bug.
    dt.date.fromisoformat(week_key)
    return week_key


def _atomic_write(path: UPath, data: bytes) -> None:
    """Temp file + rename locally; object stores put the whole object in one request (already atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.protocol in _LOCAL_PROTOCOLS:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp.path, path.path)
        finally:
            if tmp.exists():
                tmp.unlink()
    else:
        path.write_bytes(data)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable in model metrics: {type(value).__name__}")
