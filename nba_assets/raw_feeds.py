"""Raw tables of the market and league feeds beside the core five (nba_assets/raw.py): the game lines
and the NBA's official injury report.

`game_lines` is a `RawFeed` like the core ones (fetch and land, then parse everything landed for the
run's dates, with the same record checks). `injury_report` has the same checks and the same landing
rule but reads the day's schedule first: it fetches only the releases the day's slate refreshes need
(the latest release at or before each refresh time that has passed), and its bodies are PDFs.
"""

import datetime as dt

import dagster as dg
import polars as pl

from nba_assets import tables as t
from nba_assets.common import partition_dates, table_in
from nba_assets.logic.history import refresh_times
from nba_assets.outage import fetch_days
from nba_assets.raw import (
    Fetched,
    Ingested,
    RawFeed,
    _concat_rejects,
    _emit,
    _raw_asset,
    fetch_resuming,
    raw_table,
)
from resources import parsers
from resources.clients import PoisonResponse
from resources.clients_injury import ENDPOINT as INJURY_ENDPOINT
from resources.landing import LandingZone
from resources.parsers.injury_pdf import parse_injury_report_pdf
from resources.sources import SourcesResource


def _fetch_game_lines(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date]) -> Fetched:
    """The day's events (the props' list: current for today and later, else historical or landed), then
    each event's due spreads/totals snapshots (resources/clients_lines.py)."""
    events, lines, now, today = sources.odds(), sources.game_lines(), sources.now(), sources.today()
    poisoned = []

    def fetch_day(d: dt.date) -> None:
        try:
            fetched = fetch_resuming(context, lambda day: events.fetch_events(day, today), d)
        except PoisonResponse as exc:
            context.log.error(f"{exc}; the day is written from what is landed")
            poisoned.append((d, exc))
            return
        for event in fetched.events:
            fetch_resuming(context, lambda e: lines.fetch_event_lines(e, now), event)

    # The Odds API down: the day is recorded down and written from what is landed (nba_assets/outage.py).
    down = fetch_days(context, "oddsapi", fetch_day, dates)
    return Fetched(down=down, poisoned=poisoned)


FEEDS = [
    RawFeed(
        t.GAME_LINES,
        "One row per (event_id, bookmaker, snapshot_ts): each book's spread (home side's point) and total "
        "at the snapshot times the features need (opening, T-3h, prediction time, close). Source: The Odds "
        "API event odds, markets=spreads,totals: current for upcoming games, historical for past days.",
        "oddsapi", ("game_lines",), _fetch_game_lines,
        lambda: lambda body, f, d: parsers.parse_odds_game_lines(
            body, f.name, f.meta.get("captures") or f.meta.get("requested_at")),
    ),
]
RAW_FEED_ASSETS = [raw_table(feed) for feed in FEEDS]
(game_lines,) = RAW_FEED_ASSETS


# ----------------------------------------------------------------------------------- injury report
def report_refreshes(schedule: pl.DataFrame, now: dt.datetime) -> dict[dt.date, list[dt.datetime]]:
    """Per game day, the slate refresh times (logic/history.py: 10:00 ET, T-3h, T-1h, T-10m of each game)
    that have passed by `now`, in order."""
    games = schedule.filter(pl.col("tipoff_utc").is_not_null()).select("game_id", "game_date", "tipoff_utc")
    if not games.height:
        return {}
    times = refresh_times(games).filter(pl.col("created_at") <= now)
    out: dict[dt.date, list[dt.datetime]] = {}
    for d, ts in times.select("game_date", "created_at").unique().sort("created_at").iter_rows():
        out.setdefault(d, []).append(ts)
    return out


def ingest_reports(landing: LandingZone, dates: list[dt.date]) -> Ingested:
    """Every landed release of `dates`, parsed; the rows of the folder's day (a release also lists the
    next day's early games: those come from that day's own releases). Latest fetch wins per key."""
    key = list(t.INJURY_REPORT.business_key)
    frames, rejects, duplicates, n = [], [], [], 0
    for d in dates:
        day = []
        for f in landing.files("nbacom", INJURY_ENDPOINT, d):
            n += 1
            got = parse_injury_report_pdf(f.path.read_bytes(), f.name)
            day.append(got.rows.filter(pl.col("game_date") == d))
            rejects.append(got.rejects.with_columns(pl.col("game_date").fill_null(d)))
            duplicates.append(got.duplicates)
        if day:
            frames.append(parsers.latest_fetch_wins(day, key))
    rows = pl.concat(frames, how="vertical") if frames else t.INJURY_REPORT.empty()
    return Ingested(rows=rows.select(t.INJURY_REPORT.empty().columns), rejects=_concat_rejects(rejects),
                    duplicates=_concat_rejects(duplicates), files=n)


@_raw_asset(
    t.INJURY_REPORT,
    "One row per (report_ts, player_lookup): a player on a release of the NBA's official injury report "
    "(team, status, reason), the releases the day's slate refreshes need (the latest at or before each). "
    "Source: the league's PDF at ak-static.cms.nba.com/referee/injury/, listed on official.nba.com.",
    ins={"schedule": table_in(t.SCHEDULE)},
)
def injury_report(context: dg.AssetExecutionContext, sources: SourcesResource, schedule: pl.DataFrame):
    dates = partition_dates(context)
    down: dict[str, str] = {}
    if sources.fetching_enabled:
        client, due = sources.injury_report(), report_refreshes(schedule, sources.now())

        down = fetch_days(context, "nbacom", lambda d: fetch_resuming(context, lambda r: client.fetch_for(d, r),
                                                                      due.get(d, [])), dates)
    yield from _emit(context, ingest_reports(sources.landing(), dates), dates, down)


RAW_FEED_ASSETS.append(injury_report)
