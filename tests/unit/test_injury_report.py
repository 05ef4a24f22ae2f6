"""raw/injury_report: the official PDF's parser (a hand-made report in the official layout), the sim's
releases and its seeded fault, the client's choice of releases, and the gate's official-first status."""

from __future__ import annotations

import ctypes
import datetime as dt
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from nba_assets import tables
from nba_assets.logic import injuries
from nba_assets.partitions import ET
from nba_assets.raw_feeds import report_refreshes
from resources.clients_injury import InjuryReportClient, releases
from resources.http import HttpSource, RetryPolicy
from resources.landing import LandingZone
from resources.parsers.injury_pdf import LIGATURES, Chars, _chars, _words, parse_injury_report_pdf
from resources.sim import SimClock, SimConfig, SimLeague
from resources.sim import injury_pdf as ip
from resources.sim.transport import sim_transport
from resources.sources import sim_league
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def league() -> SimLeague:
    """The league the sources serve (one per process): the sim indexes a season once per league object."""
    return sim_league(SimConfig().seed)


HANDMADE = FIXTURES / "nbacom" / "injury_report" / "Injury-Report_2025-01-21_05PM_handmade.pdf"
UTC = dt.UTC


# ------------------------------------------------------------------------------------------ parser
def test_the_handmade_report_gives_every_player_with_cells_carried_across_page_breaks():
    res = parse_injury_report_pdf(HANDMADE.read_bytes(), HANDMADE.name)
    tables.INJURY_REPORT.contract.validate(res.rows)
    assert res.rejects.height == 0 and res.rows.height == 22  # 23 lines, POR's "NOT YET SUBMITTED" is no player
    rows = {r["player_name"]: r for r in res.rows.to_dicts()}
    assert set(res.rows["report_ts"]) == {dt.datetime(2025, 1, 21, 22, 0, tzinfo=UTC)}  # 05:00 PM ET
    # page 2 opens inside the Lakers' list, page 3 inside the Heat's: blank cells carried forward
    assert (rows["Bronny Lewis"]["team"], rows["Bronny Lewis"]["matchup"]) == ("LAL", "BOS@LAL")
    assert (rows["Dru Smith"]["team"], rows["Dru Smith"]["matchup"]) == ("MIA", "DAL@MIA")
    assert rows["Luka Dončić"]["player_lookup"] == "lukadoncic" and rows["Kristaps Porziņģis"]["status"] == "Out"
    assert rows["Dereck Lively II"]["player_lookup"] == "derecklivelyii"
    assert rows["Jrue Holiday"]["reason"] == "Injury/Illness - Right Shoulder; Strain"
    assert set(res.rows["status"]) == {"Out", "Questionable", "Doubtful", "Probable", "Available"}
    assert "POR" not in set(res.rows["team"])


def test_a_line_with_an_unreadable_status_is_rejected_by_page_and_line_and_the_rest_kept():
    tip = dt.datetime(2026, 1, 10, 0, 30, tzinfo=UTC)
    game = {"game_id": "g1", "tipoff_utc": tip, "away_team": "TOR", "home_team": "BOS"}
    rows = [{"game": game, "team": "BOS", "player_name": f"Player{i} Name{i}", "status": "Out",
             "reason": "Injury/Illness - Knee"} for i in range(35)]  # two pages
    pdf = ip.render_report(dt.datetime(2026, 1, 9, 22, 0, tzinfo=UTC), rows, bad_status_row=31)
    res = parse_injury_report_pdf(pdf, "r.pdf")
    assert res.rows.height == 34
    bad = res.rejects.to_dicts()
    assert len(bad) == 1 and bad[0]["field"] == "Current Status" and bad[0]["value"] == "Unknwn"
    assert bad[0]["rule"].startswith("page 2, line 2: status must be one of") and bad[0]["player"] == "Name31, Player31"


def _as_chars(chars: list[tuple[float, float, float, str]]) -> Chars:
    """(x0, top, x1, character) tuples as the arrays `_chars` gives."""
    x0, top, x1, text = zip(*chars, strict=True) if chars else ((), (), (), ())
    return Chars(np.array(x0, float), np.array(top, float), np.array(x1, float),
                 np.array([ord(c) for c in text], np.uint32))


def test_characters_join_into_words_as_pdfplumber_joins_them():
    def chars(text: str, x0: float, top: float, width: float = 5.0) -> list[tuple[float, float, float, str]]:
        return [(x0 + i * width, top, x0 + (i + 1) * width, c) for i, c in enumerate(text)]

    # A space stays inside a word; a gap wider than 3 points starts a new word (a new cell); a top within
    # 3 points is the same line (an accent), a larger one a new line; ligatures are spelled out.
    line = chars("Out Now", 10, 100) + chars("Knee", 10 + 7 * 5 + 3.5, 101.5) + chars("ﬁt", 200, 100)
    below = chars("Next", 10, 105.0)  # more than 3 points below the line's last top (101.5)
    assert _words(_as_chars(below + line)) == [(10, "Out Now", 100), (48.5, "Knee", 101.5), (200, "fit", 100),
                                               (10, "Next", 105.0)]
    # overlapping characters (kerning) stay one word, read left to right
    assert _words(_as_chars(chars("ab", 10, 100) + chars("c", 12, 100))) == [(10, "acb", 100)]
    # a gap of exactly 3 points or a top exactly 3 points off stays in the word
    assert _words(_as_chars(chars("ab", 10, 100) + [(23.0, 103.0, 28.0, "c")])) == [(10, "abc", 100)]
    assert _words(_as_chars([])) == []


def _chars_one_by_one(text, height: float) -> list[tuple[float, float, float, str]]:
    """The page's drawn characters read one PDFium call at a time (the definition `_chars` must match)."""
    out = []
    x, y, box = ctypes.c_double(), ctypes.c_double(), pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFText_CountChars(text)):
        code = pdfium_c.FPDFText_GetUnicode(text, i)
        if pdfium_c.FPDFText_IsGenerated(text, i) == 1 or not code or code in (0xFFFE, 0xFFFF):
            continue
        pdfium_c.FPDFText_GetLooseCharBox(text, i, box)
        pdfium_c.FPDFText_GetCharOrigin(text, i, x, y)
        out.append((x.value, height - box.top, box.right, chr(code)))
    return out


def _words_one_by_one(chars: list[tuple[float, float, float, str]]) -> list[tuple[float, str, float]]:
    """pdfplumber's word clustering written out character by character (the definition `_words` must match)."""
    tops = sorted({c[1] for c in chars})
    line_of: dict[float, int] = {}
    for i, top in enumerate(tops):
        line_of[top] = line_of[tops[i - 1]] + (top > tops[i - 1] + 3.0) if i else 0
    lines: dict[int, list] = {}
    for c in chars:
        lines.setdefault(line_of[c[1]], []).append(c)
    words, spell = [], str.maketrans(LIGATURES)
    for n in sorted(lines):
        word: list = []
        for c in [*sorted(lines[n], key=lambda c: c[0]), None]:
            if word and (c is None or c[0] < word[-1][0] or c[0] > word[-1][2] + 3.0 or abs(c[1] - word[-1][1]) > 3.0):
                words.append((min(w[0] for w in word), "".join(w[3] for w in word).translate(spell),
                              min(w[1] for w in word)))
                word = []
            word.append(c)
    return words


def test_the_pages_characters_and_words_are_the_ones_pdfium_gives_one_call_at_a_time():
    tip = dt.datetime(2026, 1, 10, 0, 30, tzinfo=UTC)
    game = {"game_id": "g1", "tipoff_utc": tip, "away_team": "TOR", "home_team": "BOS"}
    rows = [{"game": game, "team": "BOS", "player_name": f"Jusuf Nurkić{i}", "status": "Out",
             "reason": "Injury/Illness - Knee"} for i in range(40)]
    sim = ip.render_report(dt.datetime(2026, 1, 9, 22, 0, tzinfo=UTC), rows)
    n = 0
    for body in (HANDMADE.read_bytes(), sim):
        pdf = pdfium.PdfDocument(body)
        for page in pdf:
            text, height = page.get_textpage(), page.get_height()
            one_by_one = _chars_one_by_one(text, height)
            got = _chars(text, height)
            assert list(zip(got.x0.tolist(), got.top.tolist(), got.x1.tolist(), map(chr, got.code.tolist()),
                            strict=True)) == one_by_one
            assert sorted(_words(got)) == sorted(_words_one_by_one(one_by_one))
            n += len(one_by_one)
        pdf.close()
    assert n > 3000  # the characters of 5 pages compared


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", HANDMADE.read_bytes()[:2000]])
def test_a_body_that_is_not_a_whole_pdf_is_one_file_reject(body):
    res = parse_injury_report_pdf(body, "x.pdf")
    assert res.rows.height == 0 and res.rejects.height == 1
    assert res.rejects["field"][0] == "body" and res.rejects["rule"][0].startswith("not a readable PDF")


# ------------------------------------------------------------------------------------ sim + client
def _client(tmp_path: Path, now: dt.datetime, league: SimLeague) -> tuple[InjuryReportClient, LandingZone, list[str]]:
    transport = sim_transport(league, SimClock(fixed=now))
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return transport.handle_request(request)

    landing = LandingZone(tmp_path)
    http = HttpSource(httpx.Client(transport=httpx.MockTransport(record)), RetryPolicy(max_attempts=1),
                      sleep=lambda s: None, name="nbacom")
    return InjuryReportClient(http, landing), landing, seen


def test_the_client_lands_only_the_latest_release_before_each_refresh_and_never_twice(tmp_path, league):
    day = dt.date(2025, 12, 8)
    at = lambda h, m=0: dt.datetime.combine(day, dt.time(h, m), tzinfo=ET)  # noqa: E731
    client, landing, seen = _client(tmp_path, at(23), league)
    got = client.fetch_for(day, [at(10), at(10, 30)])  # both after 09 AM only
    assert [f.meta["url"] for f in got] == [ip.report_url(at(9))]
    assert client.fetch_for(day, [at(10), at(18)]) and seen[-1] == ip.report_url(at(17))
    pdfs = [u for u in seen if u.endswith(".pdf")]
    assert pdfs == [ip.report_url(at(9)), ip.report_url(at(17))]  # 01 PM was never needed
    assert client.fetch_for(day, [at(18)]) == [] and [u for u in seen if u.endswith(".pdf")] == pdfs
    assert {f.name.endswith(".pdf") for f in landing.files("nbacom", "injury_report", day)} == {True}


def test_a_release_is_not_served_before_its_time_and_the_listing_shows_only_released_ones(tmp_path, league):
    day = dt.date(2025, 12, 8)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=ET)
    client, _, _ = _client(tmp_path, noon, league)
    listed = {ts for ts in releases(client.http.get(client.listing_url + "/nba-injury-report-2025-26-season/").text)
              if ts.date() == day}
    assert listed == {dt.datetime.combine(day, dt.time(9), tzinfo=ET)}
    with pytest.raises(Exception, match="403"):
        client.http.get(ip.report_url(dt.datetime.combine(day, dt.time(17), tzinfo=ET)))


def test_the_refreshes_of_a_day_are_the_slate_refreshes_already_passed():
    tip = dt.datetime(2026, 1, 10, 0, 30, tzinfo=UTC)  # 19:30 ET
    schedule = pl.DataFrame({"game_id": ["g1"], "game_date": [dt.date(2026, 1, 9)], "tipoff_utc": [tip]})
    got = report_refreshes(schedule, tip - dt.timedelta(minutes=50))
    assert [t.astimezone(ET).strftime("%H:%M") for t in got[dt.date(2026, 1, 9)]] == ["10:00", "16:30", "18:30"]


# -------------------------------------------------------------------------------------------- gate
DAY = dt.date(2026, 1, 9)


def _report(rows, official=False):
    out = [{"game_date": DAY, "player_lookup": p, "team": "BOS", "status": s,
            "report_ts": dt.datetime.combine(DAY, dt.time(h), tzinfo=ET).astimezone(UTC)} for p, s, h in rows]
    return pl.DataFrame(out)


def test_the_gate_takes_the_latest_official_status_before_the_prediction_and_bdl_otherwise():
    bdl = _report([("a", "Day-To-Day", 10), ("b", "Out", 10)])
    official = _report([("a", "Questionable", 9), ("a", "Out", 17), ("c", "Doubtful", 13)])
    asks = pl.DataFrame({"game_date": [DAY] * 4, "player_lookup": ["a", "a", "b", "c"],
                         "created_at": [dt.datetime.combine(DAY, dt.time(h), tzinfo=ET).astimezone(UTC)
                                        for h in (16, 18, 18, 12)]})
    got = injuries.status_asof(bdl, asks, official)["injury_status"].to_list()
    # a: the 09 AM official release (not BDL's later Day-To-Day), then 05 PM's Out; b: BDL only;
    # c: the 01 PM release is after the noon prediction and is not used.
    assert got == ["QUESTIONABLE", "OUT", "OUT", None]
    assert injuries.status_asof(bdl, asks)["injury_status"].to_list() == ["QUESTIONABLE", "QUESTIONABLE", "OUT", None]


def test_reconcile_names_who_each_report_has_and_whether_they_agree():
    bdl = _report([("a", "Out", 10), ("b", "Day-To-Day", 10), ("d", "Out", 10)])
    official = _report([("a", "Out", 17), ("b", "Available", 17), ("c", "Out", 17)])
    got = {r["player_lookup"]: r["verdict"] for r in injuries.reconcile(official, bdl).to_dicts()}
    assert got == {"a": "agree", "b": "status_differs", "c": "official_only", "d": "bdl_only"}


def test_the_sims_seeded_faults_reach_the_report_a_503_then_an_unreadable_line(league):
    # 2026-01-21: two seeded 503s on NBA.com; 2026-04-01: a seeded malformed NBA.com record
    for day, check in ((dt.date(2026, 1, 21), "503"), (dt.date(2026, 4, 1), "reject")):
        at = dt.datetime.combine(day, dt.time(23), tzinfo=ET)
        transport = sim_transport(league, SimClock(fixed=at))
        client = httpx.Client(transport=transport)
        url = ip.report_url(dt.datetime.combine(day, dt.time(17), tzinfo=ET))
        first = client.get(url)
        if check == "503":
            assert [first.status_code, client.get(url).status_code, client.get(url).status_code] == [503, 503, 200]
            continue
        res = parse_injury_report_pdf(first.content, "r.pdf")
        assert first.status_code == 200 and res.rows.height > 0
        assert res.rejects.height == 1 and res.rejects["rule"][0].startswith("page 1, line 1: status must be one of")


def test_a_one_sided_out_is_a_conflict_and_an_updated_status_is_not():
    from checks.injury_agreement import injury_reports_conflict

    bdl = _report([("a", "Out", 10), ("b", "Day-To-Day", 10), ("d", "Out", 10)])
    official = _report([("a", "Out", 17), ("b", "Out", 17)])
    got = injury_reports_conflict(official, bdl)
    assert not got.passed and got.offending["player_lookup"].to_list() == ["d"]
    assert got.extra["verdicts"] == {"agree": 1, "bdl_only": 1, "status_differs": 1}
    assert injury_reports_conflict(official, bdl.filter(pl.col("player_lookup") != "d")).passed


def test_the_conflicts_of_a_range_by_day_are_each_days_own_result():
    from checks.injury_agreement import injury_reports_conflict, injury_reports_conflict_by_day
    from checks.per_day import ByDay

    day2 = DAY + dt.timedelta(days=1)
    bdl = pl.concat([_report([("a", "Out", 10), ("d", "Out", 10)]),
                     _report([("a", "Out", 10), ("e", "Out", 10)]).with_columns(pl.lit(day2).alias("game_date"),
                                                                               pl.lit("NYK").alias("team"))])
    official = pl.concat([_report([("a", "Out", 17)]), _report([("x", "Out", 17)]).with_columns(pl.lit("NYK").alias("team")),
                          _report([("b", "Out", 17)]).with_columns(pl.lit(day2).alias("game_date"))])  # day2: BOS only
    days = [str(DAY), str(day2), str(day2 + dt.timedelta(days=1))]
    by_day = injury_reports_conflict_by_day(official, bdl, days)
    assert [d for d in days if not by_day[d].passed] == [str(DAY), str(day2)]
    assert by_day[str(day2)].offending["player_lookup"].to_list() == ["b"]  # NYK's e: not a team of the day
    split = ByDay(official, bdl)
    for d in days:
        one, got = injury_reports_conflict(*split.day(d)), by_day[d]
        assert (got.passed, got.summary, got.n_offending, got.failing_dates, got.extra) == (
            one.passed, one.summary, one.n_offending, one.failing_dates, one.extra)
        assert got.offending.equals(one.offending)
