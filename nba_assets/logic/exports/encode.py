"""One document -> its bytes: the same dict always gives the same bytes (re-runs are byte-identical)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

# The layout version in every path (`exports/v1/...`) and the `schema_version` in every document. A
# breaking change (a field removed, renamed or retyped) is v2, written beside v1 until v1 is removed on
# purpose; adding an optional field is not breaking.
VERSION = "v1"
SCHEMA_VERSION = 1
# Figures are rounded so that float noise from a different summation order cannot change the bytes.
DECIMALS = 4


_AS_IS = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON value for `value`: datetimes as UTC ISO 8601 with Z, dates as ISO, floats rounded, NaN null."""
    if type(value) in _AS_IS:  # most values of a document: answered before the isinstance chain
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in a document: times must be UTC")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        r = round(value, DECIMALS)
        return 0.0 if r == 0 else r  # no "-0.0"
    return value


def encode(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON in the document's own key order, one trailing newline."""
    return (json.dumps(plain(document), ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode()
