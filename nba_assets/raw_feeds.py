"""Raw tables of the market and league feeds beside the core five (nba_assets/raw.py): game lines.

Each is a `RawFeed` like the core ones (fetch and land, then parse everything landed for the run's
dates, with the same record checks), so its shape and guarantees are raw.py's.
"""

import datetime as dt

import dagster as dg

from nba_assets import tables as t
from nba_assets.raw import Fetched, RawFeed, fetch_resuming, raw_table
from resources import parsers
from resources.clients import PoisonResponse
from resources.sources import SourcesResource


def _fetch_game_lines(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date]) -> Fetched:
    """The day's events (the props' list), then each event's due spreads/totals snapshots."""
    events, lines, now = sources.odds(), sources.game_lines(), sources.now()
    poisoned = []
    for d in dates:
        try:
            fetched = fetch_resuming(context, events.fetch_events, d)
        except PoisonResponse as exc:
            context.log.error(f"{exc}; the day is written from what is landed")
            poisoned.append((d, exc))
            continue
        for event in fetched.events:
            fetch_resuming(context, lambda e: lines.fetch_event_lines(e, now), event)
    return Fetched(poisoned=poisoned)


FEEDS = [
    RawFeed(
        t.GAME_LINES,
        "One row per (event_id, bookmaker, snapshot_ts): each book's spread (home side's point) and total "
        "at the snapshot times the features need (opening, T-3h, prediction time, close). Source: The Odds "
        "API historical event odds, markets=spreads,totals.",
        "oddsapi", ("game_lines",), _fetch_game_lines,
        lambda: lambda body, f, d: parsers.parse_odds_game_lines(body, f.name),
    ),
]
RAW_FEED_ASSETS = [raw_table(feed) for feed in FEEDS]
(game_lines,) = RAW_FEED_ASSETS
