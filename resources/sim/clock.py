"""The sim clock: the single notion of "now" that decides what the simulated sources have published."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

ENV_VAR = "NBA_LAKE_SIM_NOW"
CLOCK_FILE = "clock.json"


def _as_utc(ts: datetime) -> datetime:
    # A naive timestamp is taken as UTC rather than local time so results never depend on the host TZ.
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def parse_ts(text: str) -> datetime:
    """ISO 8601 (with `Z`, an offset, or naive = UTC) -> tz-aware UTC datetime."""
    return _as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


class SimClock:
    """Precedence: `fixed` > env NBA_LAKE_SIM_NOW > <state_dir>/clock.json > real now."""

    def __init__(self, state_dir: Path | None = None, fixed: datetime | None = None):
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.fixed = _as_utc(fixed) if fixed is not None else None

    @property
    def _file(self) -> Path | None:
        return self.state_dir / CLOCK_FILE if self.state_dir is not None else None

    def now(self) -> datetime:
        if self.fixed is not None:
            return self.fixed
        env = os.environ.get(ENV_VAR)
        if env:
            return parse_ts(env)
        f = self._file
        if f is not None and f.exists():
            return parse_ts(json.loads(f.read_text())["now"])
        return datetime.now(UTC)

    def set(self, ts: datetime) -> None:
        """Persist an override so other processes (sensors, runs) see the same 'now'."""
        f = self._file
        if f is None:
            raise ValueError("SimClock.set needs a state_dir to persist the override")
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps({"now": _as_utc(ts).isoformat()}))
        tmp.replace(f)

    def reset(self) -> None:
        f = self._file
        if f is not None:
            f.unlink(missing_ok=True)
