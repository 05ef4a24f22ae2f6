"""What a backfill would cost each props feed, counted before anything is fetched (`nba-lake backfill
--dry-run`): requests and credits, from the schedule and what is already landed.

It counts what `nba_assets/props_feed.py` would ask for, by the same rules:
- The Odds API, a past day: the events list unless a readable one is landed (1 request, 1 credit); per
  game, nothing when the event was lined by current odds or its historical walk completed, else the
  walk: at most `max_snapshots` requests of 10 credits (`expected` uses the mean length of the walks
  already landed; with none landed, the bound). Today: the current events list (free) and one current
  odds request (1 credit) per game.
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

from resources.clients_lines import CREDITS_CURRENT, CREDITS_PER_LEAD, ENDPOINT, SNAPSHOT_LEADS, landed_leads
from resources.landing import LandingZone
from resources.parsers.sdio import games_of
from resources.quota import HISTORICAL_EVENTS_COST, odds_cost

MAX_SNAPSHOTS = 12  # OddsApiClient.fetch_event_odds_history's bound
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


def _walks(entries: list[dict]) -> tuple[set[str], list[int]]:
    """(event ids already lined: a current odds body or a completed historical walk, lengths of the
    completed walks) from a day's event_odds manifest."""
    done, lengths = set(), []
    for e in entries:
        url = str(e.get("url", ""))
        if e.get("status") != 200 or "/events/" not in url:
            continue
        event_id = url.rstrip("/").split("/")[-2]
        if "/historical/" not in url:
            done.add(event_id)
        elif e.get("complete"):
            done.add(event_id)
            lengths.append(int(e.get("page") or 1))
    return done, lengths


def estimate(games: pl.DataFrame, landing: LandingZone, days: Iterable[dt.date], today: dt.date) -> list[FeedCost]:
    """The feeds' cost of fetching `days` (props: The Odds API, SportsDataIO; then the game lines). `games`: the schedule's rows (game_date, tipoff_utc,
    home_team, away_team); `today`: the sources' ET date (a day before it is past)."""
    odds, sdio, lines = FeedCost("oddsapi"), FeedCost("sportsdataio"), FeedCost("oddsapi game lines")
    lengths: list[int] = []
    walks: list[int] = []  # games needing a walk, per day
    for d in days:
        day = games.filter(pl.col("game_date") == d)
        n = day.height
        events_landed = any(f.meta.get("status", 200) == 200 for f in landing.files("oddsapi", "events", d))
        done, got = _walks(landing.manifest("oddsapi", "event_odds", d))
        lengths += got
        if d < today:
            if not events_landed:
                odds.requests += 1
                odds.credits += HISTORICAL_EVENTS_COST if n else 0
            walks.append(max(0, n - len(done)))
        else:
            odds.requests += 1 + n
            odds.credits += n * EVENT_ODDS
            odds.games += n
        sdio.requests += 1
        closed = min(n, _closed_props(landing, d))
        sdio.requests += n - closed
        sdio.games += n - closed
        _game_lines(lines, landing, d, n, past=d < today)
    steps = sum(lengths) / len(lengths) if lengths else MAX_SNAPSHOTS
    odds.requests_max, odds.credits_max = odds.requests, odds.credits
    for w in walks:
        odds.games += w
        odds.requests += round(w * steps)
        odds.credits += round(w * steps) * HISTORICAL_EVENT_ODDS
        odds.requests_max += w * MAX_SNAPSHOTS
        odds.credits_max += w * MAX_SNAPSHOTS * HISTORICAL_EVENT_ODDS
    sdio.requests_max = sdio.requests
    lines.requests_max, lines.credits_max = lines.requests, lines.credits
    return [odds, sdio, lines]


def _game_lines(cost: FeedCost, landing: LandingZone, d: dt.date, n: int, *, past: bool) -> None:
    """Add a day of `n` games to the game lines' cost: a past day's leads not landed (historical), else
    one current request per game."""
    if not past:
        cost.games += n
        cost.requests += n
        cost.credits += n * CREDITS_CURRENT
        return
    landed = landed_leads(landing.manifest("oddsapi", ENDPOINT, d))
    leads = len(SNAPSHOT_LEADS)
    done = [min(leads, len(got)) for got in landed.values()][:n]
    missing = n * leads - sum(done)
    cost.games += n - sum(1 for k in done if k == leads)
    cost.requests += missing
    cost.credits += missing * CREDITS_PER_LEAD


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
