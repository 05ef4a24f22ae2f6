"""Network faults on top of the simulated sources: a share of requests fails the way real APIs and
networks do, before the request reaches the league.

The seeded faults of a season (faults.py) are few and fixed (a 429 here, two 503s there). A fault
profile adds a storm: each request attempt fails with probability `rate`, as one of KINDS, so the retry
policy, the page resume and the step retries all get exercised on every endpoint. Draws are random per
attempt (a retried request gets a fresh draw, as on a real network); `STATS` counts what was injected in
this process, so a test or a benchmark can state how many faults a run survived.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

import httpx

RATE_LIMIT_RETRY_AFTER = "429_retry_after"
RATE_LIMIT = "429"
SERVER_ERROR = "500"
UNAVAILABLE = "503"
TIMEOUT = "timeout"
RESET = "connection_reset"
KINDS = (RATE_LIMIT_RETRY_AFTER, RATE_LIMIT, SERVER_ERROR, UNAVAILABLE, TIMEOUT, RESET)

# Profiles of NBA_LAKE_SIM_FAULTS: (seeded data/transient faults of the season?, network fault rate).
PROFILES: dict[str, tuple[bool, float]] = {
    "seeded": (True, 0.0),  # the default: the season's seeded faults, no storm
    "none": (False, 0.0),  # a clean league: no fault of any kind
    "storm": (True, 0.3),  # the seeded faults plus 30 % of request attempts failing
}

STATS: Counter[str] = Counter()  # injected faults by kind (and "requests"), this process
_STATS_LOCK = threading.Lock()


@dataclass(frozen=True)
class NetworkFaults:
    rate: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise ValueError(f"network fault rate must be in [0, 1), got {self.rate}")


class FaultyTransport(httpx.BaseTransport):
    """Wraps a transport; fails a share of requests with 429/500/503, timeouts or connection resets."""

    def __init__(self, inner: httpx.BaseTransport, faults: NetworkFaults,
                 rng: random.Random | None = None) -> None:
        self.inner = inner
        self.faults = faults
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            hit = self._rng.random() < self.faults.rate
            kind = self._rng.choice(KINDS) if hit else None
        with _STATS_LOCK:
            STATS["requests"] += 1
            if kind:
                STATS[kind] += 1
        if kind == TIMEOUT:
            raise httpx.ReadTimeout("simulated read timeout", request=request)
        if kind == RESET:
            raise httpx.ReadError("simulated connection reset by peer", request=request)
        if kind in (RATE_LIMIT_RETRY_AFTER, RATE_LIMIT):
            headers = {"Retry-After": "1"} if kind == RATE_LIMIT_RETRY_AFTER else {}
            return httpx.Response(429, json={"message": "Too Many Requests"}, headers=headers,
                                  request=request)
        if kind in (SERVER_ERROR, UNAVAILABLE):
            return httpx.Response(int(kind), json={"error": "simulated server error"}, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
