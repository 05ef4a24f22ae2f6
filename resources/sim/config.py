"""Configuration of the simulated league and its seeded random streams."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class FaultConfig:
    """How many faults of each kind to inject PER SEASON; all zeros give a clean league."""

    late_boxscores: int = 4  # boxscore (both sources) released 6..60 h after the final
    zero_prop_games: int = 3  # Odds API event exists, no player_points market at any book
    duplicate_rows: int = 3  # a player row repeated in one response (BDL stats, NBA.com gamelog)
    rate_limits: int = 4  # first request for (endpoint, date) answers 429 with Retry-After: 1
    server_errors: int = 4  # first 2 requests for (endpoint, date) answer 503
    pagination_failures: int = 2  # /v1/stats page 2 of that date answers 500 for its first 6 requests
    malformed_records: int = 4  # cycle of MALFORMED_VARIANTS
    stat_corrections: int = 4  # NBA.com row corrected (+1 FGM/FGA, +2 PTS) 24..72 h after the final
    in_game_snapshots: int = 25  # Odds API history gets a snapshot 30..90 min AFTER tip-off

    @classmethod
    def none(cls) -> FaultConfig:
        """A clean league: no faults of any kind."""
        return cls(**{name: 0 for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    seasons: tuple[int, ...] = (2023, 2024, 2025, 2026)  # season_year = start year
    faults: FaultConfig = field(default_factory=FaultConfig)


def rng_for(seed: int, season: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible random stream per (seed, season, purpose).

    The purpose string is hashed (not `hash()`, which is salted per process) so streams are stable
    across processes and Python versions.
    """
    digest = hashlib.sha256(f"{seed}|{season}|{purpose}".encode()).digest()
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(digest[:16], "little")))
