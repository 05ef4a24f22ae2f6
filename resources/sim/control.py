"""Operator controls of the simulated league, kept in its state dir so every process sees them.

- The sim clock (clock.json, see clock.py).
- Source outages (outages.json): [{source, start, end}]. While the sim clock is inside a window,
  every request to that source answers 503 (the production incident: a source down for a whole day).
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
OUTAGES_FILE = "outages.json"
OUTAGE_SOURCES = ("bdl", "nbacom", "oddsapi", "sportsdataio")


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


def outages(state_dir: Path | None) -> list[tuple[str, datetime, datetime]]:
    """(source, start, end) of every outage window (empty without a state dir)."""
    if state_dir is None:
        return []
    f = Path(state_dir) / OUTAGES_FILE
    if not f.exists():
        return []
    return [(o["source"], parse_ts(o["start"]), parse_ts(o["end"])) for o in json.loads(f.read_text())]


def add_outage(state_dir: Path, source: str, start: datetime, end: datetime) -> None:
    """Take `source` down (every request answers 503) while the sim clock is in [start, end)."""
    if source not in OUTAGE_SOURCES:
        raise ValueError(f"source {source!r} is not one of {OUTAGE_SOURCES}")
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise ValueError("an outage needs timezone-aware start < end")
    current = [{"source": s, "start": a.isoformat(), "end": b.isoformat()} for s, a, b in outages(state_dir)]
    current.append({"source": source, "start": start.isoformat(), "end": end.isoformat()})
    _write_json(Path(state_dir) / OUTAGES_FILE, current)


def clear_outages(state_dir: Path) -> None:
    (Path(state_dir) / OUTAGES_FILE).unlink(missing_ok=True)


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


def due_releases(pending: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """The rows of `pending` (with the game's `tipoff_utc`) whose game is final by `now`: boxscores that
    are late now, not those of games still to be played (a seeded fault's game may be weeks away). A
    game whose tip-off is unknown is kept."""
    from resources.sim.faults import GAME_LENGTH

    return pending.filter(pl.col("tipoff_utc").is_null() | (pl.col("tipoff_utc") + GAME_LENGTH <= now))


def _write(path: Path, payload: dict) -> None:
    _write_json(path, payload)


def _write_json(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, sort_keys=True))
    os.replace(tmp, path)
