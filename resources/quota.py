"""Usage quota a source reports back with each response, and what a request costs.

The Odds API v4 answers every request with `x-requests-used`, `x-requests-remaining` and
`x-requests-last` (the credits that request cost). `quota_of(response)` reads them; the landing zone
records the reading in the fetch's manifest entry and keeps each source's latest reading in
`<landing>/<source>/_quota.json`, which `nba-lake status` and the alerts sensor read. Any client of a
source that reports these headers records them by passing `meta={"quota": quota_of(resp)}` to
`LandingZone.write`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

QUOTA_FILE = "_quota.json"
HEADERS = {"used": "x-requests-used", "remaining": "x-requests-remaining", "last": "x-requests-last"}

# The Odds API's documented costs (https://the-odds-api.com/liveapi/guides/v4/): current event odds cost
# markets x regions credits, historical event odds 10 x markets x regions, the historical events list 1,
# the current events list nothing. A response with no market in it costs nothing.
HISTORICAL_MULTIPLIER = 10
HISTORICAL_EVENTS_COST = 1


def odds_cost(*, markets: int, regions: int, historical: bool) -> int:
    """Credits one event-odds request costs when it returns its markets."""
    return (HISTORICAL_MULTIPLIER if historical else 1) * markets * regions


def quota_of(headers: Mapping[str, str] | Any) -> dict[str, int] | None:
    """{"used", "remaining", "last"} from a response (or its headers); None when the source sent none.

    A header that is not a whole number is left out (the reading is still recorded); the API sends
    `remaining` as a float-looking string on some plans ("19985.0"), which is read as 19985."""
    headers = getattr(headers, "headers", headers)
    out: dict[str, int] = {}
    for name, header in HEADERS.items():
        raw = headers.get(header)
        if raw is None:
            continue
        try:
            out[name] = int(float(str(raw).strip()))
        except ValueError:
            continue
    return out or None


def read_quotas(landing_root: Any, sources: Iterable[str]) -> dict[str, dict]:
    """{source: its latest reading {"at", "used", "remaining", "last"}} from `<landing_root>/<source>/
    QUOTA_FILE` (a pathlib or UPath folder); an unreadable file counts as no reading."""
    out = {}
    for source in sources:
        path = landing_root / source / QUOTA_FILE
        try:
            if getattr(path, "protocol", "") in ("", "file", "local"):  # a local file: rewritten in place
                text = read_record(path)
            else:
                text = path.read_text(encoding="utf-8") if path.exists() else None
            reading = json.loads(text) if text else None
        except (OSError, ValueError):
            reading = None
        if isinstance(reading, dict):
            out[source] = reading
    return out


# Quota records (a source's latest reading in the landing zone, the simulated API's credit count): rewritten
# at every request, so in place rather than through a temp file and a rename. On ext4 a rename over an
# existing file flushes the new file's data first (`auto_da_alloc`): ~0.5 ms per request against ~10 us
# for one write of a fixed-size block. Readers and writers hold a `flock` (shared to read, exclusive to
# write), so a reader never sees half a record and the read-modify-write of `update_record` is atomic
# across processes. The block is the JSON padded with spaces (still valid JSON) to RECORD_BYTES, or
# longer when the text is.
RECORD_BYTES = 256


def read_record(path: str | os.PathLike) -> str | None:
    """A local record's text (`write_record`'s or any whole file's), None when there is no file."""
    import fcntl

    try:
        fd = os.open(os.fspath(path), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return _read_all(fd)
    finally:
        os.close(fd)  # releases the lock


def write_record(path: str | os.PathLike, text: str) -> None:
    """Replace a local record's text in place, under an exclusive lock."""
    update_record(path, lambda _old: (text, None))


def update_record(path: str | os.PathLike, change):
    """`change(old text or None) -> (new text or None to leave it, result)` applied under an exclusive
    lock held from the read to the write; returns the result. The first record of a folder makes it."""
    import fcntl

    try:
        fd = os.open(os.fspath(path), os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(os.fspath(path)), exist_ok=True)
        fd = os.open(os.fspath(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        new, result = change(_read_all(fd) or None)
        if new is not None:
            block = new.ljust(RECORD_BYTES).encode("utf-8")
            os.pwrite(fd, block, 0)
            if os.fstat(fd).st_size > len(block):  # a longer older record (or another writer's format)
                os.ftruncate(fd, len(block))
        return result
    finally:
        os.close(fd)


def _read_all(fd: int) -> str:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 16, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks).decode("utf-8").strip()
