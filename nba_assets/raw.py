"""Raw layer: source responses, landed untouched, parsed into one table per feed.

Every asset first fetches (unless NBA_LAKE_SOURCE=landing) and lands the response bodies, then parses
EVERYTHING in the landing folders of its dates, so a partition can always be re-parsed without
refetching and hand-dropped real responses are ingested. Several files for one day never duplicate a
row: the latest fetch of a business key wins.

Malformed records never pass silently and never take good rows down with them: they are left out of the
table and reported by the asset's `no_rejected_records` check (ERROR) with game, player, field and rule.
"""


import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import dagster as dg
import polars as pl

from checks.per_day import log_day_evaluations, range_step_result, records_by_day
from checks.result import markdown_table
from io_managers.shrink import SOURCE_DOWN_KEY as SOURCE_DOWN
from nba_assets import props_feed
from nba_assets import tables as t
from nba_assets.common import (
    NETWORK_RETRY,
    date_range_label,
    partition_dates,
    run_metadata,
    table_asset,
)
from nba_assets.outage import fetch_days
from nba_assets.partitions import ET, game_dates
from resources import parsers
from resources.clients import PoisonResponse
from resources.http import RETRY_BUDGET, AuthError, SourceError
from resources.landing import LandedFile, LandingZone, PoisonBody, RecentBodies
from resources.sources import SourcesResource

REJECTS_CHECK = "no_rejected_records"
SOURCE_DUPLICATES_CHECK = "no_source_duplicates"
GAME_IDS_STABLE_CHECK = "game_ids_stable"
# Tables whose rows carry a game's (date, home, away) and a source id: the newest fetch's id wins.
GAME_ID_COLUMN = {t.SCHEDULE: "game_id", t.BDL_GAMES: "source_game_id", t.BDL_BOXSCORES: "source_game_id",
                  t.NBACOM_BOXSCORES: "source_game_id"}
RAW_CODE_VERSION = "raw_v1"


# A page that failed for good is resumed right away (from that page: earlier pages are landed) before
# the step gives up to its retry policy, which would otherwise re-fetch every day of a range run.
# How many times: the "per day" part of the one retry budget (resources/http.py).
RESUME_BACKOFF_S = 0.5
T = TypeVar("T")
R = TypeVar("R")


def fetch_resuming(context: dg.AssetExecutionContext, fetch: Callable[[T], R], arg: T) -> R:
    """Call a fetch (of a day, or of an event's history) again after a request used up its attempts;
    a paginated fetch resumes from the failed page (PaginationError), earlier pages stay landed. A
    missing or wrong key (AuthError) is not retried, nor a body quarantined as poison (PoisonResponse:
    the next run re-fetches it, as for every poison body)."""
    resumes = RETRY_BUDGET.day_resumes
    for attempt in range(1, resumes + 1):
        try:
            return fetch(arg)
        except (AuthError, PoisonResponse):
            raise
        except SourceError as exc:
            if exc.last_status is not None and 400 <= exc.last_status < 500 and exc.last_status != 429:
                raise  # the request itself is refused (403, 404, ...): asking again cannot help
            context.log.warning(f"{exc} (resuming, {attempt}/{resumes})")
            time.sleep(2**attempt * RESUME_BACKOFF_S)
    return fetch(arg)  # the last try: a failure goes to the step's retry policy


def season_of(d: dt.date) -> int:
    """NBA season_year (start year) of a date: the season rolls over in September."""
    return d.year if d.month >= 9 else d.year - 1


@dataclass(frozen=True)
class Ingested:
    rows: pl.DataFrame
    rejects: pl.DataFrame
    duplicates: pl.DataFrame  # identical records a response repeated (kept once)
    files: int
    # REJECT_SCHEMA: games whose id changed between fetches (value: old id, source_game_id: the kept one)
    id_changes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=parsers.REJECT_SCHEMA))


def ingest(
    landing: LandingZone,
    source: str,
    endpoints: Sequence[str],
    dates: Sequence[dt.date],
    parse: Callable[[object, LandedFile, dt.date], parsers.ParseResult],
    table: t.Table,
) -> Ingested:
    """Parse every landed file of `dates`; the latest fetch of a business key wins.

    A file landed under several dates (the season schedule) is parsed once per date it serves.
    Rows dated outside the folder they were found in are rejected, never written to the wrong day.
    """
    key = list(table.business_key)
    per_date: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    duplicates: list[pl.DataFrame] = []
    id_changes: list[pl.DataFrame] = []
    id_col = GAME_ID_COLUMN.get(table)
    n_files = 0
    bodies = RecentBodies(landing)
    for d in dates:
        files: list[LandedFile] = []
        for endpoint in endpoints:
            files.extend(landing.files(source, endpoint, d))
        # Fetch order across endpoints; hand-dropped files (no fetch time) count as the newest.
        files.sort(key=lambda f: (f.fetched_at is None, f.fetched_at or dt.datetime.min))
        n_files += len(files)
        frames = []
        for f in files:
            try:
                body = bodies.read(f)
            except PoisonBody as exc:
                # Kept for a human, never read again; the next run's fetch lands a fresh body.
                moved = landing.quarantine(f, str(exc))
                rejects.append(_poison_reject(source, f, d, moved))
                continue
            result = parse(body, f, d)
            rows = result.rows
            dates_in = rows["game_date"]
            if not rows.height or (dates_in.null_count() == 0 and dates_in.min() == d == dates_in.max()):
                frames.append(rows)  # the usual file: every row on its folder's day, nothing to split
            else:
                stray = rows.filter(pl.col("game_date") != d)
                if stray.height:
                    rejects.append(_stray_rejects(stray, source, f, d))
                frames.append(rows.filter(pl.col("game_date") == d))
            if result.rejects.height:
                # A whole-file reject has no date of its own: it belongs to the folder's day.
                rejects.append(result.rejects.with_columns(pl.col("game_date").fill_null(d)))
            if result.duplicates.height:
                duplicates.append(result.duplicates)
        if frames and id_col:
            frames, changed = parsers.newest_game_ids(frames, id_col)
            id_changes.append(_id_change_records(changed, source, id_col))
        if frames:
            per_date.append(parsers.latest_fetch_wins(frames, key))
    rows = pl.concat(per_date, how="vertical") if per_date else table.empty()
    return Ingested(
        rows=rows.select(table.empty().columns),
        rejects=_concat_rejects(rejects),
        duplicates=_concat_rejects(duplicates),
        files=n_files,
        id_changes=_concat_rejects(id_changes),
    )


def _id_change_records(changed: pl.DataFrame, source: str, id_col: str) -> pl.DataFrame:
    return changed.select(
        pl.lit(source).alias("source"), pl.lit(None, pl.Utf8).alias("endpoint"),
        pl.lit(None, pl.Utf8).alias("landing_file"), "game_date", pl.col("new_id").alias("source_game_id"),
        pl.lit(None, pl.Utf8).alias("player"), pl.lit(id_col).alias("field"), pl.col("old_id").alias("value"),
        pl.lit(parsers.GAME_ID_CHANGED_RULE).alias("rule"),
    )  # fmt: skip


def _concat_rejects(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=parsers.REJECT_SCHEMA)
    return pl.concat(frames, how="vertical_relaxed")


def _poison_reject(source: str, f: LandedFile, d: dt.date, moved: object) -> pl.DataFrame:
    rule = f"body is not the API's JSON; quarantined to {moved}; the next run re-fetches the day"
    return pl.DataFrame(
        [{"source": source, "endpoint": f.path.parent.parent.name, "landing_file": f.name,
          "game_date": d, "source_game_id": None, "player": None, "field": "body",
          "value": None, "rule": rule}],
        schema=parsers.REJECT_SCHEMA, orient="row",
    )


def _stray_rejects(stray: pl.DataFrame, source: str, f: LandedFile, d: dt.date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": [source] * stray.height,
            "endpoint": [f.path.parent.parent.name] * stray.height,
            "landing_file": [f.name] * stray.height,
            "game_date": stray["game_date"].to_list(),
            "source_game_id": [None] * stray.height,
            "player": [None] * stray.height,
            "field": ["game_date"] * stray.height,
            "value": [str(v) for v in stray["game_date"].to_list()],
            "rule": [f"row found in the landing folder of {d}"] * stray.height,
        },
        schema=parsers.REJECT_SCHEMA,
    )


def rejects_check(rejects: pl.DataFrame) -> dg.AssetCheckResult:
    """ERROR, not blocking: the good rows of the day are fine to use; the bad records need a human.
    Records left out under an out-of-scope rule (parsers.OUT_OF_SCOPE_RULES: known special cases such as
    exhibitions with non-NBA teams) are counted beside the verdict, never failing it."""
    scope = pl.col("rule").is_in(list(parsers.OUT_OF_SCOPE_RULES))
    result = _records_check(
        rejects.filter(~scope), REJECTS_CHECK, dg.AssetCheckSeverity.ERROR, "rejects",
        "record(s) rejected by the parser", "every record parsed",
    )
    skipped = rejects.filter(scope)
    if skipped.height:
        meta = {**result.metadata, "out_of_scope_count": skipped.height,
                "out_of_scope": dg.MetadataValue.md(markdown_table(skipped.head(25)))}
        result = dg.AssetCheckResult(check_name=result.check_name, passed=result.passed, severity=result.severity,
                                     metadata=meta, description=f"{result.description}; {skipped.height} out of scope")
    return result


def duplicates_check(duplicates: pl.DataFrame) -> dg.AssetCheckResult:
    """WARN: the repeated record was kept once (nothing doubled or lost); the source is at fault."""
    return _records_check(
        duplicates, SOURCE_DUPLICATES_CHECK, dg.AssetCheckSeverity.WARN, "duplicates",
        "record(s) repeated inside a source response (kept once)", "no repeated records in responses",
    )


def id_changes_check(changes: pl.DataFrame) -> dg.AssetCheckResult:
    """WARN: the newest fetch's id was kept (nothing doubled or lost); the renumbering is recorded."""
    return _records_check(
        changes, GAME_IDS_STABLE_CHECK, dg.AssetCheckSeverity.WARN, "id_changes",
        "game(s) whose id changed between fetches (value: old id, source_game_id: id kept)",
        "every game kept its id across fetches",
    )


def _records_check(
    records: pl.DataFrame, name: str, severity: dg.AssetCheckSeverity, label: str, bad: str, good: str
) -> dg.AssetCheckResult:
    n = records.height
    meta: dict[str, object] = {f"{label}_count": n}
    if n:
        meta[label] = dg.MetadataValue.md(markdown_table(records.head(25)))
        meta["failing_dates"] = ", ".join(sorted({str(d) for d in records["game_date"].to_list()}))
    return dg.AssetCheckResult(
        check_name=name, passed=n == 0, severity=severity, metadata=meta,
        description=f"{n} {bad}" if n else good,
    )


def _raw_asset(table: t.Table, description: str, **kwargs):
    """A raw daily table that fetches over the network (step retries, freshness policy)."""
    key = table.key
    return table_asset(
        table,
        description,
        retry_policy=NETWORK_RETRY,
        code_version=RAW_CODE_VERSION,
        check_specs=[
            dg.AssetCheckSpec(
                REJECTS_CHECK,
                asset=key,
                description="Records the parser rejected (game, player, field, rule). ERROR, non-blocking.",
                partitions_def=game_dates,
            ),
            dg.AssetCheckSpec(
                SOURCE_DUPLICATES_CHECK,
                asset=key,
                description="Records a source repeated inside one response (kept once). WARN.",
                partitions_def=game_dates,
            ),
            *([dg.AssetCheckSpec(
                GAME_IDS_STABLE_CHECK,
                asset=key,
                description="Games whose id changed between fetches (date, home, away): the newest id is "
                "kept, old and new id named. WARN.",
                partitions_def=game_dates,
            )] if table in GAME_ID_COLUMN else []),
        ],
        **kwargs,
    )


def _emit(context: dg.AssetExecutionContext, got: Ingested, dates: list[dt.date], down: dict[str, str],
          with_id_check: bool = False):
    if got.rejects.height:
        for line in parsers.ParseResult(rows=got.rows, rejects=got.rejects.head(20)).describe_rejects():
            context.log.error(f"rejected: {line}")
    figures = run_metadata(context, {
        "dates": date_range_label(dates),
        "landing_files_parsed": got.files,
        "rejected_records": got.rejects.height,
        "repeated_records": got.duplicates.height,
        "game_ids_changed": got.id_changes.height,
    })  # fmt: skip
    if len(dates) > 1:  # each day's event names its own outage (sensors/outages.py reads it per day)
        for d in map(str, dates):
            context.add_asset_metadata({SOURCE_DOWN: dg.MetadataValue.json({d: down[d]} if d in down else {})},
                                       partition_key=d)
    # The range's outages stay on the output: the IO manager keeps those days' files (io_managers/shrink.py).
    yield dg.Output(got.rows, metadata={**figures, SOURCE_DOWN: dg.MetadataValue.json(down)})
    checks = [(REJECTS_CHECK, rejects_check, got.rejects),
              (SOURCE_DUPLICATES_CHECK, duplicates_check, got.duplicates)]  # fmt: skip
    if with_id_check:
        checks.append((GAME_IDS_STABLE_CHECK, id_changes_check, got.id_changes))
    if len(dates) == 1:
        for _, make, records in checks:
            yield make(records)
        return
    # A range run: each day gets its own record, and the step's record is the latest day's (checks/per_day.py)
    days = [str(d) for d in dates]
    for name, make, records in checks:
        per_day = {d: make(r) for d, r in records_by_day(records, days).items()}
        log_day_evaluations(context.op_execution_context, context.asset_key, name, per_day, blocking=False)
        yield from range_step_result(name, per_day, blocking=False)


# ------------------------------------------------------------------------------------------ assets
Parse = Callable[[object, LandedFile, dt.date], parsers.ParseResult]


@dataclass(frozen=True)
class Fetched:
    """What a fetch reports besides landing: days whose source was down ({day: error},
    nba_assets/outage.py) and bodies it had to read, found poison and quarantined (the odds events
    list, whose ids the odds walk needs): those get the same reject as a poison body found when parsing."""

    down: dict[str, str] = field(default_factory=dict)
    poisoned: list[tuple[dt.date, PoisonResponse]] = field(default_factory=list)

    def with_rejects(self, source: str, got: Ingested) -> Ingested:
        if not self.poisoned:
            return got
        early = [_poison_reject(exc.source or source, exc.file, d, exc.moved) for d, exc in self.poisoned]
        return dataclasses.replace(got, rejects=_concat_rejects([*early, got.rejects]))


@dataclass(frozen=True)
class RawFeed:
    """One raw table: where its responses come from and how they are fetched and parsed."""

    table: t.Table
    description: str
    source: str  # the landing zone's source folder
    endpoints: tuple[str, ...]  # the landing zone's endpoint folders parsed for a day
    # Returns {day: error} for days whose source was down (nba_assets/outage.py), a Fetched, or None.
    fetch: Callable[[dg.AssetExecutionContext, SourcesResource, list[dt.date]], dict[str, str] | Fetched | None]
    parser: Callable[[], Parse]  # called once per run, so a parser may cache across the run's dates

    def ingest(self, landing: LandingZone, dates: Sequence[dt.date]) -> Ingested:
        return ingest(landing, self.source, self.endpoints, dates, self.parser(), self.table)


def raw_table(feed: RawFeed) -> dg.AssetsDefinition:
    """The one shape of every raw asset: fetch the run's dates (unless NBA_LAKE_SOURCE=landing), then
    parse everything landed for them and emit the rows with their two record checks."""

    @_raw_asset(feed.table, feed.description)
    def _asset(context: dg.AssetExecutionContext, sources: SourcesResource):
        dates = partition_dates(context)
        fetched = feed.fetch(context, sources, dates) if sources.fetching_enabled else None
        if not isinstance(fetched, Fetched):
            fetched = Fetched(down=fetched or {})
        got = fetched.with_rejects(feed.source, feed.ingest(sources.landing(), dates))
        yield from _emit(context, got, dates, fetched.down, feed.table in GAME_ID_COLUMN)

    return _asset


def _days_of(source: str, client: str, method: str) -> Callable[..., dict[str, str]]:
    """A day-by-day fetch (`sources.<client>().<method>(day)`): {day: error} for the days the source
    was down (nba_assets/outage.py), the other days fetched."""

    def fetch(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date]) -> dict:
        call = getattr(getattr(sources, client)(), method)
        return fetch_days(context, source, lambda d: fetch_resuming(context, call, d), dates)

    return fetch


def _fetch_schedule(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date]) -> dict:
    """One request per season. NBA.com down: its days are recorded down and each keeps the latest season
    schedule landed in the days before (carried forward, its fetch time kept: the games of a day are
    known weeks ahead), BDL's /v1/games tells what changed; the recovery sensor re-fetches the days."""
    client, landing = sources.nbacom(), sources.landing()
    down: dict[str, str] = {}
    for season in sorted({season_of(d) for d in dates}):
        days = [d for d in dates if season_of(d) == season]
        failed = fetch_days(context, "nbacom season schedule", lambda s, ds=days: fetch_resuming(
            context, lambda s2: client.fetch_schedule(s2, ds), s), [season])  # fmt: skip
        for d in days if failed else []:
            down[str(d)] = failed[str(season)]
            landing.carry_forward("nbacom", "schedule", d)
    return down


def _schedule_parser() -> Parse:
    cache: dict[str, parsers.ParseResult] = {}
    reported: set[str] = set()

    def parse(body, f: LandedFile, d: dt.date) -> parsers.ParseResult:
        # One season file serves every date: parse it once, then slice per date.
        if f.name not in cache:
            cache[f.name] = parsers.parse_nbacom_schedule(body, f.name)
        full = cache[f.name]
        # A whole-file reject (bad shape) has no game_date: report it once, with the first date served.
        first_use = f.name not in reported
        reported.add(f.name)
        day_rejects = pl.col("game_date") == d
        if first_use:
            day_rejects = day_rejects | pl.col("game_date").is_null()
        return parsers.ParseResult(
            rows=full.rows.filter(pl.col("game_date") == d),
            rejects=full.rejects.filter(day_rejects),
            duplicates=full.duplicates.filter(pl.col("game_date") == d),
        )

    return parse


def _parse_bdl(body, f: LandedFile, d: dt.date) -> parsers.ParseResult:
    if "box_scores" in f.path.parent.parent.name:
        return parsers.parse_bdl_box_scores(body, f.name)
    return parsers.parse_bdl_stats(body, f.name)


def _fetch_prop_lines(context: dg.AssetExecutionContext, sources: SourcesResource, dates: list[dt.date]) -> Fetched:
    return Fetched(*props_feed.fetch_props(context, sources, dates, fetch_resuming))


@dataclass(frozen=True)
class PropFeed(RawFeed):
    """prop_lines: both props feeds' landed bodies, reconciled (nba_assets/props_feed.py)."""

    def ingest(self, landing: LandingZone, dates: Sequence[dt.date]) -> Ingested:
        got = [ingest(landing, *part, dates, parse, self.table) for part, parse in props_feed.parts(landing)]
        rows = props_feed.reconcile(*(g.rows for g in got), self.table)
        return Ingested(rows, *(_concat_rejects([getattr(g, k) for g in got]) for k in ("rejects", "duplicates")),
                        files=sum(g.files for g in got))


def _parse_injuries(body, f: LandedFile, d: dt.date) -> parsers.ParseResult:
    # The report is requested "as of D's morning", so its time is that, not the fetch time:
    # re-fetching the same report must not create new keys (idempotent partitions).
    report_ts = dt.datetime.combine(d, dt.time(10, 0), tzinfo=ET).astimezone(dt.UTC)
    return parsers.parse_bdl_injuries(body, f.name, report_ts=report_ts, game_date=d)


FEEDS = [
    RawFeed(
        t.SCHEDULE,
        "One row per game_id: NBA.com season schedule (10-digit id, home/away tricodes, tip-off UTC, "
        "status 1/2/3, final score). Source: stats.nba.com scheduleleaguev2.",
        "nbacom", ("schedule",), _fetch_schedule, _schedule_parser,
    ),
    RawFeed(
        t.BDL_GAMES,
        "One row per source_game_id: Ball Don't Lie's games of the day, the second schedule (BDL id, "
        "home/away tricodes, tip-off UTC, status 1/2/3, score). Source: /v1/games (cursor-paginated).",
        "bdl", ("games",), _days_of("bdl", "bdl", "fetch_games"),
        lambda: lambda body, f, d: parsers.parse_bdl_games(body, f.name),
    ),
    RawFeed(
        t.BDL_BOXSCORES,
        "One row per (source_game_id, player_id): Ball Don't Lie player box lines, DNPs kept with "
        "minutes 0 and dnp=true. Source: /v1/stats (cursor-paginated) and /v1/box_scores.",
        "bdl", ("stats", "box_scores"), _days_of("bdl", "bdl", "fetch_stats"), lambda: _parse_bdl,
    ),
    RawFeed(
        t.NBACOM_BOXSCORES,
        "One row per (source_game_id, player_id): NBA.com league game log player rows (players who "
        "played; no DNP rows in this feed). Source: stats.nba.com leaguegamelog, PlayerOrTeam=P.",
        "nbacom", ("leaguegamelog",), _days_of("nbacom", "nbacom", "fetch_leaguegamelog"),
        lambda: lambda body, f, d: parsers.parse_nbacom_leaguegamelog(body, f.name),
    ),
    PropFeed(
        t.PROP_LINES,
        "One row per (event_id, player_lookup, bookmaker, snapshot_ts): every player_points snapshot of "
        "The Odds API and SportsDataIO, appended, `source` naming the feed (both when they agree within "
        "10 min); includes in-game snapshots (minutes_before_tip < 0) that consumers must drop.",
        "oddsapi", ("event_odds",), _fetch_prop_lines, lambda: None,
    ),
    RawFeed(
        t.INJURIES,
        "One row per (report_ts, player_lookup): the injury report as of the game day's morning "
        "(10:00 ET). Source: Ball Don't Lie /v1/player_injuries.",
        "bdl", ("player_injuries",), _days_of("bdl", "bdl", "fetch_injuries"), lambda: _parse_injuries,
    ),
]
RAW_ASSETS = [raw_table(feed) for feed in FEEDS]
schedule, bdl_games, bdl_boxscores, nbacom_boxscores, prop_lines, injuries = RAW_ASSETS
