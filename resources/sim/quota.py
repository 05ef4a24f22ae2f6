"""The simulated Odds API's usage quota: every request is charged what the real API charges and answered
with its `x-requests-used / -remaining / -last` headers; a request the quota cannot pay for gets the
real API's 401 OUT_OF_USAGE_CREDITS.

The count lives in the sim's state dir (`odds_quota.json`, shared by every process of a deployment) or,
without one, in the server. `nba-lake sim quota --remaining N` sets it low to replay a quota running out.
"""

from __future__ import annotations

import json
from pathlib import Path

from resources.quota import read_record, update_record, write_record

QUOTA_FILE = "odds_quota.json"
# A large paid plan: a three-season replay (~450k credits of props walks, ~300k of game lines) stays well inside it.
DEFAULT_LIMIT = 20_000_000
OUT_OF_CREDITS = {"message": "Usage quota has been reached", "error_code": "OUT_OF_USAGE_CREDITS"}


def read(state_dir: Path | None, memory: dict[str, int]) -> dict[str, int]:
    """{"limit", "used"}: the state file's, else the in-memory count (first use: DEFAULT_LIMIT, 0)."""
    if state_dir is not None:
        return _parse(read_record(Path(state_dir) / QUOTA_FILE))
    return dict(memory.setdefault("state", {"limit": DEFAULT_LIMIT, "used": 0}))


def write(state_dir: Path | None, memory: dict, state: dict[str, int]) -> None:
    if state_dir is None:
        memory["state"] = state
        return
    write_record(Path(state_dir) / QUOTA_FILE, json.dumps(state, sort_keys=True))


def charge(state_dir: Path | None, memory: dict, cost: int) -> dict[str, str] | None:
    """Charge `cost` credits; the response headers, or None when the quota cannot pay for it. With a
    state dir, the read, the check and the write hold the file's lock: concurrent processes (a
    deployment's run workers) are charged one after the other, none lost."""

    def pay(state: dict[str, int]) -> tuple[dict[str, int] | None, dict[str, str] | None]:
        if state["limit"] - state["used"] < cost:
            return None, None
        state["used"] += cost
        return state, headers(state, cost)

    if state_dir is None:
        state, out = pay(read(None, memory))
        if state is not None:
            memory["state"] = state
        return out

    def pay_file(old: str | None) -> tuple[str | None, dict[str, str] | None]:
        state, out = pay(_parse(old))
        return (None if state is None else json.dumps(state, sort_keys=True)), out

    return update_record(Path(state_dir) / QUOTA_FILE, pay_file)


def _parse(text: str | None) -> dict[str, int]:
    """The state a file holds; no file or an unreadable one: DEFAULT_LIMIT, none used."""
    try:
        state = json.loads(text) if text else None
        return {"limit": int(state["limit"]), "used": int(state["used"])}
    except (ValueError, KeyError, TypeError):
        return {"limit": DEFAULT_LIMIT, "used": 0}


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
