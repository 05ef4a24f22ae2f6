"""The NBA's official injury report: the release a refresh needs, and only that one.

The league publishes the report many times a day as a PDF at
`https://ak-static.cms.nba.com/referee/injury/Injury-Report_YYYY-MM-DD_HHAM.pdf` (HHPM after noon) and
lists the releases on its season page (`https://official.nba.com/nba-injury-report-YYYY-YY-season/`).
A refresh at time T needs the latest release of its game day at or before T: the client reads the
listing, picks that release and lands its PDF under nbacom/injury_report/<game date>/; a release already
landed is not fetched again, and the listing (a pointer, not data) is not landed.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from nba_assets.partitions import ET
from resources.clients import NBACOM_HEADERS
from resources.http import HttpSource
from resources.landing import LandedFile, LandingZone

ENDPOINT = "injury_report"
# The league's CDN, like stats.nba.com, turns away requests that do not look like a browser's.
HEADERS = {"User-Agent": NBACOM_HEADERS["User-Agent"], "Referer": "https://official.nba.com/"}
RELEASE = re.compile(r"https?://[^\"'\s<>]+/Injury-Report_(\d{4}-\d{2}-\d{2})_(\d{2})(AM|PM)\.pdf")


def season_page(game_date: date) -> str:
    season = game_date.year if game_date.month >= 9 else game_date.year - 1
    return f"/nba-injury-report-{season}-{(season + 1) % 100:02d}-season/"


def releases(listing: str) -> dict[datetime, str]:
    """{release time (ET-aware): PDF url} of every release a listing page links to."""
    out = {}
    for m in RELEASE.finditer(listing):
        hour = int(m[2]) % 12 + (12 if m[3] == "PM" else 0)
        out[datetime.fromisoformat(m[1]).replace(hour=hour, tzinfo=ET)] = m[0]
    return out


class InjuryReportClient:
    source = "nbacom"

    def __init__(self, http: HttpSource, landing: LandingZone, listing_url: str = "https://official.nba.com") -> None:
        self.http = http
        self.landing = landing
        self.listing_url = listing_url.rstrip("/")

    def __repr__(self) -> str:
        return f"InjuryReportClient(listing_url={self.listing_url!r})"

    def needed(self, game_date: date, refreshes: list[datetime]) -> list[tuple[datetime, str]]:
        """(time, url) of the day's releases the refreshes need: for each refresh the latest release at
        or before it (one listing request; releases after the last refresh or of other days are not)."""
        page = self.http.get(self.listing_url + season_page(game_date), headers=HEADERS).text
        day = sorted((ts, url) for ts, url in releases(page).items() if ts.date() == game_date)
        picks = {max(due) for at in refreshes if (due := [r for r in day if r[0] <= at])}
        return sorted(picks)

    def fetch_for(self, game_date: date, refreshes: list[datetime]) -> list[LandedFile]:
        """Land the releases `needed` picks that are not landed yet; what was landed."""
        if not refreshes:
            return []
        landed_urls = {e.get("url") for e in self.landing.manifest(self.source, ENDPOINT, game_date)}
        out: list[LandedFile] = []
        for _, url in self.needed(game_date, refreshes):
            if url in landed_urls:
                continue
            resp = self.http.get(url, headers=HEADERS)
            out += self.landing.write(self.source, ENDPOINT, [game_date], resp.content, url=url, params=None,
                                      status=resp.status_code)
        return out
