"""Usage quota a source reports back with each response, and what a request costs.

The Odds API v4 answers every request with `x-requests-used`, `x-requests-remaining` and
`x-requests-last` (the credits that request cost). `quota_of(response)` reads them; the landing zone
records the reading in the fetch's manifest entry and keeps each source's latest reading in
`<landing>/<source>/_quota.json`, which `nba-lake status` and the alerts sensor read. Any client of a
source that reports these headers records them by passing `meta={"quota": quota_of(resp)}` to
`LandingZone.write`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from resources.files import is_local, read_record

QUOTA_FILE = "_quota.json"
HEADERS = {"used": "x-requests-used", "remaining": "x-requests-remaining", "last": "x-requests-last"}

# The Odds API's documented costs (https://the-odds-api.com/liveapi/guides/v4/): current event odds cost
# markets x regions credits, historical event odds 10 x markets x regions, the historical events list 1,
# the current events list nothing. A response with no market in it costs nothing.
HISTORICAL_MULTIPLIER = 10
HISTORICAL_EVENTS_COST = 1


def odds_cost(*, markets: int, regions: int, historical: bool) -> int:
    """Credits one event-odds request costs when it returns its markets."""
    return (HISTORICAL_MULTIPLIER if historical else 1) * markets * regions


def quota_of(headers: Mapping[str, str] | Any) -> dict[str, int] | None:
    """{"used", "remaining", "last"} from a response (or its headers); None when the source sent none.

    A header that is not a whole number is left out (the reading is still recorded); the API sends
    `remaining` as a float-looking string on some plans ("19985.0"), which is read as 19985."""
    headers = getattr(headers, "headers", headers)
    out: dict[str, int] = {}
    for name, header in HEADERS.items():
        raw = headers.get(header)
        if raw is None:
            continue
        try:
            out[name] = int(float(str(raw).strip()))
        except ValueError:
            continue
    return out or None


def read_quotas(landing_root: Any, sources: Iterable[str]) -> dict[str, dict]:
    """{source: its latest reading {"at", "used", "remaining", "last"}} from `<landing_root>/<source>/
    QUOTA_FILE` (a pathlib or UPath folder); an unreadable file counts as no reading."""
    out = {}
    for source in sources:
        path = landing_root / source / QUOTA_FILE
        try:
            if is_local(path):  # rewritten in place under a lock (LandingZone._write_quota)
                text = read_record(path)
            else:
                text = path.read_text(encoding="utf-8") if path.exists() else None
            reading = json.loads(text) if text else None
        except (OSError, ValueError):
            reading = None
        if isinstance(reading, dict):
            out[source] = reading
    return out
