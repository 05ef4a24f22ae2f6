"""The NBA's official injury report in the simulated sources (a mixin of SimServer): the season's
listing page and the release PDFs (resources/sim/injury_pdf.py). A release is served only once its time
has passed on the sim clock. The NBA's hosts share NBA.com's outages and seeded faults: a transient
429/503 on the days the league game log has one, and on the days with a seeded malformed NBA.com record
one report line whose status cannot be read (the parser must reject that line and keep the others)."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import httpx

from nba_assets.partitions import ET
from resources.sim import injury_pdf as ip
from resources.sim.wire import HttpError

_PDF = re.compile(r"^/referee/injury/Injury-Report_(\d{4}-\d{2}-\d{2})_(\d{2})(AM|PM)\.pdf$")
_DENIED = {"Code": "AccessDenied", "Message": "Access Denied"}  # what the CDN answers for a missing key


class InjuryReportRoutes:
    def _injury_report(self, host: str, path: str) -> httpx.Response:
        now = self.clock.now()
        if host == ip.OFFICIAL_HOST:
            for season in self.league.config.seasons:
                if path.rstrip("/") + "/" == ip.listing_path(season):
                    idx = self._idx(season)
                    times = [ts for d in sorted(idx.by_date) for ts in ip.release_times(d) if ts <= now]
                    return httpx.Response(200, content=ip.listing_html(times),
                                          headers={"content-type": "text/html; charset=utf-8"})
            raise HttpError(404, {"error": "not found", "path": path})
        m = _PDF.match(path)
        if m is None:
            raise HttpError(403, _DENIED)
        d = date.fromisoformat(m[1])
        hour = int(m[2]) % 12 + (12 if m[3] == "PM" else 0)
        ts = datetime.combine(d, time(hour), tzinfo=ET)
        idx = self._season_idx(d)
        if idx is None or not idx.by_date.get(d) or ts not in ip.release_times(d) or ts > now:
            raise HttpError(403, _DENIED)
        self._transient("nbacom/leaguegamelog", [d])
        cache = self.__dict__.setdefault("_injury_pdfs", {})
        if ts not in cache:
            games = idx.by_date[d]
            ids = {g["game_id"] for g in games}
            bad = any(g in ids and v.startswith("nbacom") for (g, _), v in idx.malformed.items())
            injuries = idx.injuries.get(d)
            rows = ip.release_rows(injuries, games, idx.box, last=ts == ip.release_times(d)[-1]) if injuries is not None else []
            cache[ts] = ip.render_report(ts, rows, bad_status_row=0 if bad and rows else None)
        return httpx.Response(200, content=cache[ts], headers={"content-type": "application/pdf"})
