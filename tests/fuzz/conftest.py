"""Hypothesis profiles of the fuzz harness, chosen by NBA_LAKE_FUZZ (default `ci`).

`ci` (`make test`): a fixed seed (derandomize) and few examples, so every run draws the same bodies and
the whole harness stays within seconds. `long` (`make fuzz`): a random seed and many examples; a failure
prints the body it found and the `@reproduce_failure` blob that replays it. The count of examples each
endpoint ran is printed at the end of the session.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

EXAMPLES: Counter[str] = Counter()

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, print_blob=False, **_COMMON)
settings.register_profile(
    "long", max_examples=int(os.environ.get("NBA_LAKE_FUZZ_EXAMPLES", "3000")), derandomize=False,
    database=None, print_blob=True, **_COMMON,
)
PROFILE = os.environ.get("NBA_LAKE_FUZZ", "ci")
settings.load_profile(PROFILE)


def pytest_terminal_summary(terminalreporter) -> None:
    if EXAMPLES:
        terminalreporter.write_sep("-", f"fuzz examples run (profile {PROFILE})")
        for name, n in sorted(EXAMPLES.items()):
            terminalreporter.write_line(f"{name}: {n}")
