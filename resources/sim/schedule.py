"""The regular-season calendar and schedule: who plays whom, when, and the games' ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

from nba_assets.partitions import ET
from resources.sim.config import rng_for
from resources.teams import TEAMS

N_TEAMS = len(TEAMS)
GAMES_PER_TEAM = 82


@dataclass(frozen=True)
class SeasonCalendar:
    season_year: int
    opening: date
    last_day: date
    all_star: tuple[date, date]  # inclusive break with no games

    def thanksgiving(self) -> date:
        first = date(self.season_year, 11, 1)
        first_thu = first + timedelta(days=(3 - first.weekday()) % 7)
        return first_thu + timedelta(weeks=3)

    def christmas(self) -> date:
        return date(self.season_year, 12, 25)

    def play_dates(self) -> list[date]:
        """Every date games may be played on (no All-Star break, Thanksgiving, Christmas Eve)."""
        off = {self.thanksgiving(), date(self.season_year, 12, 24)}
        out, d = [], self.opening
        while d <= self.last_day:
            if not (self.all_star[0] <= d <= self.all_star[1]) and d not in off:
                out.append(d)
            d += timedelta(days=1)
        return out


CALENDARS: dict[int, SeasonCalendar] = {
    2023: SeasonCalendar(2023, date(2023, 10, 24), date(2024, 4, 14), (date(2024, 2, 16), date(2024, 2, 21))),
    2024: SeasonCalendar(2024, date(2024, 10, 22), date(2025, 4, 13), (date(2025, 2, 14), date(2025, 2, 19))),
    2025: SeasonCalendar(2025, date(2025, 10, 21), date(2026, 4, 12), (date(2026, 2, 13), date(2026, 2, 18))),
    2026: SeasonCalendar(2026, date(2026, 10, 20), date(2027, 4, 11), (date(2027, 2, 12), date(2027, 2, 17))),
}


def calendar_for(season_year: int) -> SeasonCalendar:
    if season_year not in CALENDARS:
        raise ValueError(f"the simulated league has no calendar for season {season_year}")
    return CALENDARS[season_year]


def matchups(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """1,230 (home, away) team-index pairs: each team 82 games, 41 at home.

    Every pair meets twice (home and away) = 58 games; within a conference a circulant design adds
    24 more (offsets 1..12 on a ring of 15, so each team gets 12 extra home and 12 extra away games).
    Division rivals sit 3 or 6 apart on the ring and so meet four times, like the real NBA.
    """
    home, away = [], []
    for i in range(N_TEAMS):
        for j in range(N_TEAMS):
            if i != j:
                home.append(i)
                away.append(j)
    for conf in ("East", "West"):
        members = [k for k, t in enumerate(TEAMS) if t.conference == conf]
        divisions = sorted({TEAMS[k].division for k in members})
        by_div = [[k for k in members if TEAMS[k].division == dv] for dv in divisions]
        for div in by_div:
            rng.shuffle(div)
        # Interleave divisions so index % 3 is the division: rivals are 3 or 6 apart on the ring.
        ring = [by_div[r % 3][r // 3] for r in range(15)]
        for pos in range(15):
            for offset in range(1, 13):
                home.append(ring[pos])
                away.append(ring[(pos + offset) % 15])
    return np.array(home), np.array(away)


# Relative slate size by weekday (Mon..Sun): the NBA avoids Thursdays, loads Wednesdays/Fridays.
_WEEKDAY_WEIGHT = np.array([0.95, 1.05, 1.25, 0.65, 1.15, 1.05, 0.8])


def assign_dates(
    cal: SeasonCalendar, home: np.ndarray, away: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Give every game a date: no team twice a day, never 3 days in a row, teams kept on pace.

    Greedy over dates: each day takes the games whose teams are most behind their pace
    (remaining games / remaining days), with a penalty for back-to-backs and for rematches soon after.
    """
    dates = cal.play_dates()
    n_games = len(home)
    remaining = np.ones(n_games, dtype=bool)
    game_date = np.full(n_games, -1)
    left = np.full(N_TEAMS, GAMES_PER_TEAM, dtype=float)
    last_played = np.full(N_TEAMS, -10_000)  # ordinal of the last date a team played
    streak = np.zeros(N_TEAMS, dtype=int)  # consecutive days played up to last_played
    pair_last = np.full((N_TEAMS, N_TEAMS), -10_000)
    weights = np.array([_WEEKDAY_WEIGHT[d.weekday()] for d in dates])
    for k, d in enumerate(dates):
        o = d.toordinal()
        n_left = int(remaining.sum())
        if n_left == 0:
            break
        days_left = len(dates) - k
        if k == 0:
            target = 2  # opening night: a double-header on national TV
        elif d == cal.christmas():
            target = 5
        elif d == cal.last_day:
            target = 15  # everyone plays the final day
        else:
            share = weights[k] / weights[k:].sum()
            target = int(np.clip(round(n_left * share + rng.normal(0, 1.2)), 2, 14))
        played_yday = last_played == o - 1
        blocked = played_yday & (streak >= 2)
        idx = np.flatnonzero(remaining)
        h, a = home[idx], away[idx]
        ok = ~blocked[h] & ~blocked[a]
        idx, h, a = idx[ok], h[ok], a[ok]
        urgency = left / max(days_left, 1)
        score = urgency[h] + urgency[a] + rng.normal(0, 0.08, len(idx))
        score -= 0.12 * (played_yday[h].astype(float) + played_yday[a])
        recent = (o - pair_last[h, a]) < 20
        score -= 0.25 * recent
        # Teams that must play nearly every remaining day get absolute priority.
        must = np.maximum(urgency[h], urgency[a]) > 0.62
        score += 2.0 * must
        busy = np.zeros(N_TEAMS, dtype=bool)
        picked = 0
        for j in np.argsort(-score, kind="stable"):
            if picked >= target:
                break
            th, ta = h[j], a[j]
            if busy[th] or busy[ta]:
                continue
            busy[th] = busy[ta] = True
            g = idx[j]
            remaining[g] = False
            game_date[g] = k
            picked += 1
        for t in np.flatnonzero(busy):
            streak[t] = streak[t] + 1 if last_played[t] == o - 1 else 1
            last_played[t] = o
            left[t] -= 1
        for j in np.flatnonzero(~remaining[idx] & (game_date[idx] == k)):
            pair_last[h[j], a[j]] = pair_last[a[j], h[j]] = o
    if remaining.any():
        _repair(dates, home, away, game_date, remaining, rng)
    return np.array([dates[k] for k in game_date])


def _repair(
    dates: list[date],
    home: np.ndarray,
    away: np.ndarray,
    game_date: np.ndarray,
    remaining: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Place games the greedy pass left over on any day both teams can take them."""
    played: list[set[int]] = [set() for _ in range(N_TEAMS)]
    for g in np.flatnonzero(~remaining):
        played[home[g]].add(game_date[g])
        played[away[g]].add(game_date[g])

    def fits(t: int, k: int) -> bool:
        s = played[t]
        if k in s:
            return False
        return not ({k - 2, k - 1} <= s or {k - 1, k + 1} <= s or {k + 1, k + 2} <= s)

    for g in np.flatnonzero(remaining):
        candidates = [k for k in range(1, len(dates)) if fits(home[g], k) and fits(away[g], k)]
        if not candidates:
            raise RuntimeError("schedule repair failed: no date fits a leftover game")
        # Prefer the lightest days so slates stay within 15 games.
        loads = np.bincount(game_date[game_date >= 0], minlength=len(dates))
        k = min(candidates, key=lambda c: (loads[c], c))
        game_date[g] = k
        remaining[g] = False
        played[home[g]].add(k)
        played[away[g]].add(k)


_PACIFIC = {"GSW", "LAC", "LAL", "POR", "SAC", "PHX"}
_MOUNTAIN = {"DEN", "UTA"}
_CENTRAL = {"CHI", "DAL", "HOU", "MEM", "MIL", "MIN", "NOP", "OKC", "SAS"}
_EVENING: dict[str, tuple[list[str], list[float]]] = {
    "pacific": (["22:00", "22:30", "21:00", "19:30"], [0.55, 0.25, 0.1, 0.1]),
    "mountain": (["21:00", "21:30", "22:00", "20:00"], [0.5, 0.2, 0.15, 0.15]),
    "central": (["20:00", "19:30", "20:30", "19:00"], [0.5, 0.25, 0.15, 0.1]),
    "eastern": (["19:00", "19:30", "20:00", "19:00"], [0.45, 0.4, 0.1, 0.05]),
}
_AFTERNOON = ["12:00", "13:00", "15:00", "15:30", "17:00", "18:00"]
_CHRISTMAS = ["12:00", "14:30", "17:00", "20:00", "22:30"]


def _zone(tricode: str) -> str:
    if tricode in _PACIFIC:
        return "pacific"
    if tricode in _MOUNTAIN:
        return "mountain"
    return "central" if tricode in _CENTRAL else "eastern"


def tipoffs(dates: np.ndarray, home: np.ndarray, rng: np.random.Generator) -> list[datetime]:
    """Tip-off instants (UTC): evenings by the home team's time zone, some weekend afternoons."""
    out: list[datetime] = []
    xmas_seen = 0
    for d, h in zip(dates, home, strict=True):
        if d.month == 12 and d.day == 25:
            hhmm = _CHRISTMAS[xmas_seen % len(_CHRISTMAS)]
            xmas_seen += 1
        elif d.weekday() >= 5 and rng.random() < 0.22:
            hhmm = _AFTERNOON[rng.integers(len(_AFTERNOON))]
        else:
            slots, p = _EVENING[_zone(TEAMS[h].tricode)]
            hhmm = slots[rng.choice(len(slots), p=p)]
        local = datetime.combine(d, time.fromisoformat(hhmm), tzinfo=ET)
        out.append(local.astimezone(UTC))
    return out


def bdl_game_id(season_year: int, seq: int) -> int:
    """BDL ids are plain integers unrelated to NBA.com ids (spaced by season like the real API)."""
    return 15_000_000 + (season_year - 2023) * 1_000_000 + 17 * seq + 3


def build_schedule(seed: int, season_year: int) -> pl.DataFrame:
    """The season's 1,230 games in (date, tip-off) order with NBA.com and BDL ids (no scores yet)."""
    cal = calendar_for(season_year)
    rng = rng_for(seed, season_year, "schedule")
    home, away = matchups(rng)
    dates = assign_dates(cal, home, away, rng)
    tips = tipoffs(dates, home, rng)
    frame = pl.DataFrame(
        {
            "game_date": list(dates),
            "tipoff_utc": tips,
            "home_team": [TEAMS[i].tricode for i in home],
            "away_team": [TEAMS[i].tricode for i in away],
        },
        schema={
            "game_date": pl.Date,
            "tipoff_utc": pl.Datetime("us", "UTC"),
            "home_team": pl.Utf8,
            "away_team": pl.Utf8,
        },
    ).sort(["game_date", "tipoff_utc", "home_team"])
    seq = np.arange(1, frame.height + 1)
    yy = season_year % 100
    return frame.with_columns(
        game_id=pl.Series([f"002{yy:02d}{s:05d}" for s in seq]),
        bdl_game_id=pl.Series([bdl_game_id(season_year, int(s)) for s in seq], dtype=pl.Int64),
        season_year=pl.lit(season_year, dtype=pl.Int64),
    ).select(["game_id", "bdl_game_id", "season_year", "game_date", "tipoff_utc", "home_team", "away_team"])
