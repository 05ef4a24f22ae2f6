"""The NBA's official injury report (a PDF) -> raw/injury_report rows.

The report is a table drawn as text: a page header "Injury Report: MM/DD/YY HH:MM AM/PM ET", the column
titles (Game Date, Game Time, Matchup, Team, Player Name, Current Status, Reason), then one line per player;
a game's date, time and matchup and a team's name are printed on their first line only and are carried
forward to the lines below, across page breaks too. PDFium (pypdfium2) gives each character's position (into
numpy arrays, no Python frame per character), and the characters are joined into words the way pdfplumber's
`extract_words` does (a gap of more than X_TOLERANCE points starts a word; PDFium reads a release ~15x
faster than pdfminer, which made the report the slowest raw table of a backfill): the column of a cell is
the title whose left edge is the nearest one at or left of it, so the parser follows the titles wherever a
release puts them. A line the rules refuse is rejected naming its page, its line on the page, the column and
the rule; the other lines are kept. A team line without a player ("NOT YET SUBMITTED") says the team has not
filed yet: it is no player row and is left out by rule.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
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
_SPELLED_OUT = str.maketrans(LIGATURES)


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


@dataclass(frozen=True)
class Chars:
    """A page's drawn characters, in PDFium's order, in points from the page's top-left corner: the
    glyph's origin x0 (where pdfminer puts a character's left edge), the right and top edges x1 and top
    of its loose box (the advance width, the font's ascent), and its Unicode code point."""

    x0: np.ndarray  # float64
    top: np.ndarray  # float64
    x1: np.ndarray  # float64
    code: np.ndarray  # uint32


def _by_address(fn: Any, *argtypes: Any) -> Any:
    """A pypdfium2.raw function declared on plain integers (handles, indexes, addresses): `map` then calls
    it for each of a page's characters in C, writing straight into numpy arrays. PDFium has no call
    that returns a page's character boxes at once, and a Python loop over ~1,300 characters a page with
    four calls each was most of the report's parsing time."""
    call = type(fn)(ctypes.cast(fn, ctypes.c_void_p).value)  # the library's own calling convention
    call.argtypes, call.restype = argtypes, fn.restype
    return call


_INT, _PTR = ctypes.c_int, ctypes.c_void_p
_IS_GENERATED = _by_address(pdfium_c.FPDFText_IsGenerated, _PTR, _INT)
_UNICODE = _by_address(pdfium_c.FPDFText_GetUnicode, _PTR, _INT)
_LOOSE_BOX = _by_address(pdfium_c.FPDFText_GetLooseCharBox, _PTR, _INT, _PTR)  # FS_RECTF: left, top, right, bottom
_ORIGIN = _by_address(pdfium_c.FPDFText_GetCharOrigin, _PTR, _INT, _PTR, _PTR)


def _chars(text: Any, height: float) -> Chars:
    """The page's drawn characters (not the spaces and line breaks PDFium infers between text objects)."""
    handle = ctypes.cast(text.raw, ctypes.c_void_p).value
    n = pdfium_c.FPDFText_CountChars(text)
    generated = np.fromiter(map(_IS_GENERATED, repeat(handle, n), range(n)), np.int64, n)
    code = np.fromiter(map(_UNICODE, repeat(handle, n), range(n)), np.int64, n)
    drawn = np.flatnonzero((generated != 1) & (code != 0) & (code != 0xFFFE) & (code != 0xFFFF))
    m, index = len(drawn), drawn.tolist()
    box = np.zeros((m, 4), np.float32)
    origin = np.zeros((m, 2), np.float64)
    at, xy = box.ctypes.data, origin.ctypes.data
    if not (all(map(_LOOSE_BOX, repeat(handle, m), index, range(at, at + 16 * m, 16)))
            and all(map(_ORIGIN, repeat(handle, m), index, range(xy, xy + 16 * m, 16), range(xy + 8, xy + 16 * m, 16)))):
        raise ValueError("PDFium gave no position for a character")
    return Chars(origin[:, 0], height - box[:, 1].astype(np.float64), box[:, 2].astype(np.float64),
                 code[drawn].astype(np.uint32))


def _words(chars: Chars) -> list[tuple[float, str, float]]:
    """(x0, text, top) of each word, as pdfplumber's `extract_words(keep_blank_chars=True,
    x_tolerance=3)`: characters cluster into lines by top (within Y_TOLERANCE of the previous top),
    each line left to right; a character left of the previous one's start, more than X_TOLERANCE right
    of its end, or more than Y_TOLERANCE off its top starts a new word. Spaces stay inside words."""
    n = len(chars.code)
    if not n:
        return []
    tops = np.unique(chars.top)  # sorted
    line_of_top = np.concatenate(([0], np.cumsum(tops[1:] > tops[:-1] + Y_TOLERANCE)))
    line = line_of_top[np.searchsorted(tops, chars.top)]
    order = np.argsort(chars.x0, kind="stable")  # by line, then left to right, ties in PDFium's order
    order = order[np.argsort(line[order], kind="stable")]
    x0, top, x1, line = chars.x0[order], chars.top[order], chars.x1[order], line[order]
    new = np.ones(n, bool)
    new[1:] = ((line[1:] != line[:-1]) | (x0[1:] < x0[:-1]) | (x0[1:] > x1[:-1] + X_TOLERANCE)
               | (np.abs(top[1:] - top[:-1]) > Y_TOLERANCE))
    starts = np.flatnonzero(new)
    text = chars.code[order].astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    bounds = [*starts.tolist(), n]
    words = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    if any(c in text for c in LIGATURES):
        words = [w.translate(_SPELLED_OUT) for w in words]
    return list(zip(x0[starts].tolist(), words, np.minimum.reduceat(top, starts).tolist(), strict=True))


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
