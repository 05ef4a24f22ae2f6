"""The NBA's official injury report (a PDF) -> raw/injury_report rows.

The report is a table drawn as text: a page header "Injury Report: MM/DD/YY HH:MM AM/PM ET", the
column titles (Game Date, Game Time, Matchup, Team, Player Name, Current Status, Reason), then one line
per player; a game's date, time and matchup and a team's name are printed on their first line only and
are carried forward to the lines below, across page breaks too. PDFium (pypdfium2) gives each character's
position, and the characters are joined into words the way pdfplumber's `extract_words` does (a gap of
more than X_TOLERANCE points starts a word; PDFium reads a release ~15x faster than pdfminer, which made
the report the slowest raw table of a backfill): the column of a cell is the title whose left edge is the
nearest one at or left of it, so the parser follows the titles wherever a release puts them. A line the rules refuse is rejected naming its page,
its line on the page, the column and the rule; the other lines are kept. A team line without a player
("NOT YET SUBMITTED") says the team has not filed yet: it is no player row and is left out by rule.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import re
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from nba_assets import tables
from nba_assets.contracts import OFFICIAL_STATUSES
from nba_assets.partitions import ET
from resources.names import player_lookup
from resources.parsers import common as pc
from resources.teams import UnknownTeamError, canonical_tricode, tricode_from_full_name

COLUMNS = ("Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason")
HEADER = re.compile(r"Injury Report:\s*(\d{2}/\d{2}/\d{2})\s+(\d{1,2}:\d{2})\s*([AP]M)\s*ET")
FOOTER = re.compile(r"^Page \d+ of \d+$")
LINE_TOLERANCE = 4.0  # points: accents raise a word's top a little; report lines are ~16 points apart
X_TOLERANCE = 3.0  # points: a wider gap between two characters of a line starts a new word (a new cell)
Y_TOLERANCE = 3.0  # points: characters whose tops are this close are on one line
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
NOT_SUBMITTED = "NOT YET SUBMITTED"


def parse_injury_report_pdf(body: bytes, landing_file: str) -> pc.ParseResult:
    """One release's rows (InjuryReportContract); report_ts from the page header, in UTC."""
    ctx = pc._Ctx("nbacom", "injury_report", landing_file)
    table = tables.INJURY_REPORT
    out = pc._Collector(ctx, table, list(table.business_key))
    try:
        pages = _pages(body)
    except (pdfium.PdfiumError, ValueError, TypeError) as exc:
        return pc._file_reject(ctx, table, "body", pc._short(bytes(body[:40])), f"not a readable PDF ({exc})")
    report_ts = _report_ts(pages)
    if report_ts is None:
        return pc._file_reject(ctx, table, "page header", None, "no 'Injury Report: MM/DD/YY HH:MM AM/PM ET' header")
    carried: dict[str, str] = {}
    for page_no, lines in enumerate(pages, start=1):
        columns = _columns(lines)
        if columns is None:
            out.bad(pc._Bad("column titles", None, f"page {page_no}: the column titles are missing"))
            continue
        row_no = 0
        for line in lines:
            if line[0][2] <= columns[0][2] + LINE_TOLERANCE:  # the header and the titles
                continue
            text = " ".join(w for _, w, _ in line)
            if FOOTER.match(text):
                continue
            row_no += 1
            cells = _cells(line, columns)
            for name in ("Game Date", "Game Time", "Matchup", "Team"):
                if cells.get(name):
                    carried[name] = cells[name]
                    if name == "Matchup":
                        carried.pop("Team", None)  # a new game starts with its first team named
            _row(cells, carried, report_ts, page_no, row_no, ctx, out)
    return out.result()


def _pages(body: bytes) -> list[list[list[tuple[float, str, float]]]]:
    """Every page's lines of words (PDFium reads the document; `_words` joins its characters)."""
    pdf = pdfium.PdfDocument(bytes(body))
    try:
        out = []
        for page in pdf:
            text = page.get_textpage()
            out.append(_lines(_words(_chars(text, page.get_height()))))
            text.close()
            page.close()
        return out
    finally:
        pdf.close()


Char = tuple[float, float, float, str]  # (x0, top, x1, text), in points from the page's top-left corner


def _chars(text: Any, height: float) -> list[Char]:
    """The page's drawn characters (not the spaces and line breaks PDFium infers between text objects).
    x0 is the glyph's origin (where pdfminer puts a character's left edge), x1 and top the right and top
    edges of its loose box (the advance width, the font's ascent)."""
    out: list[Char] = []
    x, y, box = ctypes.c_double(), ctypes.c_double(), pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFText_CountChars(text)):
        if pdfium_c.FPDFText_IsGenerated(text, i) == 1:
            continue
        code = pdfium_c.FPDFText_GetUnicode(text, i)
        if not code or code in (0xFFFE, 0xFFFF):
            continue
        pdfium_c.FPDFText_GetLooseCharBox(text, i, box)
        pdfium_c.FPDFText_GetCharOrigin(text, i, x, y)
        out.append((x.value, height - box.top, box.right, chr(code)))
    return out


def _words(chars: list[Char]) -> list[tuple[float, str, float]]:
    """(x0, text, top) of each word, as pdfplumber's `extract_words(keep_blank_chars=True,
    x_tolerance=3)`: characters cluster into lines by top (within Y_TOLERANCE of the previous top),
    each line left to right; a character left of the previous one's start, more than X_TOLERANCE right
    of its end, or more than Y_TOLERANCE off its top starts a new word. Spaces stay inside words."""
    tops = sorted({c[1] for c in chars})
    line_of: dict[float, int] = {}
    for i, top in enumerate(tops):
        line_of[top] = line_of[tops[i - 1]] + (top > tops[i - 1] + Y_TOLERANCE) if i else 0
    lines: dict[int, list[Char]] = {}
    for c in chars:
        lines.setdefault(line_of[c[1]], []).append(c)
    words: list[tuple[float, str, float]] = []
    for n in sorted(lines):
        word: list[Char] = []
        for c in sorted(lines[n], key=lambda c: c[0]):
            if word and (c[0] < word[-1][0] or c[0] > word[-1][2] + X_TOLERANCE or abs(c[1] - word[-1][1]) > Y_TOLERANCE):
                words.append(_word(word))
                word = []
            word.append(c)
        if word:
            words.append(_word(word))
    return words


def _word(chars: list[Char]) -> tuple[float, str, float]:
    return min(c[0] for c in chars), "".join(LIGATURES.get(c[3], c[3]) for c in chars), min(c[1] for c in chars)


def _lines(words: list[tuple[float, str, float]]) -> list[list[tuple[float, str, float]]]:
    """The page's words as lines of (x0, text, top), top to bottom, left to right."""
    lines: list[list[tuple[float, str, float]]] = []
    for x0, text, top in sorted(words, key=lambda w: (w[2], w[0])):
        if lines and abs(top - lines[-1][0][2]) <= LINE_TOLERANCE:
            lines[-1].append((x0, text.strip(), lines[-1][0][2]))
        else:
            lines.append([(x0, text.strip(), top)])
    return [sorted(line) for line in lines]


def _report_ts(pages: list[list[list[tuple[float, str, float]]]]) -> dt.datetime | None:
    for lines in pages[:1]:
        for line in lines[:3]:
            m = HEADER.search(" ".join(w for _, w, _ in line))
            if m:
                local = dt.datetime.strptime(f"{m[1]} {m[2]} {m[3]}", "%m/%d/%y %I:%M %p")
                return local.replace(tzinfo=ET).astimezone(dt.UTC)
    return None


def _columns(lines: list[list[tuple[float, str, float]]]) -> list[tuple[str, float, float]] | None:
    """(title, left edge, top) of each column, from the line holding every title."""
    for line in lines[:6]:
        found = {text: (x0, top) for x0, text, top in line}
        if all(c in found for c in COLUMNS):
            return [(c, found[c][0], found[c][1]) for c in COLUMNS]
    return None


def _cells(line: list[tuple[float, str, float]], columns: list[tuple[str, float, float]]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for x0, text, _ in line:
        name = columns[0][0]
        for title, left, _ in columns:
            if x0 >= left - 2:
                name = title
        cells[name] = f"{cells[name]} {text}" if name in cells else text
    return cells


def _row(cells: dict[str, str], carried: dict[str, str], report_ts: dt.datetime, page: int, row: int,
         ctx: pc._Ctx, out: pc._Collector) -> None:
    where = f"page {page}, line {row}"
    player, status, reason = cells.get("Player Name"), cells.get("Current Status"), cells.get("Reason")
    matchup = carried.get("Matchup")
    at: dict[str, Any] = {"game_id": matchup, "player": player}
    try:
        game_date = _date(carried.get("Game Date"), where)
        at["game_date"] = game_date
        if not player and (reason or "").strip().upper() == NOT_SUBMITTED:
            return  # the team has not filed yet: no player row
        if not matchup or not re.fullmatch(r"[A-Z]{2,4}@[A-Z]{2,4}", matchup):
            raise pc._Bad("Matchup", matchup, f"{where}: matchup must be AWAY@HOME tricodes")
        away, home = (canonical_tricode(c) for c in matchup.split("@"))
        try:
            team = tricode_from_full_name(carried.get("Team") or "")
        except UnknownTeamError:
            raise pc._Bad("Team", carried.get("Team"), f"{where}: unknown team name") from None
        if team not in (away, home):
            raise pc._Bad("Team", team, f"{where}: the team does not play in {matchup}")
        if not player or ", " not in player:
            raise pc._Bad("Player Name", player, f"{where}: player name must be 'Last, First'")
        last, first = player.split(", ", 1)
        name = f"{first} {last}"
        if status not in OFFICIAL_STATUSES:
            raise pc._Bad("Current Status", status, f"{where}: status must be one of {', '.join(OFFICIAL_STATUSES)}")
    except pc._Bad as bad:
        out.bad(bad, **at)
        return
    except (UnknownTeamError, KeyError) as exc:
        out.bad(pc._Bad("Matchup", matchup, f"{where}: unknown tricode ({exc})"), **at)
        return
    lookup = player_lookup(name)
    if not lookup:
        out.bad(pc._Bad("Player Name", player, f"{where}: the name has no letters or digits"), **at)
        return
    out.add({"game_date": game_date, "report_ts": report_ts, "matchup": f"{away}@{home}", "team": team,
             "player_name": name, "player_lookup": lookup, "status": status, "reason": reason,
             "landing_file": ctx.landing_file}, at)


def _date(text: str | None, where: str) -> dt.date:
    try:
        return dt.datetime.strptime(text or "", "%m/%d/%Y").date()
    except ValueError:
        raise pc._Bad("Game Date", text, f"{where}: game date must be MM/DD/YYYY") from None
