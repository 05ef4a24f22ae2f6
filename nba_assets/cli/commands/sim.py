"""`nba-lake sim ...`: drive the simulated league's clock and its late boxscores."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nba_assets import tables
from nba_assets.cli.commands import common as c


def _sim_env():
    """(settings, state_dir, clock) for the sim commands; refuses outside sim mode."""
    from resources.sim.clock import SimClock

    s = c.cli_settings()
    if s.source != "sim":
        raise c.CliError(
            f"the sim commands drive the simulated league, but NBA_LAKE_SOURCE={s.source}",
            "unset NBA_LAKE_SOURCE (or set it to sim) to use them",
        )
    if s.sim_state_dir is None:
        raise c.CliError(f"the sim keeps its clock on local disk; NBA_LAKE_DATA_DIR={s.data_dir} is not local",
                       "set NBA_LAKE_SIM_STATE_DIR to a local folder every process of the deployment sees")
    state_dir = Path(s.sim_state_dir)
    return s, state_dir, SimClock(state_dir)


def _clock_now(clock) -> dt.datetime:
    try:
        return clock.now()
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise c.CliError(f"cannot read the sim clock: {exc}", "nba-lake sim reset (or fix NBA_LAKE_SIM_NOW)") from exc


def _clock_source(clock) -> str:
    from resources.sim.clock import ENV_VAR

    if os.environ.get(ENV_VAR):
        return f"env {ENV_VAR} (overrides {clock.state_dir / 'clock.json'})"
    f = clock.state_dir / "clock.json"
    if f.exists():
        return f"override file {f}"
    return "real clock (no override)"


def _refuse_env_override() -> None:
    from resources.sim.clock import ENV_VAR

    if os.environ.get(ENV_VAR):
        raise c.CliError(
            f"{ENV_VAR}={os.environ[ENV_VAR]} is set and wins over the clock file this command writes",
            f"unset {ENV_VAR} to drive the sim clock with `nba-lake sim`",
        )


def _et_date(ts: dt.datetime) -> dt.date:
    from nba_assets.partitions import game_date_of

    return game_date_of(ts)


def _fmt_ts(ts: dt.datetime) -> str:
    from nba_assets.partitions import ET

    return f"{ts.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC ({ts.astimezone(ET):%a %m-%d %H:%M} ET)"


def _league(s):
    from resources.sources import _sim_league

    return _sim_league(s.sim_seed)


def _games(league, now: dt.datetime):
    """Schedule rows of the current and previous simulated seasons (game_id, date, teams)."""
    import polars as pl

    season = league.season_of(_et_date(now))
    frames = []
    for y in (season, season - 1 if season else None):
        if y is None:
            continue
        try:
            frames.append(league.schedule(y).select("game_id", "game_date", "home_team", "away_team", "tipoff_utc"))
        except Exception:  # a season the league does not simulate
            continue
    if not frames:
        return pl.DataFrame(schema={"game_id": pl.Utf8, "game_date": pl.Date, "home_team": pl.Utf8,
                                    "away_team": pl.Utf8, "tipoff_utc": pl.Datetime("us", "UTC")})
    return pl.concat(frames)


def _pending(s, state_dir, clock, due: bool = False):
    """The late boxscores not released yet; with `due`, only those of games final by now."""
    import polars as pl

    from resources.sim.control import due_releases, pending_releases

    league = _league(s)
    pending = pending_releases(league, clock, state_dir)
    games = _games(league, _clock_now(clock))
    out = (
        pending.join(games, on="game_id", how="left", suffix="_sched")
        .with_columns(pl.coalesce("game_date", "game_date_sched").alias("game_date"))
        .drop("game_date_sched")
        .sort("release_ts", "game_id")
    )
    return due_releases(out, _clock_now(clock)) if due else out


def _pending_table(pending, now: dt.datetime) -> Table:
    t = Table(expand=False)
    for col in ("game_id", "game_date", "matchup", "released at", "in", "why"):
        t.add_column(col, no_wrap=True)
    for r in pending.iter_rows(named=True):
        matchup = f"{r['away_team']} @ {r['home_team']}" if r.get("home_team") else ""
        t.add_row(r["game_id"], str(r["game_date"] or ""), matchup, _fmt_ts(r["release_ts"]),
                  c.age_text((r["release_ts"] - now).total_seconds()), r["why"])
    return t


@c.sim_app.command("status")
def sim_status() -> None:
    """The sim clock, where it comes from, and the late boxscores of final games it has not released yet."""
    s, state_dir, clock = _sim_env()
    now = _clock_now(clock)
    c.console.print(f"sim clock: {_fmt_ts(now)}  ·  game date {_et_date(now)}")
    c.console.print(f"source:    {_clock_source(clock)}")
    every = _pending(s, state_dir, clock)
    pending = _pending(s, state_dir, clock, due=True)
    later = every.height - pending.height
    ahead = f"; {later} more for games not final yet" if later else ""
    if pending.height == 0:
        c.console.print(f"pending late boxscores: none{ahead}")
        return
    c.console.print(f"pending late boxscores: {pending.height} of games already final{ahead} "
                    "(next: `nba-lake sim release-late`)")
    c.console.print(_pending_table(pending, now))


@c.sim_app.command("advance")
def sim_advance(
    to: Annotated[str | None, typer.Option("--to", help="ISO timestamp (Z/offset; naive = UTC)")] = None,
    hours: Annotated[float | None, typer.Option("--hours", help="hours to move forward from the sim now")] = None,
) -> None:
    """Move the sim clock (persisted in <sim state dir>/clock.json, seen by every process)."""
    from resources.sim.clock import parse_ts

    if (to is None) == (hours is None):
        raise c.CliError("give exactly one of --to <ISO timestamp> or --hours <H>",
                       "e.g. nba-lake sim advance --hours 6")
    s, state_dir, clock = _sim_env()
    _refuse_env_override()
    now = _clock_now(clock)
    if to is not None:
        try:
            target = parse_ts(to)
        except ValueError as exc:
            raise c.CliError(f"--to {to!r} is not an ISO timestamp", "e.g. 2025-12-09T17:00Z") from exc
    else:
        if hours <= 0:
            raise c.CliError(f"--hours {hours:g} must be positive", "use --to to set an earlier time explicitly")
        target = now + dt.timedelta(hours=hours)
    clock.set(target)
    delta = (target - now).total_seconds()
    direction = "forward" if delta >= 0 else "BACK"
    c.console.print(f"sim clock: {_fmt_ts(now)} -> {_fmt_ts(target)}  ({direction} {c.age_text(abs(delta))})")
    released = _released_between(s, state_dir, now, target) if delta > 0 else []
    for line in released:
        c.console.print(f"released: {line}")


def _released_between(s, state_dir, before: dt.datetime, after: dt.datetime) -> list[str]:
    """Late boxscores whose release time fell in (before, after]."""
    from resources.sim.clock import SimClock

    pending = _pending(s, state_dir, SimClock(state_dir, fixed=before))
    hit = pending.filter(pending["release_ts"] <= after)
    return [
        f"{r['game_id']} ({r['game_date']}, {r['away_team']} @ {r['home_team']}) at {_fmt_ts(r['release_ts'])} "
        f"— {r['why']}"
        for r in hit.iter_rows(named=True)
    ]


@c.sim_app.command("reset")
def sim_reset(
    withheld: Annotated[bool, typer.Option("--withheld", help="also release every operator-withheld game")] = False,
    outages: Annotated[bool, typer.Option("--outages", help="also end every source outage")] = False,
) -> None:
    """Remove the clock override: the sim follows the real clock again."""
    from resources.sim.control import clear_outages, clear_withheld

    _, state_dir, clock = _sim_env()
    _refuse_env_override()
    had = (state_dir / "clock.json").exists()
    clock.reset()
    c.console.print(("removed the clock override; " if had else "no clock override was set; ")
                  + f"sim clock: {_fmt_ts(_clock_now(clock))}")
    if withheld:
        clear_withheld(state_dir)
        c.console.print("cleared the withheld games")
    if outages:
        clear_outages(state_dir)
        c.console.print("ended every source outage")


@c.sim_app.command("release-late")
def sim_release_late() -> None:
    """Advance the clock just past the earliest pending late-boxscore release of a final game."""
    s, state_dir, clock = _sim_env()
    _refuse_env_override()
    now = _clock_now(clock)
    pending = _pending(s, state_dir, clock, due=True)
    if pending.height == 0:
        c.console.print(f"no late boxscores of final games pending at {_fmt_ts(now)}; the clock is unchanged")
        return
    target = pending["release_ts"][0] + dt.timedelta(seconds=1)
    clock.set(target)
    c.console.print(f"sim clock: {_fmt_ts(now)} -> {_fmt_ts(target)}  (forward {c.age_text((target - now).total_seconds())})")
    for line in _released_between(s, state_dir, now, target):
        c.console.print(f"released: {line}")
    c.console.print("[dim]the late_boxscore_sensor re-ingests those days on its next tick (nba-lake ui), or: "
                  "nba-lake backfill --start D --end D --select raw[/dim]")


@c.sim_app.command("withhold")
def sim_withhold(
    game: Annotated[str, typer.Option("--game", help="NBA game id, e.g. 0022500350 (see raw.schedule)")],
    hours: Annotated[float, typer.Option("--hours", help="hold its boxscore back this many hours of sim time")],
) -> None:
    """Withhold one game's boxscore from both sources until the sim clock passes now + H."""
    from resources.sim.control import withhold

    s, state_dir, clock = _sim_env()
    if hours <= 0:
        raise c.CliError(f"--hours {hours:g} must be positive", "e.g. --hours 18")
    now = _clock_now(clock)
    games = _games(_league(s), now)
    row = games.filter(games["game_id"] == game.strip())
    if row.height == 0:
        raise c.CliError(f"no game {game!r} in the simulated league's current or previous season",
                       "game ids look like 0022500350; list them: nba-lake sql \"select game_id, game_date, "
                       f"home_team, away_team from {tables.SCHEDULE.view} order by 2 desc limit 20;\"")
    r = row.row(0, named=True)
    until = now + dt.timedelta(hours=hours)
    withhold(state_dir, r["game_id"], until)
    c.console.print(f"withheld {r['game_id']} ({r['game_date']}, {r['away_team']} @ {r['home_team']}) "
                  f"until {_fmt_ts(until)}")


@c.sim_app.command("outage")
def sim_outage(
    source: Annotated[str, typer.Option("--source", help="bdl, nbacom, oddsapi or sportsdataio")],
    hours: Annotated[float, typer.Option("--hours", help="how long the source is down (sim time)")] = 24.0,
    start: Annotated[str | None, typer.Option("--start", help="ISO start (default: now on the sim clock)")] = None,
) -> None:
    """Take one source down (503 to every request) for H hours of sim time, e.g. a whole day."""
    from resources.sim.clock import parse_ts
    from resources.sim.control import OUTAGE_SOURCES, add_outage

    _s, state_dir, clock = _sim_env()
    if source not in OUTAGE_SOURCES:
        raise c.CliError(f"--source {source!r} is not one of {', '.join(OUTAGE_SOURCES)}", "e.g. --source bdl")
    if hours <= 0:
        raise c.CliError(f"--hours {hours:g} must be positive", "e.g. --hours 24")
    try:
        begin = parse_ts(start) if start else _clock_now(clock)
    except ValueError as exc:
        raise c.CliError(f"--start {start!r} is not a timestamp", "e.g. --start 2025-12-08T05:00Z") from exc
    end = begin + dt.timedelta(hours=hours)
    add_outage(state_dir, source, begin, end)
    c.console.print(f"{source} answers 503 to every request from {_fmt_ts(begin)} to {_fmt_ts(end)} (sim clock)")


@c.sim_app.command("quota")
def sim_quota(
    remaining: Annotated[int, typer.Option("--remaining", min=0, help="credits the simulated Odds API key has left")],
) -> None:
    """Set the simulated Odds API's remaining quota (e.g. low, to see the quota alert fire)."""
    from resources.sim.quota import set_remaining

    _s, state_dir, _clock = _sim_env()
    state = set_remaining(state_dir, remaining)
    c.console.print(f"the simulated Odds API has {remaining:,} credits left ({state['used']:,} used); "
                    "each response reports it in x-requests-remaining")
