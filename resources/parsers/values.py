"""Field values the parsers read in several formats: minutes played and odds prices. Pure functions."""

from __future__ import annotations

import math
import re
from typing import Any

_PLAIN_MINUTES = re.compile(r"-?\d{1,3}(?:\.\d+)?")  # "35", "00", "12.5"
_CLOCK_MINUTES = re.compile(r"(\d{1,3}):([0-5]\d)(?:\.\d+)?")  # "35:22", "0:00"
_ISO_MINUTES = re.compile(r"PT(\d{1,3})M(\d{1,2}(?:\.\d+)?)S")  # NBA.com live: "PT35M22.00S"


def parse_minutes(value: Any) -> float | None:
    """Minutes played as a float, or None when unparseable.

    "35" -> 35.0; "35:22" -> 35.37 (min + sec/60, 2 decimals); "PT35M22.00S" -> 35.37; numbers pass
    through; "00"/"0"/""/null/"0:00" -> 0.0 (the caller decides DNP). Range checks are the caller's.
    """
    if value is None:
        return 0.0
    if isinstance(value, bool):  # bool is an int subclass; True minutes is a type error, not 1.0
        return None
    if isinstance(value, (int, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return 0.0
    if _PLAIN_MINUTES.fullmatch(s):
        return float(s)
    if m := _CLOCK_MINUTES.fullmatch(s):
        return round(int(m[1]) + int(m[2]) / 60, 2)
    if m := _ISO_MINUTES.fullmatch(s):
        secs = float(m[2])
        return round(int(m[1]) + secs / 60, 2) if secs < 60 else None
    return None


def to_american_odds(price: Any) -> float:
    """A price as American odds. |price| >= 100 is American already; 1 < price < 100 is decimal.

    Decimal 1.91 -> -109.89; 2.5 -> +150.0; 2.0 -> +100.0. Raises ValueError for anything else
    (American odds never lie strictly between -100 and +100; decimal odds are always > 1).
    """
    american = _american(price)
    if american is None:
        raise ValueError(f"price {price!r} is neither American nor decimal odds")
    return american


def _american(price: Any) -> float | None:
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price):
        return None
    p = float(price)
    if p >= 100 or p <= -100:
        return p
    if 1 < p < 100:
        return round((p - 1) * 100, 2) if p >= 2 else round(-100 / (p - 1), 2)
    return None


