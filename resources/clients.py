"""HTTP clients of the three real sources: Ball Don't Lie, NBA.com stats, The Odds API v4.

Clients only fetch and land: every body goes to the landing zone as it arrives, before anything parses
it (parsers read the landing zone). The only JSON they read is what drives the next request
(pagination cursors, event lists). Keys are sent, never logged or landed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from nba_assets.partitions import ET
from resources.http import AuthError, HttpSource, SourceError, redact_url
from resources.landing import LandedFile, LandingZone, loads_json
from resources.quota import quota_of

log = logging.getLogger(__name__)


class PaginationError(SourceError):
    """A page failed for good; the pages before it are landed and a later call resumes from it."""

    def __init__(self, message: str, *, cause: SourceError | None, page: int, cursor: str | None,
                 pages_landed: int, folder: str, fetch_id: str, source: str, endpoint: str) -> None:
        super().__init__(
            message,
            source=source,
            endpoint=endpoint,
            params=cause.params if cause else None,
            attempts=cause.attempts if cause else 0,
            last_status=cause.last_status if cause else None,
        )
        self.page = page
        self.cursor = cursor
        self.pages_landed = pages_landed
        self.folder = folder
        self.fetch_id = fetch_id


def season_year_of(d: date) -> int:
    """NBA season start year of a date: preseason starts in late September."""
    return d.year if d.month >= 9 else d.year - 1


def season_label(season_year: int) -> str:
    """2025 -> "2025-26", the Season parameter NBA.com expects."""
    return f"{season_year}-{(season_year + 1) % 100:02d}"


def iso_z(ts: datetime) -> str:
    """UTC ISO-8601 with a Z and whole seconds, the form the Odds API accepts."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _json_or_none(body: bytes) -> Any:
    try:
        return loads_json(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _new_fetch_id() -> str:
    return uuid.uuid4().hex[:16]


# ------------------------------------------------------------------------------------ Ball Don't Lie
# A resume continues the old fetch's cursor. Real BDL cursors are stable ids, but the rows behind them
# may have changed since (late boxscores): past this age a clean re-fetch is the safer choice.
RESUME_WITHIN = timedelta(hours=12)


class KeyedClient:
    """A source client with an API key and a base URL; `repr` never shows the key (it may reach logs)."""

    BASE_URL = ""

    def __init__(self, http: HttpSource, landing: LandingZone, api_key: str | None,
                 base_url: str | None = None) -> None:
        self.http = http
        self.landing = landing
        self._api_key = api_key
        self.base_url = (base_url or self.BASE_URL).rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={'***' if self._api_key else None})"


class BdlClient(KeyedClient):
    """Ball Don't Lie v1: stats (cursor-paginated), box scores, games, player injuries."""

    source = "bdl"
    BASE_URL = "https://api.balldontlie.io"

    def __init__(self, http: HttpSource, landing: LandingZone, api_key: str | None,
                 base_url: str | None = None, *, resume_within: timedelta = RESUME_WITHIN) -> None:
        super().__init__(http, landing, api_key, base_url)
        self.resume_within = resume_within

    def _headers(self) -> dict[str, str]:
        if not self._api_key:
            return {}
        # BDL takes the bare key in Authorization; a "Bearer ..." value is passed through as given.
        return {"Authorization": self._api_key}

    def fetch_stats(self, game_date: date) -> list[LandedFile]:
        """Every /v1/stats page of a date; resumes an unfinished earlier fetch from its failed cursor."""
        return self._paginate("stats", "/v1/stats", {"dates[]": game_date.isoformat(), "per_page": 100},
                              game_date)

    def fetch_games(self, game_date: date) -> list[LandedFile]:
        """Every /v1/games page of a date (paginated like stats, resumable the same way)."""
        return self._paginate("games", "/v1/games", {"dates[]": game_date.isoformat(), "per_page": 100},
                              game_date)

    def fetch_injuries(self, game_date: date) -> list[LandedFile]:
        """Every /v1/player_injuries page, the report as of the date."""
        # `date` is a sim extension (the injury report as of that day); the real API ignores it.
        return self._paginate("player_injuries", "/v1/player_injuries",
                              {"per_page": 100, "date": game_date.isoformat()}, game_date)

    def fetch_box_scores(self, game_date: date) -> list[LandedFile]:
        """/v1/box_scores of a date: one response, every game with its players nested per team."""
        url, params, resp = self._get_box_scores(game_date)
        return self.landing.write(self.source, "box_scores", [game_date], resp.content, url=url,
                                  params=params, status=resp.status_code)

    def probe_box_scores(self, game_date: date) -> Any:
        """The day's box scores, NOT landed: a cheap look for the late-boxscore sensor."""
        return self._get_box_scores(game_date)[2].json()

    def _get_box_scores(self, game_date: date) -> tuple[str, dict[str, str], httpx.Response]:
        url = f"{self.base_url}/v1/box_scores"
        params = {"date": game_date.isoformat()}
        return url, params, self.http.get(url, params=params, headers=self._headers())

    def _paginate(self, endpoint: str, path: str, params: Mapping[str, Any],
                  game_date: date) -> list[LandedFile]:
        """Follow meta.next_cursor, landing each page as it arrives (lesson 7, docs/architecture.md)."""
        url = f"{self.base_url}{path}"
        folder = self.landing.folder(self.source, endpoint, game_date)
        resume = self.landing.incomplete_fetch(self.source, endpoint, game_date)
        done = self.landing.fetch_pages(self.source, endpoint, game_date, resume[0]) if resume else []
        if resume and not self._fresh(done[-1]):
            log.info("%s/%s %s: unfinished fetch %s is older than %s; starting over", self.source,
                     endpoint, game_date, resume[0], self.resume_within)
            resume = None
        if resume:
            fetch_id, cursor = resume
            # The page that handed out this cursor; a malformed page landed after it does not count.
            last_good = max(int(e["page"]) for e in done if e.get("next_cursor") == cursor)
            page = last_good + 1
            pages_landed = len({int(e["page"]) for e in done if int(e["page"]) <= last_good})
            log.info("%s/%s %s: resuming fetch %s at page %d (cursor %s)", self.source, endpoint,
                     game_date, fetch_id, page, cursor)
        else:
            fetch_id, cursor, page, pages_landed = _new_fetch_id(), None, 1, 0
        landed: list[LandedFile] = []
        while True:
            p = dict(params)
            if cursor is not None:
                p["cursor"] = cursor
            try:
                resp = self.http.get(url, params=p, headers=self._headers())
            except AuthError:
                raise  # a key problem, not a page problem: nothing to resume
            except SourceError as exc:
                raise self._page_error(exc, game_date, endpoint, page, cursor, pages_landed, folder,
                                       fetch_id) from exc
            body = _json_or_none(resp.content)
            meta = body.get("meta") if isinstance(body, dict) else None
            next_cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
            well_formed = isinstance(body, dict) and isinstance(body.get("data"), list)
            landed += self.landing.write(
                self.source, endpoint, [game_date], resp.content, url=url, params=p,
                status=resp.status_code, fetch_id=fetch_id, page=page, cursor=cursor,
                next_cursor=next_cursor if well_formed else None,
                complete=well_formed and next_cursor is None,
            )
            if not well_formed:
                # Kept in the landing zone for inspection; the next call re-requests this page.
                raise PaginationError(
                    f"{self.source}/{endpoint} {game_date}: page {page} (cursor {cursor}) is not a "
                    f"JSON object with a data list; it is landed for inspection in {folder}; "
                    f"{pages_landed} good page(s) landed before it; the next run retries this page",
                    cause=None, page=page, cursor=cursor, pages_landed=pages_landed,
                    folder=str(folder), fetch_id=fetch_id, source=self.source, endpoint=path,
                )
            pages_landed += 1
            if next_cursor is None:
                return landed
            cursor, page = next_cursor, page + 1

    def _fresh(self, entry: Mapping[str, Any]) -> bool:
        try:
            landed_at = parse_iso(str(entry["fetched_at"]))
        except (KeyError, ValueError):
            return False
        return datetime.now(UTC) - landed_at <= self.resume_within

    def _page_error(self, exc: SourceError, game_date: date, endpoint: str, page: int,
                    cursor: Any, pages_landed: int, folder: Any, fetch_id: str) -> PaginationError:
        return PaginationError(
            f"{self.source}/{endpoint} {game_date}: page {page} (cursor {cursor}) failed: {exc}. "
            f"{pages_landed} page(s) of fetch {fetch_id} are landed in {folder}; "
            f"the next call resumes at page {page}",
            cause=exc, page=page, cursor=None if cursor is None else str(cursor),
            pages_landed=pages_landed, folder=str(folder), fetch_id=fetch_id, source=self.source,
            endpoint=exc.endpoint,
        )


# ------------------------------------------------------------------------------------ NBA.com stats
NBACOM_HEADERS = {
    # stats.nba.com drops or stalls requests that do not look like they come from the nba.com site.
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36"
    ),
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "x-nba-stats-origin": "stats",
    "x-nba-stats-token": "true",
}


class NbaComClient:
    """stats.nba.com: the player league game log of a date, the season schedule."""

    source = "nbacom"

    def __init__(self, http: HttpSource, landing: LandingZone,
                 base_url: str = "https://stats.nba.com") -> None:
        self.http = http
        self.landing = landing
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"NbaComClient(base_url={self.base_url!r})"

    def fetch_leaguegamelog(self, game_date: date) -> list[LandedFile]:
        """Player rows (PlayerOrTeam=P) of one date's games; one response, no pagination."""
        url, params, resp = self._get_leaguegamelog(game_date)
        return self.landing.write(self.source, "leaguegamelog", [game_date], resp.content, url=url,
                                  params=params, status=resp.status_code)

    def probe_leaguegamelog(self, game_date: date) -> Any:
        """The day's game log, NOT landed: a cheap look for the late-boxscore sensor."""
        return self._get_leaguegamelog(game_date)[2].json()

    def _get_leaguegamelog(self, game_date: date) -> tuple[str, dict[str, Any], httpx.Response]:
        url = f"{self.base_url}/stats/leaguegamelog"
        mdy = game_date.strftime("%m/%d/%Y")
        params = {
            "Counter": 0,
            "DateFrom": mdy,
            "DateTo": mdy,
            "Direction": "ASC",
            "LeagueID": "00",
            "PlayerOrTeam": "P",
            "Season": season_label(season_year_of(game_date)),
            "SeasonType": "Regular Season",
            "Sorter": "DATE",
        }
        return url, params, self.http.get(url, params=params, headers=NBACOM_HEADERS)

    def fetch_schedule(self, season_year: int, game_dates: Sequence[date]) -> list[LandedFile]:
        """One request for the season; the body is landed under every date of `game_dates`."""
        if not game_dates:
            return []
        url, params, resp = self._get_schedule(season_year)
        return self.landing.write(self.source, "schedule", game_dates, resp.content, url=url,
                                  params=params, status=resp.status_code)

    def probe_schedule(self, season_year: int) -> Any:
        """The season's schedule, NOT landed: what a backfill would find, asked before it writes."""
        return self._get_schedule(season_year)[2].json()

    def _get_schedule(self, season_year: int) -> tuple[str, dict[str, Any], httpx.Response]:
        url = f"{self.base_url}/stats/scheduleleaguev2"
        params = {"LeagueID": "00", "Season": season_label(season_year)}
        return url, params, self.http.get(url, params=params, headers=NBACOM_HEADERS)


# ------------------------------------------------------------------------------------ The Odds API
SPORT = "basketball_nba"


class PoisonResponse(SourceError):
    """A body that is not the API's shape, quarantined as soon as it was fetched (`moved`): the day
    cannot be fetched further this run; the next run re-fetches it. Not resumed within the run."""

    def __init__(self, message: str, *, file: LandedFile, moved: Any, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.file, self.moved = file, moved


@dataclass(frozen=True)
class EventsFetch:
    """Landed events body, plus the events on the date (parsed because the odds walk needs their ids)."""

    files: list[LandedFile]
    events: list[dict]


def events_window(game_date: date) -> tuple[datetime, datetime, datetime]:
    """(snapshot time D 12:00 ET, commence from D 00:00 ET, commence to D+1 06:00 ET), in UTC."""
    noon = datetime.combine(game_date, time(12, 0), tzinfo=ET)
    start = datetime.combine(game_date, time(0, 0), tzinfo=ET)
    end = datetime.combine(game_date + timedelta(days=1), time(6, 0), tzinfo=ET)
    return noon.astimezone(UTC), start.astimezone(UTC), end.astimezone(UTC)


def game_date_of(commence_time: str) -> date:
    """ET calendar date of a tip-off."""
    return parse_iso(commence_time).astimezone(ET).date()


def events_on(raw: list[Any], game_date: date) -> list[dict]:
    """The events of an events list whose tip-off falls on `game_date` (ET), in list order.

    An event without an id or a readable commence_time is skipped with a warning naming it: its odds
    cannot be walked, and one bad entry must not stop the day's other events."""
    events = []
    for e in raw:
        if not isinstance(e, dict) or not e.get("id") or not e.get("commence_time"):
            log.warning("odds events %s: skipped %.200r: an event needs an id and a commence_time",
                        game_date, e)
            continue
        try:
            on = game_date_of(str(e["commence_time"]))
        except (ValueError, OverflowError):
            log.warning("odds events %s: skipped event %r: commence_time %r is not ISO 8601", game_date,
                        e["id"], e["commence_time"])
            continue
        if on == game_date:
            events.append(e)
    return events


class OddsApiClient(KeyedClient):
    """The Odds API v4, spent as a paying user would: current endpoints for today's and upcoming events,
    historical ones only for days already past, and never a snapshot already landed (docs/data.md)."""

    source = "oddsapi"
    BASE_URL = "https://api.the-odds-api.com"
    PARAMS = {"regions": "us", "markets": "player_points", "oddsFormat": "american"}

    def _key(self) -> dict[str, str]:
        return {"apiKey": self._api_key} if self._api_key else {}

    def _get(self, url: str, params: dict[str, str]) -> httpx.Response:
        return self.http.get(url, params={**self._key(), **params})

    def _land(self, endpoint: str, d: date, url: str, resp: httpx.Response, snapshot: Any = None,
              **kw: Any) -> list[LandedFile]:
        return self.landing.write(self.source, endpoint, [d], resp.content, url=url,
                                  params=dict(resp.request.url.params), status=resp.status_code,
                                  meta={"quota": quota_of(resp), "snapshot": snapshot}, **kw)

    def fetch_events(self, game_date: date, today: date | None = None) -> EventsFetch:
        """Events whose tip-off falls on D (ET). D today or later: the current list (free). D past: the
        events landed for it when a readable list is, else the historical list as of D 12:00 ET (1
        credit). Without `today` every day is treated as past."""
        live = today is not None and game_date >= today
        at, start, end = events_window(game_date)
        if live:
            url = f"{self.base_url}/v4/sports/{SPORT}/events"
            params = {"commenceTimeFrom": iso_z(start), "commenceTimeTo": iso_z(end)}
        else:
            landed = self._landed_events(game_date)
            if landed is not None:
                return landed
            url = f"{self.base_url}/v4/historical/sports/{SPORT}/events"
            params = {"date": iso_z(at), "commenceTimeFrom": iso_z(start), "commenceTimeTo": iso_z(end)}
        resp = self._get(url, params)
        files = self._land("events", game_date, url, resp)
        raw = _events_list(_json_or_none(resp.content))
        if raw is None:
            moved = self.landing.quarantine(files[0], "events response is not a list of events")
            raise PoisonResponse(
                f"{self.source}: events of {game_date} are not a list; quarantined to {moved}; "
                f"the next run re-fetches them",
                source=self.source, endpoint=httpx.URL(url).path, params=files[0].meta["params"],
                attempts=1, last_status=resp.status_code, file=files[0], moved=moved,
            )
        return EventsFetch(files=files, events=events_on(raw, game_date))

    def _landed_events(self, game_date: date) -> EventsFetch | None:
        for f in reversed(self.landing.files(self.source, "events", game_date)):
            if f.meta.get("status", 200) != 200:
                continue
            raw = _events_list(_json_or_none(f.path.read_bytes()))
            if raw is not None:
                return EventsFetch(files=[], events=events_on(raw, game_date))
        return None

    def refresh_event(self, event: Mapping[str, Any], now: datetime) -> list[LandedFile]:
        """An event's player_points as a refresh at `now` needs them: before tip-off on today's slate or
        later, the current odds (one request, markets x regions credits); for a day already past, the
        historical snapshots at fixed leads, unless the event was lined by current odds while upcoming."""
        commence = parse_iso(str(event["commence_time"]))
        game_date = commence.astimezone(ET).date()
        if game_date >= now.astimezone(ET).date():
            return self.fetch_event_odds(event) if now < commence else []
        if self._landed_current(event, game_date):
            return []
        return self.fetch_event_odds_history(event, now)

    def fetch_event_odds(self, event: Mapping[str, Any]) -> list[LandedFile]:
        """The current player_points odds of an event (live body: no wrapper, per-book last_update)."""
        commence = parse_iso(str(event["commence_time"]))
        url = f"{self.base_url}/v4/sports/{SPORT}/events/{event['id']}/odds"
        resp = self._get(url, dict(self.PARAMS))
        return self._land("event_odds", commence.astimezone(ET).date(), url, resp)

    def _landed_current(self, event: Mapping[str, Any], game_date: date) -> bool:
        url = redact_url(f"{self.base_url}/v4/sports/{SPORT}/events/{event['id']}/odds")
        return any(e.get("url") == url and e.get("status") == 200
                   for e in self.landing.manifest(self.source, "event_odds", game_date))

    def probe_events(self, game_date: date) -> Any:
        """The current events list around a date, NOT landed: whether the API answers (the outage
        recovery sensor). The current list costs no credit; the historical one would cost one."""
        _, start, end = events_window(game_date)
        url = f"{self.base_url}/v4/sports/{SPORT}/events"
        return self._get(url, {"commenceTimeFrom": iso_z(start), "commenceTimeTo": iso_z(end)}).json()

    def fetch_event_odds_history(self, event: Mapping[str, Any], now: datetime | None = None) -> list[LandedFile]:
        """An event's historical player_points snapshots at fixed leads (PROPS_LEADS: T-36h, T-12h, T-3h,
        T-1h, T-15m, T-1s, and T+3h), each answered with the snapshot in force then.

        A lead already landed (same event, same requested time, answered 200) is not asked again, nor
        one after `now`: re-running or resuming a day buys no snapshot twice. The post-tip lead is kept
        on purpose: an in-game snapshot a source serves lands, and dropping it is downstream's job (a
        leakage trap the checks must catch, not something hidden here)."""
        event_id = str(event["id"])
        commence = parse_iso(str(event["commence_time"]))
        game_date = commence.astimezone(ET).date()
        url = f"{self.base_url}/v4/historical/sports/{SPORT}/events/{event_id}/odds"
        landed_at = props_leads_landed(self.landing.manifest(self.source, "event_odds", game_date)).get(event_id, set())
        due = [t for t in props_lead_times(commence) if iso_z(t) not in landed_at and (now is None or t <= now)]
        fetch_id = _new_fetch_id()
        landed: list[LandedFile] = []
        for i, at in enumerate(due):
            resp = self._get(url, {"date": iso_z(at), **self.PARAMS})
            body = _json_or_none(resp.content)
            ts = body.get("timestamp") if isinstance(body, dict) else None
            landed += self._land("event_odds", game_date, url, resp, str(ts) if ts else None,
                                 fetch_id=fetch_id, page=i + 1, cursor=iso_z(at), complete=i == len(due) - 1)
        return landed


# The props' historical leads: the sim market's snapshot times (T-36h ... T-15m), the close (T-1s) and
# one after tip-off (T+3h: an in-game snapshot, if the source serves one, lands for the checks to catch).
PROPS_LEADS = (timedelta(hours=36), timedelta(hours=12), timedelta(hours=3), timedelta(hours=1),
               timedelta(minutes=15), timedelta(seconds=1), -timedelta(hours=3))


def props_lead_times(commence: datetime) -> list[datetime]:
    return [_trunc(commence - lead) for lead in PROPS_LEADS]


def props_leads_landed(entries: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """{event id: requested times (ISO Z) of its historical player_points answered 200} of a day's
    event_odds manifest."""
    out: dict[str, set[str]] = {}
    for e in entries:
        url = str(e.get("url", ""))
        if e.get("status") == 200 and "/historical/" in url and "/events/" in url and e.get("cursor"):
            out.setdefault(url.rstrip("/").split("/")[-2], set()).add(str(e["cursor"]))
    return out


def _events_list(body: Any) -> list[Any] | None:
    """The events of an events response: historical responses wrap the list in {"timestamp", ...,
    "data"}; the current endpoint answers the bare list. None when it is neither."""
    raw = body.get("data") if isinstance(body, dict) else body
    return raw if isinstance(raw, list) else None


def _trunc(ts: datetime) -> datetime:
    """Whole seconds in UTC: the unit the API's timestamps and our `date` params share."""
    return ts.astimezone(UTC).replace(microsecond=0)
