"""The simulated NBA league: the embedded default data source (deterministic from a seed).

    league = SimLeague(SimConfig(seed=7))
    client = httpx.Client(transport=sim_transport(league, SimClock()))

serves Ball Don't Lie, NBA.com stats and The Odds API in their real JSON formats; `league.*` frames
hold the truth (and the injected faults) for tests and benchmarks.
"""

from resources.sim.clock import SimClock
from resources.sim.config import FaultConfig, SimConfig
from resources.sim.league import SimLeague
from resources.sim.transport import SimServer, sim_transport

__all__ = ["FaultConfig", "SimClock", "SimConfig", "SimLeague", "SimServer", "sim_transport"]
