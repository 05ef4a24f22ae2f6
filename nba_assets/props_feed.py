"""The two props feeds behind raw/prop_lines: what a run fetches from each and how their bodies are read.

The Odds API (quota-metered; resources/clients.py `OddsApiClient`) and SportsDataIO (flat-rate;
resources/sdio.py) are fetched one after the other, each day of each feed through the outage rule
(nba_assets/outage.py): a feed down for a day is recorded in the asset's `source_unavailable` and the
day is written from what is landed, lined by the other feed. Their rows are reconciled per (game,
player, book) by nba_assets/logic/props.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.logic.props import reconcile_feeds
from nba_assets.outage import fetch_days
from nba_assets.partitions import game_date_of
from resources import parsers
from resources.clients import PoisonResponse
from resources.landing import LandedFile, LandingZone, PoisonBody
from resources.parsers.sdio import games_of
from resources.sources import SourcesResource

Resuming = Callable[[dg.AssetExecutionContext, Callable[[Any], Any], Any], Any]


def fetch_props(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date],
                resuming: Resuming) -> tuple[dict[str, str], list[tuple[dt.date, PoisonResponse]]]:
    """Fetch both feeds for `dates`: ({day: what was down}, [(day, poison events body)])."""
    now = sources.now()
    poisoned: list[tuple[dt.date, PoisonResponse]] = []

    def feed(events: Callable[[dt.date], list], per_event: Callable[[Any], Any]) -> Callable[[dt.date], None]:
        def day(d: dt.date) -> None:
            try:
                found = resuming(context, events, d)
            except PoisonResponse as exc:  # quarantined: the day's events are not walked, the other days go on
                context.log.error(f"{exc}; the day is written from what is landed")
                poisoned.append((d, exc))
                return
            for event in found:
                resuming(context, per_event, event)
        return day

    odds, today = sources.odds(), game_date_of(now)
    down = fetch_days(context, "oddsapi", feed(lambda d: odds.fetch_events(d, today).events,
                                               lambda e: odds.refresh_event(e, now)), dates)
    sdio = sources.sportsdataio()
    if sdio is None:
        context.log.info("SportsDataIO is not configured (SPORTSDATAIO_API_KEY): The Odds API alone lines the slate")
        return down, poisoned
    more = fetch_days(context, "sportsdataio", feed(sdio.fetch_events, lambda e: sdio.fetch_player_props(e, now)),
                      dates)
    both = {d: "; ".join(f"{src}: {m[d]}" for src, m in (("oddsapi", down), ("sportsdataio", more)) if d in m)
            for d in sorted({*down, *more})}
    return both, poisoned


def parts(landing: LandingZone) -> Iterator[tuple[tuple[str, tuple[str, ...]], Callable]]:
    """((landing source, endpoints), parser) of each feed, in the order `reconcile` takes them."""
    yield ("oddsapi", ("event_odds",)), lambda body, f, d: parsers.parse_odds_event_odds(body, f.name)
    yield ("sportsdataio", ("player_props",)), _sdio_parser(landing)


def reconcile(odds: pl.DataFrame, sdio: pl.DataFrame, table: t.Table) -> pl.DataFrame:
    rows, _ = reconcile_feeds(odds, sdio)
    return rows.sort(list(table.business_key))


def _sdio_parser(landing: LandingZone) -> Callable[[Any, LandedFile, dt.date], parsers.ParseResult]:
    games: dict[dt.date, dict] = {}

    def parse(body: Any, f: LandedFile, d: dt.date) -> parsers.ParseResult:
        if d not in games:  # the day's games, from its landed betting events bodies (newest last)
            games[d] = {}
            for ev in landing.files("sportsdataio", "betting_events", d):
                try:
                    games[d] |= games_of(landing.read_json(ev))
                except PoisonBody:
                    continue
        game_id = str(f.meta.get("url", "")).rsplit("/", 1)[-1] or None
        return parsers.parse_sdio_player_props(body, f.name, games[d], game_id)

    return parse
