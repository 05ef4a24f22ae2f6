"""The one environment switch: local (default), test, prod.

`settings()` reads and validates the environment variables (a bad value fails with one line naming it);
`resources_for(settings)` builds the resources dict `definitions.py` passes to Dagster. Asset bodies never
branch on the environment.
Secrets come only from environment variables (`dg.EnvVar`), resolved by Dagster at run time so they
never enter the code, the logs or the landing zone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from io_managers.lake import ParquetLakeIOManager
from resources.alerts import alerts_from_env
from resources.lake import LakeResource
from resources.sources import SourcesResource

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


SIM_FAULT_PROFILES = ("seeded", "none", "storm")
BASE_URL_VARS = {"bdl": "NBA_LAKE_BDL_BASE_URL", "nbacom": "NBA_LAKE_NBACOM_BASE_URL",
                 "odds": "NBA_LAKE_ODDS_BASE_URL"}


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
    )


def _sim_faults() -> str:
    profile = os.environ.get("NBA_LAKE_SIM_FAULTS", "seeded")
    if profile not in SIM_FAULT_PROFILES:
        raise ConfigError(f"NBA_LAKE_SIM_FAULTS={profile!r} is not one of {SIM_FAULT_PROFILES}")
    return profile


def resources_for(s: Settings | None = None) -> dict[str, object]:
    """The resources dict for the chosen environment. Same asset code everywhere."""
    s = s or settings()
    live = s.source == "live"
    sources = SourcesResource(
        mode=s.source,
        data_dir=s.data_dir,
        # Keys are resolved from the environment at run time; only required when fetching live.
        bdl_api_key=dg.EnvVar("BDL_API_KEY") if live else None,
        odds_api_key=dg.EnvVar("ODDS_API_KEY") if live else None,
        sim_seed=s.sim_seed,
        # The sim's clock and fault state are local files; with a gs:// lake they live here.
        sim_state_dir=os.environ.get("NBA_LAKE_SIM_STATE_DIR"),
        sim_faults=s.sim_faults,
        sim_network_fault_rate=s.sim_network_fault_rate,
        **{f"{name}_base_url": url for name, url in s.base_urls},
    )
    if s.env == "prod":
        # Imported here, not at the top: resources/gcp.py builds on this module's Settings/ConfigError,
        # and only prod pays for the Google client imports.
        from resources.gcp import prod_resources

        return prod_resources(s, sources)
    return {
        "io_manager": ParquetLakeIOManager(base_dir=s.data_dir),
        "sources": sources,
        "lake": LakeResource(data_dir=s.data_dir),
        "alerts": alerts_from_env(),
    }
