"""The `nba-lake` entry point: checks a backfill's date range BEFORE importing Dagster.

Importing Dagster, pandera and polars takes seconds; a range that can only fail (before the first
partition, after today, end before start), or one longer than a season without --yes, is refused at
once with one line and nothing fetched or written. Everything else goes on to the full CLI (`nba_assets.cli.commands`), which checks the same range
again with the same rule (`range_refusal`) against the real partitions and the sources' clock.
Standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from nba_assets.history import FIRST_GAME_DATE_VAR, first_game_date
from resources.settings import sim_state_dir

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_ET = ZoneInfo("America/New_York")


def range_refusal(d0: dt.date, d1: dt.date, first: dt.date, last: dt.date, clock: str) -> tuple[str, str] | None:
    """(message, hint) when a backfill of d0..d1 cannot run; None when it may."""
    if d1 < d0:
        return f"--end {d1} is before --start {d0}", "swap them"
    if d0 < first:
        return (
            f"--start {d0} is before the first partition {first}",
            f"use --start {first} or later (export {FIRST_GAME_DATE_VAR}=<date> to hold earlier history)",
        )
    if d1 > last:
        return (
            f"--end {d1} is in the future: the last game day is today, {last} ({clock}); "
            "nothing was fetched or written",
            f"use --end {last} or earlier",
        )
    return None


# A backfill of more days than this is refused without --yes (nba_assets/cli/range_scope.py says why).
MAX_RANGE_DAYS = 366


def length_refusal(d0: dt.date, d1: dt.date) -> tuple[str, str] | None:
    """(message, hint) when d0..d1 is longer than one season; None otherwise."""
    days = (d1 - d0).days + 1
    if days <= MAX_RANGE_DAYS:
        return None
    return (
        f"{d0}..{d1} is {days:,} days, longer than one season ({MAX_RANGE_DAYS} days); "
        "nothing was fetched or written",
        "backfill one season at a time, or pass --yes to run the whole range",
    )


def sources_now(strict: bool = False) -> tuple[dt.datetime, str]:
    """The sources' 'now' and its name: the sim clock in sim mode (NBA_LAKE_SIM_NOW, else
    <sim state dir>/clock.json, else the wall clock; the precedence of resources.sim.clock.SimClock),
    the wall clock otherwise. A malformed clock falls back to the wall clock (the full CLI reports it),
    or with `strict` raises ValueError, as the sim clock itself does."""
    wall = dt.datetime.now(dt.UTC)
    if os.environ.get("NBA_LAKE_SOURCE", "sim") != "sim":
        return wall, "US-Eastern time"
    text = os.environ.get("NBA_LAKE_SIM_NOW", "").strip()
    if not text:
        state_dir = sim_state_dir()
        if state_dir is None:
            return wall, "the sim clock"
        clock_file = Path(state_dir) / "clock.json"
        try:
            text = json.loads(clock_file.read_text())["now"]
        except OSError:
            return wall, "the sim clock"
        except (ValueError, KeyError, TypeError) as exc:
            if strict:
                raise ValueError(f"{clock_file}: {type(exc).__name__}: {exc}") from None
            return wall, "the sim clock"
    try:
        ts = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        if strict:
            raise
        return wall, "the sim clock"  # the full CLI reports the malformed clock
    return (ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)), "the sim clock"


def sources_today() -> dt.date:
    """Today's game date (ET) on the sources' clock, as `SourcesResource.today()` gives it (not capped
    at the wall clock's today); ValueError for a malformed sim clock."""
    return sources_now(strict=True)[0].astimezone(_ET).date()


def last_game_date() -> tuple[dt.date, str]:
    """Today's game date (ET) on the sources' clock, never after today by the wall clock (the last
    `game_dates` partition)."""
    now, clock = sources_now()
    wall_today = dt.datetime.now(_ET).date()
    return min(now.astimezone(_ET).date(), wall_today), clock


def _option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def backfill_refusal(argv: list[str]) -> tuple[str, str] | None:
    """The refusal for `nba-lake backfill ...` arguments, or None (also for anything it cannot parse:
    the full CLI reports those)."""
    if "backfill" not in argv or "--help" in argv:
        return None
    try:
        d0 = dt.date.fromisoformat((_option(argv, "--start") or "").strip())
        d1 = dt.date.fromisoformat((_option(argv, "--end") or "").strip())
        first = first_game_date()
    except ValueError:
        return None
    last, clock = last_game_date()
    refusal = range_refusal(d0, d1, first, last, clock)
    if refusal is None and "--yes" not in argv:
        refusal = length_refusal(d0, d1)
    return refusal


def main() -> None:
    refusal = backfill_refusal(sys.argv[1:])
    if refusal is not None:
        message, hint = refusal
        print(f"error: {message}\nhint: {hint}", file=sys.stderr)
        sys.exit(2)
    from nba_assets.cli.commands import run

    run()
