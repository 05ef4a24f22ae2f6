"""What a backfill would cost each props feed, counted before anything is fetched (`nba-lake backfill
--dry-run`): requests and credits, from the schedule and what is already landed.

It counts what `nba_assets/props_feed.py` would ask for, by the same rules:
- The Odds API, a past day: the events list unless a readable one is landed (1 request, 1 credit); per
  game, nothing when the event was lined by current odds, else one historical request (10 credits) per
  lead of `PROPS_LEADS` not landed (seven per game). Today: the current events list (free) and one
  current odds request (1 credit) per game.
- SportsDataIO: the events list and one props request per game whose closing lines are not landed;
  flat-rate, so no credits.
- The Odds API game lines (`resources/clients_lines.py`), on a line of their own: a past day, one
  historical request (20 credits) per lead not landed, four per game; today and later, one current
  request (2 credits) per game. Their events list is the props' (counted on the props' line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from resources.clients import PROPS_LEADS, props_leads_landed
from resources.clients_lines import CREDITS_CURRENT, CREDITS_PER_LEAD, ENDPOINT, SNAPSHOT_LEADS, landed_leads
from resources.landing import LandingZone
from resources.parsers.sdio import games_of
from resources.quota import HISTORICAL_EVENTS_COST, odds_cost

EVENT_ODDS = odds_cost(markets=1, regions=1, historical=False)
HISTORICAL_EVENT_ODDS = odds_cost(markets=1, regions=1, historical=True)


@dataclass
class FeedCost:
    feed: str
    requests: int = 0  # expected
    requests_max: int = 0  # at most
    credits: int = 0  # expected
    credits_max: int = 0
    games: int = 0  # games to fetch (not already landed)


def _odds_done(entries: list[dict]) -> dict[str, int]:
    """{event id: leads landed} of a day's event_odds manifest; an event lined by current odds counts
    as all of them."""
    got = {e: len(leads) for e, leads in props_leads_landed(entries).items()}
    for e in entries:
        url = str(e.get("url", ""))
        if e.get("status") == 200 and "/events/" in url and "/historical/" not in url:
            got[url.rstrip("/").split("/")[-2]] = len(PROPS_LEADS)
    return got


def _add_missing(cost: FeedCost, n: int, landed: dict[str, int], leads: int, credits: int) -> None:
    """Add a past day of `n` games, {event: leads landed}, to a feed: one request per lead not landed."""
    have = sorted((min(leads, k) for k in landed.values()), reverse=True)[:n]
    missing = n * leads - sum(have)
    cost.games += n - sum(1 for k in have if k == leads)
    cost.requests += missing
    cost.credits += missing * credits


def estimate(games: pl.DataFrame, landing: LandingZone, days: Iterable[dt.date], today: dt.date) -> list[FeedCost]:
    """The feeds' cost of fetching `days` (props: The Odds API, SportsDataIO; then the game lines).
    `games`: the schedule's rows (game_date, tipoff_utc, home_team, away_team); `today`: the sources'
    ET date (a day before it is past)."""
    odds, sdio, lines = FeedCost("oddsapi"), FeedCost("sportsdataio"), FeedCost("oddsapi game lines")
    for d in days:
        day = games.filter(pl.col("game_date") == d)
        n = day.height
        events_landed = any(f.meta.get("status", 200) == 200 for f in landing.files("oddsapi", "events", d))
        if d < today:
            if not events_landed:
                odds.requests += 1
                odds.credits += HISTORICAL_EVENTS_COST if n else 0
            _add_missing(odds, n, _odds_done(landing.manifest("oddsapi", "event_odds", d)), len(PROPS_LEADS),
                         HISTORICAL_EVENT_ODDS)
            _add_missing(lines, n, {e: len(v) for e, v in landed_leads(landing.manifest("oddsapi", ENDPOINT, d)).items()},
                         len(SNAPSHOT_LEADS), CREDITS_PER_LEAD)
        else:
            odds.requests += 1 + n
            odds.credits += n * EVENT_ODDS
            odds.games += n
            lines.games += n
            lines.requests += n
            lines.credits += n * CREDITS_CURRENT
        sdio.requests += 1
        closed = min(n, _closed_props(landing, d))
        sdio.requests += n - closed
        sdio.games += n - closed
    for f in (odds, sdio, lines):
        f.requests_max, f.credits_max = f.requests, f.credits
    return [odds, sdio, lines]


def _closed_props(landing: LandingZone, d: dt.date) -> int:
    """Games of the day whose SportsDataIO props were landed by a request made at or after tip-off
    (tip-offs from the day's landed betting events)."""
    asked: dict[str, str] = {}
    for e in landing.manifest("sportsdataio", "player_props", d):
        if e.get("status") == 200 and e.get("requested_at"):
            game = str(e.get("url", "")).rsplit("/", 1)[-1]
            asked[game] = max(asked.get(game, ""), e["requested_at"])
    if not asked:
        return 0
    games: dict[str, dict] = {}
    for f in landing.files("sportsdataio", "betting_events", d):
        try:
            games |= games_of(landing.read_json(f))
        except ValueError:
            continue
    return sum(1 for gid, g in games.items()
               if gid in asked and dt.datetime.fromisoformat(asked[gid]) >= g["commence_time"])
