"""The settings every process reads from the environment (`NBA_LAKE_*`), validated, with one-line
errors naming the variable. Standard library only: the CLI reads them before it imports Dagster
(`resources.env` builds the resources from them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("local", "test", "prod")
SOURCE_MODES = ("sim", "live", "landing")


class ConfigError(ValueError):
    """A setting that cannot work; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    env: str  # NBA_LAKE_ENV: local | test | prod
    data_dir: str  # NBA_LAKE_DATA_DIR: a local folder, or gs://bucket/prefix in prod
    source: str  # NBA_LAKE_SOURCE: sim | live | landing
    sim_seed: int  # NBA_LAKE_SIM_SEED
    automation_lookback_days: int  # NBA_LAKE_AUTOMATION_LOOKBACK_DAYS
    sim_faults: str = "seeded"  # NBA_LAKE_SIM_FAULTS: seeded | none | storm
    sim_network_fault_rate: float | None = None  # NBA_LAKE_SIM_NETWORK_FAULT_RATE, 0 <= rate < 1
    # NBA_LAKE_{BDL,NBACOM,ODDS}_BASE_URL: where live mode reaches each source (a proxy, a local fake)
    base_urls: tuple[tuple[str, str], ...] = ()
    # NBA_LAKE_SIM_STATE_DIR, else <data_dir>/sim for a local lake: where the sim's clock and fault state
    # live (a local folder every process of the deployment sees); None for a gs:// lake without it.
    sim_state_dir: str | None = None
    # NBA_LAKE_EXECUTOR: in_process (default: one process per run, steps in turn) | multiprocess (a
    # process per step, independent steps side by side, at most NBA_LAKE_MAX_CONCURRENT at once; the
    # prod deployment sets it: deploy/docker-compose.yaml, deploy/k8s/values.yaml)
    executor: str = "in_process"
    max_concurrent: int = 4  # NBA_LAKE_MAX_CONCURRENT, multiprocess only
    quota_floor: int = 10_000  # NBA_LAKE_QUOTA_FLOOR: alert when a source's remaining quota is below it


SIM_FAULT_PROFILES = ("seeded", "none", "storm")
BASE_URL_VARS = {"bdl": "NBA_LAKE_BDL_BASE_URL", "nbacom": "NBA_LAKE_NBACOM_BASE_URL",
                 "odds": "NBA_LAKE_ODDS_BASE_URL", "sportsdataio": "NBA_LAKE_SPORTSDATAIO_BASE_URL"}


def _fault_rate() -> float | None:
    raw = os.environ.get("NBA_LAKE_SIM_NETWORK_FAULT_RATE")
    if raw is None or not raw.strip():
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate < 1.0:
        raise ConfigError(f"NBA_LAKE_SIM_NETWORK_FAULT_RATE={raw!r} must be a number in [0, 1)")
    return rate


def _base_urls(source: str) -> tuple[tuple[str, str], ...]:
    urls = []
    for name, var in BASE_URL_VARS.items():
        url = os.environ.get(var, "").strip()
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{var}={url!r} must start with http:// or https://")
        if source != "live":
            raise ConfigError(f"{var} is set but NBA_LAKE_SOURCE={source}: base URLs apply to live mode")
        urls.append((name, url))
    return tuple(urls)


def settings() -> Settings:
    env = os.environ.get("NBA_LAKE_ENV", "local")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"NBA_LAKE_ENV={env!r} is not one of {ENVIRONMENTS}")
    source = os.environ.get("NBA_LAKE_SOURCE", "sim")
    if source not in SOURCE_MODES:
        raise ConfigError(f"NBA_LAKE_SOURCE={source!r} is not one of {SOURCE_MODES}")
    default_dir = str(PROJECT_ROOT / "data")
    data_dir = os.environ.get("NBA_LAKE_DATA_DIR", default_dir)
    if env == "prod" and not data_dir.startswith("gs://"):
        raise ConfigError("NBA_LAKE_ENV=prod needs NBA_LAKE_DATA_DIR=gs://<bucket>/<prefix>")
    return Settings(
        env=env,
        data_dir=data_dir,
        source=source,
        sim_seed=int(os.environ.get("NBA_LAKE_SIM_SEED", "7")),
        automation_lookback_days=int(os.environ.get("NBA_LAKE_AUTOMATION_LOOKBACK_DAYS", "14")),
        sim_faults=_sim_faults(),
        sim_network_fault_rate=_fault_rate(),
        base_urls=_base_urls(source),
        sim_state_dir=sim_state_dir(data_dir),
        quota_floor=quota_floor(),
        executor=_choice("NBA_LAKE_EXECUTOR", EXECUTORS),
        max_concurrent=_positive_int("NBA_LAKE_MAX_CONCURRENT", 4),
    )


EXECUTORS = ("in_process", "multiprocess")


def _choice(var: str, allowed: tuple[str, ...]) -> str:
    """The variable's value, the first of `allowed` when unset or empty."""
    value = os.environ.get(var, "").strip() or allowed[0]
    if value not in allowed:
        raise ConfigError(f"{var}={value!r} is not one of {allowed}")
    return value


def _positive_int(var: str, default: int) -> int:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{var}={raw!r} must be a whole number >= 1")
    return int(raw)


def quota_floor() -> int:
    """NBA_LAKE_QUOTA_FLOOR: the remaining credits under which a source's quota alerts (default 10,000:
    about twenty days of historical walks of a full slate; a live game day spends about a hundred)."""
    raw = os.environ.get("NBA_LAKE_QUOTA_FLOOR", "").strip()
    if not raw:
        return 10_000
    try:
        floor = int(raw)
    except ValueError:
        floor = -1
    if floor < 0:
        raise ConfigError(f"NBA_LAKE_QUOTA_FLOOR={raw!r} must be a whole number of credits >= 0")
    return floor


def sim_state_dir(data_dir: str | None = None) -> str | None:
    """The sim's state folder: NBA_LAKE_SIM_STATE_DIR, else `<data_dir>/sim` when the lake is local (the
    clock file must be a local file), else None. Every reader of the sim clock asks here."""
    configured = os.environ.get("NBA_LAKE_SIM_STATE_DIR", "").strip()
    if configured:
        return configured
    data_dir = data_dir if data_dir is not None else os.environ.get("NBA_LAKE_DATA_DIR", str(PROJECT_ROOT / "data"))
    return None if "://" in data_dir else str(Path(data_dir) / "sim")


def _sim_faults() -> str:
    profile = os.environ.get("NBA_LAKE_SIM_FAULTS", "seeded")
    if profile not in SIM_FAULT_PROFILES:
        raise ConfigError(f"NBA_LAKE_SIM_FAULTS={profile!r} is not one of {SIM_FAULT_PROFILES}")
    return profile


def sim_cache_root() -> Path | None:
    """NBA_LAKE_SIM_CACHE: where the sim keeps generated seasons (resources/sim/cache.py); `off` (or
    empty) switches it off; unset: `$XDG_CACHE_HOME/nba-lake/sim`, else `~/.cache/nba-lake/sim`."""
    configured = os.environ.get("NBA_LAKE_SIM_CACHE")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nba-lake" / "sim"


def _gs_bucket(url: str) -> str | None:
    return url.removeprefix("gs://").split("/", 1)[0] if url.startswith("gs://") else None


def exports_dir(data_dir: str, environ: dict[str, str] | None = None) -> str:
    """NBA_LAKE_EXPORTS_DIR, else <data_dir>/exports for a local lake; for a gs:// lake without it, ""
    (the pipeline still runs; the export assets fail naming the variable)."""
    env = os.environ if environ is None else environ
    configured = env.get("NBA_LAKE_EXPORTS_DIR", "").strip().rstrip("/")
    lake_bucket = _gs_bucket(data_dir)
    if not configured:
        if lake_bucket:
            return ""
        return f"{data_dir.rstrip('/')}/exports"
    if lake_bucket and _gs_bucket(configured) == lake_bucket:
        raise ConfigError(
            f"NBA_LAKE_EXPORTS_DIR={configured!r} is in the lake's bucket {lake_bucket!r}, which stays private: "
            "give the exports a bucket of their own"
        )
    return configured
