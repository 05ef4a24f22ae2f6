"""Landing zone: content addressing, manifest order, hand-dropped files, hard links, atomic writes, resume."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import date

import pytest
from upath import UPath

import resources.landing as landing_mod
from resources.landing import MANIFEST, LandingZone, content_name

D1, D2, D3 = date(2025, 1, 20), date(2025, 1, 21), date(2025, 1, 22)
URL = "https://api.balldontlie.io/v1/stats"
SECRET = "k-9f8e7d"


def write(lz: LandingZone, body: bytes, day=D1, endpoint="stats", **kw):
    kw.setdefault("url", URL)
    kw.setdefault("params", {"dates[]": day.isoformat()})
    return lz.write("bdl", endpoint, [day], body, **kw)


def test_layout_and_content_address(tmp_path):
    lz = LandingZone(tmp_path)
    body = b'{"data": [1]}'
    [f] = write(lz, body)
    assert f.name == hashlib.sha256(body).hexdigest()[:16] + ".json" == content_name(body)
    assert f.path == UPath(tmp_path) / "landing" / "bdl" / "stats" / "2025-01-20" / f.name
    assert f.path.read_bytes() == body  # untouched bytes
    assert lz.read_json(f) == {"data": [1]}


def test_identical_refetch_adds_no_file_but_is_recorded(tmp_path):
    lz = LandingZone(tmp_path)
    write(lz, b'{"v": 1}')
    write(lz, b'{"v": 1}')
    folder = lz.folder("bdl", "stats", D1)
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == [content_name(b'{"v": 1}')]
    assert len(lz.manifest("bdl", "stats", D1)) == 2
    assert len(lz.files("bdl", "stats", D1)) == 1


def test_files_in_fetch_order_latest_fetch_of_a_body_counts(tmp_path):
    lz = LandingZone(tmp_path)
    a, b = b'{"v": "a"}', b'{"v": "b"}'
    write(lz, a)
    write(lz, b)
    assert [lz.read_json(f)["v"] for f in lz.files("bdl", "stats", D1)] == ["a", "b"]
    # The source reverted to the first body: it is now the latest fetch.
    write(lz, a)
    files = lz.files("bdl", "stats", D1)
    assert [lz.read_json(f)["v"] for f in files] == ["b", "a"]
    assert files[0].fetched_at < files[1].fetched_at


def test_manifest_fields_and_redaction(tmp_path):
    lz = LandingZone(tmp_path)
    lz.write(
        "oddsapi",
        "events",
        [D1],
        b"[]",
        url=f"https://api.the-odds-api.com/v4/historical/sports/basketball_nba/events?apiKey={SECRET}",
        params={"apiKey": SECRET, "date": "2025-01-20T17:00:00Z"},
        status=200,
    )
    text = (lz.folder("oddsapi", "events", D1) / MANIFEST).read_text()
    assert SECRET not in text
    [entry] = [json.loads(line) for line in text.splitlines()]
    assert set(entry) == {
        "file", "fetched_at", "url", "params", "status",
        "fetch_id", "page", "cursor", "next_cursor", "complete",
    }
    assert entry["params"] == {"apiKey": "***", "date": "2025-01-20T17:00:00Z"}
    assert entry["fetched_at"].endswith("+00:00")
    assert entry["complete"] is True and entry["page"] is None


def test_hand_dropped_files_are_listed_after_manifest_files_by_mtime_then_name(tmp_path):
    lz = LandingZone(tmp_path)
    [fetched] = write(lz, b'{"v": "fetched"}')
    folder = fetched.path.parent
    for name, mtime in [("zz_real.json", 1000), ("aa_real.json", 1000), ("mm_real.json", 500)]:
        (folder / name).write_text(json.dumps({"v": name}))
        os.utime(folder / name, (mtime, mtime))
    (folder / ".partial.json.tmp").write_text("{")  # an interrupted write is never ingested
    files = lz.files("bdl", "stats", D1)
    assert [f.name for f in files] == [fetched.name, "mm_real.json", "aa_real.json", "zz_real.json"]
    assert [f.fetched_at is None for f in files] == [False, True, True, True]
    assert lz.read_json(files[1]) == {"v": "mm_real.json"}


def test_hand_dropped_file_in_a_folder_without_manifest(tmp_path):
    lz = LandingZone(tmp_path)
    folder = lz.folder("nbacom", "leaguegamelog", D2)
    folder.mkdir(parents=True)
    (folder / "by_hand.json").write_text('{"resultSets": []}')
    [f] = lz.files("nbacom", "leaguegamelog", D2)
    assert f.name == "by_hand.json" and f.fetched_at is None and f.meta == {}
    assert lz.files("nbacom", "leaguegamelog", D3) == []


def test_one_body_many_dates_is_hard_linked(tmp_path):
    lz = LandingZone(tmp_path)
    body = b'{"leagueSchedule": {}}' * 100
    landed = lz.write("nbacom", "schedule", [D1, D2, D3], body, url="https://stats.nba.com/x", params={})
    assert [f.path.parent.name for f in landed] == ["2025-01-20", "2025-01-21", "2025-01-22"]
    inodes = {os.stat(f.path).st_ino for f in landed}
    assert len(inodes) == 1 and os.stat(landed[0].path).st_nlink == 3
    for d in (D1, D2, D3):
        [f] = lz.files("nbacom", "schedule", d)
        assert f.path.read_bytes() == body


def test_hard_link_failure_falls_back_to_copy(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError("cross-device link")

    monkeypatch.setattr(landing_mod.os, "link", no_links)
    lz = LandingZone(tmp_path)
    landed = lz.write("nbacom", "schedule", [D1, D2], b'{"s": 1}', url="https://stats.nba.com/x", params={})
    assert os.stat(landed[0].path).st_ino != os.stat(landed[1].path).st_ino
    assert landed[1].path.read_bytes() == b'{"s": 1}'


def test_failed_write_leaves_no_partial_file_and_no_manifest_entry(tmp_path, monkeypatch):
    lz = LandingZone(tmp_path)

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(landing_mod.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write(lz, b'{"big": true}')
    folder = lz.folder("bdl", "stats", D1)
    assert list(folder.iterdir()) == []  # neither the final name nor the temp file
    assert lz.files("bdl", "stats", D1) == []
    monkeypatch.undo()
    [f] = write(lz, b'{"big": true}')
    assert lz.read_json(f) == {"big": True}


def test_write_needs_a_date_and_known_names(tmp_path):
    lz = LandingZone(tmp_path)
    with pytest.raises(ValueError, match="game_date"):
        lz.write("bdl", "stats", [], b"{}", url=URL, params={})
    with pytest.raises(ValueError, match="unknown endpoint"):
        lz.write("bdl", "boxscores", [D1], b"{}", url=URL, params={})
    with pytest.raises(ValueError, match="unknown source"):
        lz.files("espn", "stats", D1)


def page(lz, n, fetch_id, cursor, next_cursor, complete=False, day=D1):
    return write(
        lz, json.dumps({"page": n, "fetch": fetch_id}).encode(), day=day,
        fetch_id=fetch_id, page=n, cursor=cursor, next_cursor=next_cursor, complete=complete,
    )


def test_incomplete_fetch_returns_newest_unfinished_fetch_and_its_cursor(tmp_path):
    lz = LandingZone(tmp_path)
    assert lz.incomplete_fetch("bdl", "stats", D1) is None
    page(lz, 1, "f1", None, "c2")
    page(lz, 2, "f1", "c2", "c3")
    assert lz.incomplete_fetch("bdl", "stats", D1) == ("f1", "c3")
    page(lz, 3, "f1", "c3", None, complete=True)
    assert lz.incomplete_fetch("bdl", "stats", D1) is None
    # A newer fetch that stopped after page 1 is the one to resume; not other dates' folders.
    page(lz, 1, "f2", None, "d2")
    assert lz.incomplete_fetch("bdl", "stats", D1) == ("f2", "d2")
    assert lz.incomplete_fetch("bdl", "stats", D2) is None
    assert [e["page"] for e in lz.fetch_pages("bdl", "stats", D1, "f1")] == [1, 2, 3]
    # Non-paginated writes in between do not hide the unfinished fetch.
    write(lz, b'{"single": 1}')
    assert lz.incomplete_fetch("bdl", "stats", D1) == ("f2", "d2")


def test_torn_manifest_line_is_skipped_and_its_file_still_ingested(tmp_path):
    lz = LandingZone(tmp_path)
    [a] = write(lz, b'{"v": "a"}')
    folder = a.path.parent
    (folder / "0123456789abcdef.json").write_text('{"v": "b"}')
    with open(folder / MANIFEST, "a") as fh:
        fh.write('{"file": "0123456789abcdef.json", "fetched_')  # crash mid-append
    files = lz.files("bdl", "stats", D1)
    assert [f.name for f in files] == [a.name, "0123456789abcdef.json"]


def test_object_store_paths_work_through_upath():
    lz = LandingZone(f"memory://landing-test-{time.time_ns()}/lake")
    landed = lz.write("nbacom", "schedule", [D1, D2], b'{"s": 2}', url="https://stats.nba.com/x", params={})
    write(lz, b'{"v": 1}')
    write(lz, b'{"v": 2}')
    assert [lz.read_json(f) for f in lz.files("nbacom", "schedule", D2)] == [{"s": 2}]
    assert [lz.read_json(f)["v"] for f in lz.files("bdl", "stats", D1)] == [1, 2]
    assert landed[0].path.protocol == "memory"
