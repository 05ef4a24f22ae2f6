"""The simulated Odds API's usage quota: every request is charged what the real API charges and answered
with its `x-requests-used / -remaining / -last` headers; a request the quota cannot pay for gets the
real API's 401 OUT_OF_USAGE_CREDITS.

The count lives in the sim's state dir (`odds_quota.json`, shared by every process of a deployment) or,
without one, in the server. `nba-lake sim quota --remaining N` sets it low to replay a quota running out.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

QUOTA_FILE = "odds_quota.json"
# A large paid plan: a three-season replay (~450k credits of props walks, ~300k of game lines) stays well inside it.
DEFAULT_LIMIT = 20_000_000
OUT_OF_CREDITS = {"message": "Usage quota has been reached", "error_code": "OUT_OF_USAGE_CREDITS"}


def read(state_dir: Path | None, memory: dict[str, int]) -> dict[str, int]:
    """{"limit", "used"}: the state file's, else the in-memory count (first use: DEFAULT_LIMIT, 0)."""
    if state_dir is not None:
        f = Path(state_dir) / QUOTA_FILE
        if f.exists():
            try:
                state = json.loads(f.read_text())
                return {"limit": int(state["limit"]), "used": int(state["used"])}
            except (ValueError, KeyError, TypeError):
                pass
        return {"limit": DEFAULT_LIMIT, "used": 0}
    return dict(memory.setdefault("state", {"limit": DEFAULT_LIMIT, "used": 0}))


def write(state_dir: Path | None, memory: dict, state: dict[str, int]) -> None:
    if state_dir is None:
        memory["state"] = state
        return
    f = Path(state_dir) / QUOTA_FILE
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # threads of a run write too
    tmp.write_text(json.dumps(state, sort_keys=True))
    tmp.replace(f)


def charge(state_dir: Path | None, memory: dict, cost: int) -> dict[str, str] | None:
    """Charge `cost` credits; the response headers, or None when the quota cannot pay for it."""
    state = read(state_dir, memory)
    if state["limit"] - state["used"] < cost:
        return None
    state["used"] += cost
    write(state_dir, memory, state)
    return headers(state, cost)


def headers(state: dict[str, int], last: int) -> dict[str, str]:
    return {"x-requests-used": str(state["used"]), "x-requests-remaining": str(state["limit"] - state["used"]),
            "x-requests-last": str(last)}


def set_remaining(state_dir: Path, remaining: int) -> dict[str, int]:
    """Leave `remaining` credits (the used count is kept); returns the new state."""
    if remaining < 0:
        raise ValueError("remaining credits cannot be negative")
    state = read(state_dir, {})
    state["limit"] = state["used"] + remaining
    write(state_dir, {}, state)
    return state
