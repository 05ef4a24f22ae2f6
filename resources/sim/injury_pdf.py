"""The league's official injury report of the simulated NBA, rendered as a PDF in the official layout.

Releases: REPORT_HOURS_ET each game day (09 AM, 01 PM, 05 PM ET), served at the official URL pattern
`https://ak-static.cms.nba.com/referee/injury/Injury-Report_YYYY-MM-DD_HHAM.pdf` (HHPM after noon) and
listed on the season's report page (`https://official.nba.com/nba-injury-report-YYYY-YY-season/`).
What a release says comes from the same injuries the Ball Don't Lie report gives (the day's report,
resources/sim/games.py): Out stays Out, Questionable and Day-To-Day are Questionable until the last
release, which says Out for those who then sat (the box score's DNP) and Available for the others: the
official report knows more, later, than the morning feed.

Layout (the official one): a page header "Injury Report: MM/DD/YY HH:MM AM ET"; the columns Game Date,
Game Time, Matchup, Team, Player Name ("Last, First"), Current Status, Reason; rows grouped by game and
team, with the game's and the team's cells printed only on their first row and left blank after
(carried forward, across page breaks too); "Page N of M" at the foot.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from nba_assets.partitions import ET
from resources.teams import BY_TRICODE

REPORT_HOURS_ET = (9, 13, 17)
CMS_HOST = "ak-static.cms.nba.com"
OFFICIAL_HOST = "official.nba.com"
COLUMNS = ("Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason")
COLUMN_X = (20, 95, 160, 230, 380, 530, 610)  # left edges in points (landscape letter: 792 wide)
ROWS_PER_PAGE = 30
_PART = re.compile(r"\(([^)]+)\)")


def register_fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans, embedded, so every name prints as spelled (Dončić, Jović;
    the standard PDF fonts have no č or ć). The TTF files come with matplotlib, already a dependency."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (("DejaVuSans", "DejaVuSans.ttf"), ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    return "DejaVuSans", "DejaVuSans-Bold"


def release_times(d: date) -> list[datetime]:
    """A game day's release times (ET-aware)."""
    return [datetime.combine(d, time(h), tzinfo=ET) for h in REPORT_HOURS_ET]


def report_url(ts: datetime) -> str:
    et = ts.astimezone(ET)
    return f"https://{CMS_HOST}/referee/injury/Injury-Report_{et:%Y-%m-%d}_{et:%I%p}.pdf"


def listing_path(season_year: int) -> str:
    return f"/nba-injury-report-{season_year}-{(season_year + 1) % 100:02d}-season/"


def listing_html(releases: list[datetime]) -> bytes:
    """The season page's links, newest first, as the official page lists them."""
    items = "".join(f'<li><a href="{report_url(ts)}">{ts.astimezone(ET):%m/%d/%Y %I:%M %p} ET</a></li>\n'
                    for ts in sorted(releases, reverse=True))
    return f"<html><body><h1>NBA Injury Report</h1><ul>\n{items}</ul></body></html>\n".encode()


def release_rows(injuries: pl.DataFrame, games: list[dict], box: dict[str, list[dict]], last: bool) -> list[dict]:
    """The rows of one release: the day's reported players of teams playing, by game then team."""
    out = []
    for g in sorted(games, key=lambda g: (g["tipoff_utc"], g["game_id"])):
        sat = {r["nba_player_id"] for r in box.get(g["game_id"], []) if r["dnp"]}
        for team in (g["away_team"], g["home_team"]):
            players = injuries.filter(pl.col("team") == team).sort("player_name").to_dicts()
            for p in players:
                status = "Out" if p["status"] == "Out" else "Questionable"
                if last and status == "Questionable":
                    status = "Out" if p["nba_player_id"] in sat else "Available"
                part = _PART.search(p["description"] or "")
                reason = f"Injury/Illness - {part.group(1).title()}" if part else "Injury/Illness - Not Disclosed"
                out.append({"game": g, "team": team, "player_name": p["player_name"], "status": status,
                            "reason": reason})
    return out


def last_first(name: str) -> str:
    first, _, last = name.partition(" ")
    return f"{last}, {first}" if last else name


def render_report(ts: datetime, rows: list[dict], bad_status_row: int | None = None) -> bytes:
    """The PDF bytes of one release. `bad_status_row`: a seeded malformed record (its status unreadable)."""
    buf = io.BytesIO()
    regular, bold = register_fonts()
    pdf = canvas.Canvas(buf, pagesize=landscape(letter), invariant=1)  # invariant: same input, same bytes
    pages = max(1, -(-len(rows) // ROWS_PER_PAGE))
    et = ts.astimezone(ET)
    prev_game = prev_team = None
    for page in range(pages):
        pdf.setFont(bold, 11)
        pdf.drawString(20, 580, f"Injury Report: {et:%m/%d/%y %I:%M %p} ET")
        pdf.setFont(bold, 8)
        for x, label in zip(COLUMN_X, COLUMNS, strict=True):
            pdf.drawString(x, 555, label)
        pdf.setFont(regular, 8)
        y = 540
        for i, r in enumerate(rows[page * ROWS_PER_PAGE:(page + 1) * ROWS_PER_PAGE], start=page * ROWS_PER_PAGE):
            g = r["game"]
            tip = g["tipoff_utc"].astimezone(ET)
            cells = ["", "", "", "", last_first(r["player_name"]), r["status"], r["reason"]]
            if g["game_id"] != prev_game:
                cells[:3] = [f"{tip:%m/%d/%Y}", f"{tip:%I:%M} (ET)", f"{g['away_team']}@{g['home_team']}"]
            if (g["game_id"], r["team"]) != (prev_game, prev_team):
                cells[3] = BY_TRICODE[r["team"]].full_name
            if i == bad_status_row:
                cells[5] = "Unknwn"
            prev_game, prev_team = g["game_id"], r["team"]
            for x, text in zip(COLUMN_X, cells, strict=True):
                if text:
                    pdf.drawString(x, y, text)
            y -= 16
        pdf.drawString(360, 20, f"Page {page + 1} of {pages}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
