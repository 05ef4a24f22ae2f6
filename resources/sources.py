"""The `sources` resource: which world the raw assets fetch from, and the clients that fetch it.

Modes (env NBA_LAKE_SOURCE, resolved in resources/env.py):
- sim (default): the real client code against the seeded simulated league, served in-process by an
  httpx.MockTransport on the real hosts and routes; no network, no keys.
- live: the real APIs; keys come from dg.EnvVar (BDL_API_KEY, ODDS_API_KEY).
- landing: no fetching at all; assets parse what is already in the landing zone (re-parse, or real
  responses dropped in by hand).
"""

from __future__ import annotations

import functools
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
from pydantic import Field, PrivateAttr
from upath import UPath
from upath.implementations.local import LocalPath

from nba_assets.partitions import game_date_of
from resources.clients import BdlClient, NbaComClient, OddsApiClient
from resources.clients_injury import InjuryReportClient
from resources.clients_lines import GameLinesClient
from resources.http import HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.sdio import SportsDataIoClient

MODES = ("sim", "live", "landing")
SIM_KEY = "sim-key"

LIVE_POLICY = RetryPolicy()
# The sim's faults count requests (first N requests of an endpoint/date fail), not elapsed time, so
# real waits would only slow every backfill; the same retry code runs with the delays scaled down.
SIM_POLICY = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=0.05)


class FetchDisabled(RuntimeError):
    """NBA_LAKE_SOURCE=landing: nothing is fetched; callers check `fetching_enabled` first."""


class MissingApiKey(ValueError):
    """Live mode without the key a source needs; the message names the environment variable."""


@functools.lru_cache(maxsize=2)
def _sim_league(seed: int, seeded_faults: bool = True) -> Any:
    """One simulated league per (seed, faults) per process: generating it takes seconds."""
    from resources.settings import sim_cache_root
    from resources.sim import FaultConfig, SimConfig, SimLeague

    config = SimConfig(seed=seed, faults=FaultConfig() if seeded_faults else FaultConfig.none())
    return SimLeague(config, cache_root=sim_cache_root())


def sim_league(seed: int, fault_profile: str = "seeded") -> Any:
    """The simulated league the sources serve for this seed and NBA_LAKE_SIM_FAULTS profile (its
    `faults(season)` are the seeded ones; none for the `none` profile)."""
    from resources.sim.network import PROFILES

    return _sim_league(seed, PROFILES[fault_profile][0])


class SourcesResource(dg.ConfigurableResource):
    """Source switch (sim | live | landing) and factory of the landing zone and source clients."""

    mode: str = Field(default="sim", description="sim | live | landing (env NBA_LAKE_SOURCE)")
    data_dir: str = Field(default="data", description="lake root, local or gs:// (env NBA_LAKE_DATA_DIR)")
    # repr=False keeps keys out of reprs and logs; Dagster shows only {"env": ...} for EnvVar config.
    bdl_api_key: str | None = Field(default=None, repr=False, description="env BDL_API_KEY")
    odds_api_key: str | None = Field(default=None, repr=False, description="env ODDS_API_KEY")
    sportsdataio_api_key: str | None = Field(default=None, repr=False, description="env SPORTSDATAIO_API_KEY")
    sim_seed: int = Field(default=7, description="seed of the simulated league (sim mode)")
    sim_state_dir: str | None = Field(
        default=None, description="local folder of the sim's clock/fault state; default <data_dir>/sim"
    )
    sim_faults: str = Field(
        default="seeded",
        description="sim fault profile: seeded | none | storm (env NBA_LAKE_SIM_FAULTS, resources/sim/network.py)",
    )
    sim_network_fault_rate: float | None = Field(
        default=None, description="share of sim request attempts that fail; overrides the profile's "
        "(env NBA_LAKE_SIM_NETWORK_FAULT_RATE)",
    )
    # Where each source is reached in live mode (a proxy, a local fake); None: the public API.
    bdl_base_url: str | None = Field(default=None, description="env NBA_LAKE_BDL_BASE_URL")
    nbacom_base_url: str | None = Field(default=None, description="env NBA_LAKE_NBACOM_BASE_URL")
    odds_base_url: str | None = Field(default=None, description="env NBA_LAKE_ODDS_BASE_URL")
    sportsdataio_base_url: str | None = Field(default=None, description="env NBA_LAKE_SPORTSDATAIO_BASE_URL")

    _http: dict[str, httpx.Client] = PrivateAttr(default_factory=dict)

    @property
    def fetching_enabled(self) -> bool:
        self._check_mode()
        return self.mode != "landing"

    def landing(self) -> LandingZone:
        return LandingZone(self.data_dir, secrets=(self.bdl_api_key, self.odds_api_key, self.sportsdataio_api_key))

    def bdl(self) -> BdlClient:
        key = self._key("bdl_api_key", "BDL_API_KEY", "Ball Don't Lie")
        return BdlClient(self._source("bdl"), self.landing(), key, **self._base("bdl_base_url"))

    def nbacom(self) -> NbaComClient:
        return NbaComClient(self._source("nbacom"), self.landing(), **self._base("nbacom_base_url"))

    def odds(self) -> OddsApiClient:
        key = self._key("odds_api_key", "ODDS_API_KEY", "The Odds API")
        return OddsApiClient(self._source("oddsapi"), self.landing(), key, **self._base("odds_base_url"))

    def injury_report(self) -> InjuryReportClient:
        return InjuryReportClient(self._source("nbacom"), self.landing())

    def game_lines(self) -> GameLinesClient:
        key = self._key("odds_api_key", "ODDS_API_KEY", "The Odds API")
        return GameLinesClient(self._source("oddsapi"), self.landing(), key, **self._base("odds_base_url"))
    def sportsdataio(self) -> SportsDataIoClient | None:
        """The second props feed; None in live mode without SPORTSDATAIO_API_KEY (it is optional: The
        Odds API alone lines the slate, as before the feed existed)."""
        self._require_fetching()
        if self.mode == "live" and not self.sportsdataio_api_key:
            return None
        key = SIM_KEY if self.mode == "sim" else self.sportsdataio_api_key
        return SportsDataIoClient(self._source("sportsdataio"), self.landing(), key,
                                  **self._base("sportsdataio_base_url"))

    def _base(self, attr: str) -> dict[str, str]:
        # The sim answers on the real hosts; a base URL only moves live requests.
        url = getattr(self, attr)
        return {"base_url": url} if url and self.mode == "live" else {}

    def now(self) -> datetime:
        """What time it is for the sources: the sim clock in sim mode, the real clock otherwise."""
        if self.mode == "sim":
            from resources.sim import SimClock

            return SimClock(self._sim_state_dir()).now()
        return datetime.now(UTC)

    def today(self) -> date:
        """The current ET calendar date for the sources (the latest game_dates partition)."""
        return game_date_of(self.now())

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for client in self._http.values():
            client.close()
        self._http.clear()

    # -------------------------------------------------------------------------------------- helpers
    def _check_mode(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"NBA_LAKE_SOURCE={self.mode!r} is not one of {MODES}")

    def _require_fetching(self) -> None:
        if not self.fetching_enabled:
            raise FetchDisabled(
                f"NBA_LAKE_SOURCE=landing: not fetching; parsing what is in {self.landing().root}"
            )

    def _key(self, attr: str, env_var: str, label: str) -> str:
        self._require_fetching()
        if self.mode == "sim":
            return SIM_KEY
        key = getattr(self, attr)
        if not key:
            raise MissingApiKey(
                f"NBA_LAKE_SOURCE=live needs an API key for {label}: set {env_var} "
                f"(or use NBA_LAKE_SOURCE=sim / landing)"
            )
        return key

    def _source(self, name: str) -> HttpSource:
        self._require_fetching()
        policy = SIM_POLICY if self.mode == "sim" else LIVE_POLICY
        return HttpSource(self._client(), policy, sleep=time.sleep, rng=random.Random(), name=name)

    def _client(self) -> httpx.Client:
        if self.mode not in self._http:
            if self.mode == "sim":
                self._http[self.mode] = httpx.Client(transport=self._sim_transport())
            else:
                self._http[self.mode] = httpx.Client(timeout=LIVE_POLICY.timeout, follow_redirects=True)
        return self._http[self.mode]

    def _sim_state_dir(self) -> Path:
        if self.sim_state_dir:
            return Path(self.sim_state_dir)
        root = UPath(self.data_dir)
        if not isinstance(root, LocalPath):
            raise ValueError(
                f"NBA_LAKE_SOURCE=sim keeps its clock and fault state on local disk; "
                f"NBA_LAKE_DATA_DIR={self.data_dir!r} is not local: set NBA_LAKE_SIM_STATE_DIR"
            )
        return Path(root) / "sim"

    def _sim_transport(self) -> httpx.BaseTransport:
        from resources.sim import SimClock, sim_transport
        from resources.sim.network import PROFILES, FaultyTransport, NetworkFaults

        if self.sim_faults not in PROFILES:
            raise ValueError(f"NBA_LAKE_SIM_FAULTS={self.sim_faults!r} is not one of {tuple(PROFILES)}")
        seeded, rate = PROFILES[self.sim_faults]
        if self.sim_network_fault_rate is not None:
            rate = self.sim_network_fault_rate
        state_dir = self._sim_state_dir()
        inner = sim_transport(_sim_league(self.sim_seed, seeded), SimClock(state_dir), state_dir)
        return FaultyTransport(inner, NetworkFaults(rate)) if rate > 0 else inner
