"""What a backfill's range would find, asked before anything is fetched or written.

A range longer than one season, or one in which a season finds no game at all (an empty landing zone
in landing mode, seasons the source has no schedule for), would write an empty file per table and day
and a run's worth of Dagster history for nothing (five years over an empty landing zone: ~24k empty
files and ~1.3 GB of history). `nba-lake backfill` refuses such a range and says
why; `--yes` runs it anyway. The length rule is `preflight.length_refusal` (standard library: the
entry point applies it before importing Dagster).

The games are counted where the run would read them: the landed schedule bodies in landing mode, the
source's season schedule otherwise (one request per season, not landed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from resources.clients import season_label, season_year_of


@dataclass(frozen=True)
class SeasonPart:
    season: int  # season_year (start year)
    start: dt.date
    end: dt.date
    games: int | None = None  # games the schedule lists in start..end; None when it could not be read
    why: str = ""  # where the count comes from, or why it is missing

    @property
    def label(self) -> str:
        return f"{season_label(self.season)} ({self.start}..{self.end})"


def season_parts(d0: dt.date, d1: dt.date) -> list[SeasonPart]:
    """The range cut at each season's rollover (September 1st, as `season_year_of`)."""
    parts, start = [], d0
    while start <= d1:
        season = season_year_of(start)
        end = min(d1, dt.date(season + 1, 8, 31))
        parts.append(SeasonPart(season, start, end))
        start = end + dt.timedelta(days=1)
    return parts


def games_refusal(d0: dt.date, d1: dt.date, parts: list[SeasonPart]) -> tuple[str, str] | None:
    """(message, hint) when a season of the range finds no game; None when every season finds some."""
    empty = [p for p in parts if not p.games]
    if not empty:
        return None
    seasons = "; ".join(f"{p.label}: {p.why}" for p in empty)
    return (
        f"{d0}..{d1} finds no games in {len(empty)} of its {len(parts)} season(s) ({seasons}); "
        "nothing was fetched or written",
        "check the dates and NBA_LAKE_SOURCE (landing mode replays only what was landed), "
        "or pass --yes to write those days empty",
    )


def count_games(sources, parts: list[SeasonPart]) -> list[SeasonPart]:
    """Each part with the games its schedule lists (the landed schedule in landing mode, else the
    source's schedule, not landed)."""
    from resources.http import SourceError
    from resources.parsers import parse_nbacom_schedule

    out = []
    for p in parts:
        days = {p.start + dt.timedelta(days=i) for i in range((p.end - p.start).days + 1)}
        if not sources.fetching_enabled:
            bodies = _landed_schedules(sources.landing(), p)
            if not bodies:
                out.append(SeasonPart(p.season, p.start, p.end, 0, "no schedule landed for these days"))
                continue
            why = "the landed schedule lists none on these days"
        else:
            try:
                bodies = [sources.nbacom().probe_schedule(p.season)]
            except ValueError as exc:  # a 200 whose body is not JSON
                out.append(SeasonPart(p.season, p.start, p.end, None, f"its schedule could not be read: {exc}"))
                continue
            except SourceError as exc:
                known = exc.last_status is not None and 400 <= exc.last_status < 500
                out.append(SeasonPart(p.season, p.start, p.end, 0 if known else None,
                                      f"the source has no schedule for it (HTTP {exc.last_status})" if known
                                      else f"its schedule could not be read: {exc}"))
                continue
            why = "the source's schedule lists none on these days"
        games = set()
        for body in bodies:
            rows = parse_nbacom_schedule(body, "schedule", game_dates=days).rows
            games |= set(rows["game_id"].to_list())
        out.append(SeasonPart(p.season, p.start, p.end, len(games), why if not games else ""))
    return out


def _landed_schedules(landing, part: SeasonPart) -> list:
    """The distinct schedule bodies landed under the days of `part` (one season body is landed under
    every day it was fetched for: each is read once)."""
    folder = landing.root / "nbacom" / "schedule"
    if not folder.exists():
        return []
    seen, bodies = set(), []
    for day in sorted(folder.iterdir(), key=lambda p: p.name):
        try:
            d = dt.date.fromisoformat(day.name)
        except ValueError:
            continue
        if not part.start <= d <= part.end:
            continue
        for f in landing.files("nbacom", "schedule", d):
            if f.name not in seen:
                seen.add(f.name)
                try:
                    bodies.append(landing.read_json(f))
                except ValueError:  # a poisoned body: the run quarantines it; it lists no game here
                    continue
    return bodies


def scope_refusal(d0: dt.date, d1: dt.date) -> tuple[str, str] | None:
    """The refusal of a backfill of d0..d1 without --yes: too long, or a season with no games."""
    from nba_assets.cli.preflight import length_refusal
    from resources.env import resources_for

    refusal = length_refusal(d0, d1)
    if refusal is not None:
        return refusal
    return games_refusal(d0, d1, count_games(resources_for()["sources"], season_parts(d0, d1)))
