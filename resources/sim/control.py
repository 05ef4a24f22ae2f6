"""Operator controls of the simulated league, kept in its state dir so every process sees them.

- The sim clock (clock.json, see clock.py).
- Withheld boxscores (withheld.json): {game_id: release_ts}. A withheld final game's boxscore is
  answered by neither source until the sim clock passes its release time, exactly like the seeded
  late-boxscore faults, but for any game an operator picks (the late-boxscore scenario uses it on
  yesterday's games, inside automation's lookback).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import polars as pl

from resources.sim.clock import SimClock, parse_ts
from resources.sim.league import SimLeague

WITHHELD_FILE = "withheld.json"


def withheld(state_dir: Path | None) -> dict[str, datetime]:
    """game_id -> release time of the operator-withheld boxscores (empty without a state dir)."""
    if state_dir is None:
        return {}
    f = Path(state_dir) / WITHHELD_FILE
    if not f.exists():
        return {}
    return {gid: parse_ts(ts) for gid, ts in json.loads(f.read_text()).items()}


def withhold(state_dir: Path, game_id: str, until: datetime) -> None:
    """Withhold `game_id`'s boxscore from both sources until `until` (sim clock)."""
    if until.tzinfo is None:
        raise ValueError("release time must be timezone-aware")
    current = {gid: ts.isoformat() for gid, ts in withheld(state_dir).items()}
    current[game_id] = until.isoformat()
    _write(Path(state_dir) / WITHHELD_FILE, current)


def clear_withheld(state_dir: Path) -> None:
    f = Path(state_dir) / WITHHELD_FILE
    if f.exists():
        f.unlink()


def pending_releases(league: SimLeague, clock: SimClock, state_dir: Path | None) -> pl.DataFrame:
    """Late boxscores (seeded faults and withheld games) not yet released on the sim clock."""
    now = clock.now()
    season = league.season_of(now.date())
    rows = []
    seasons = [s for s in (season, season - 1 if season else None) if s is not None]
    for s in seasons:
        late = league.faults(s).filter(pl.col("kind") == "late_boxscore")
        for r in late.iter_rows(named=True):
            if r["release_ts"] is not None and r["release_ts"] > now:
                rows.append({"game_id": r["game_id"], "game_date": r["game_date"], "release_ts": r["release_ts"],
                             "why": "seeded late-boxscore fault"})
    for gid, ts in withheld(state_dir).items():
        if ts > now:
            rows.append({"game_id": gid, "game_date": None, "release_ts": ts, "why": "withheld by operator"})
    schema = {"game_id": pl.Utf8, "game_date": pl.Date, "release_ts": pl.Datetime("us", "UTC"), "why": pl.Utf8}
    return pl.DataFrame(rows, schema=schema).sort("release_ts")


def _write(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, sort_keys=True))
    os.replace(tmp, path)
