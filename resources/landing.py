"""The landing zone: every response body, untouched, before anything parses it (docs/architecture.md §3).

Layout: `<data_dir>/landing/<source>/<endpoint>/<game_date>/<sha256[:16]>.json`, local or gs:// (UPath).
Files are content-addressed, so re-fetching an identical body adds no file; the append-only
`_manifest.jsonl` of each folder records every fetch (order, time, redacted URL/params, pagination), which
is what lets a failed paginated fetch resume where it stopped (lesson 7, docs/architecture.md) and lets the parser
apply "latest fetch wins". Files dropped into a folder by hand (no manifest entry) are ingested too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from upath import UPath
from upath.implementations.local import LocalPath

from resources.files import MANIFEST, sweep_before_write, temp_path
from resources.http import REDACTED, redact_params, redact_url
from resources.quota import QUOTA_FILE, read_quotas, write_record

log = logging.getLogger(__name__)

# A body that is not the API's JSON (an HTML error page served with 200, a truncated body) is moved
# here, with its reason, the first time anything reads it: kept for a human, never parsed again.
QUARANTINE = "_quarantine"
MIN_SECRET_LEN = 8
QUARANTINE_LOG = "_reasons.jsonl"
SOURCES = ("bdl", "nbacom", "oddsapi", "sportsdataio")
# How far back a day whose source is down looks for a body to carry forward (carry_forward).
CARRY_DAYS = 7
ENDPOINTS = (
    "box_scores",
    "stats",
    "games",
    "leaguegamelog",
    "schedule",
    "events",
    "event_odds",
    "game_lines",
    "player_injuries",
    "injury_report",
    "betting_events",
    "player_props",
)


def loads_json(raw: bytes) -> Any:
    """json.loads, decoded by orjson (several times faster on these bodies). What orjson refuses but
    json reads (NaN, integers past 64 bits, UTF-16) goes to json, so both accept and return the same,
    and a body neither reads raises json's own error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class PoisonBody(ValueError):
    """A landed body that is not JSON of the API's shape (object or list); the message names the file."""

    def __init__(self, message: str, path: UPath) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class LandedFile:
    path: UPath
    name: str
    fetched_at: datetime | None  # None: dropped in by hand, no manifest entry
    meta: dict = field(default_factory=dict, compare=False)  # the file's latest manifest entry


def content_name(body: bytes) -> str:
    """Content address of a body: first 16 hex of its sha256, plus .json (.pdf for a PDF: the injury report)."""
    return hashlib.sha256(body).hexdigest()[:16] + (".pdf" if body.startswith(b"%PDF-") else ".json")


def _is_local(p: UPath) -> bool:
    return isinstance(p, LocalPath)


class LandingZone:
    """Writes and lists landed response bodies under `<data_dir>/landing`."""

    def __init__(self, data_dir: str | os.PathLike, secrets: Sequence[str | None] = ()) -> None:
        self.root = UPath(data_dir) / "landing"
        # API keys a source might echo in a 200 body: replaced by *** before the body is stored.
        # Short values are ignored: they would match ordinary text, and no real key is that short.
        self._secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)

    def __repr__(self) -> str:
        return f"LandingZone({str(self.root)!r})"

    def folder(self, source: str, endpoint: str, game_date: date) -> UPath:
        """`<root>/<source>/<endpoint>/<game_date>`; unknown names fail rather than scatter files."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}")
        return self.root / source / endpoint / game_date.isoformat()

    # ------------------------------------------------------------------------------------ writing
    def write(
        self,
        source: str,
        endpoint: str,
        game_dates: Sequence[date],
        body: bytes,
        *,
        url: str,
        params: Mapping[str, Any] | None,
        status: int = 200,
        fetch_id: str | None = None,
        page: int | None = None,
        cursor: str | None = None,
        next_cursor: str | None = None,
        complete: bool = True,
        meta: Mapping[str, Any] | None = None,
    ) -> list[LandedFile]:
        """Land one body under every date of `game_dates` (written once, hard-linked to the others).

        The body is on disk before its manifest entry, so an entry never points at a missing file.
        `meta` adds fields to the entry (the quota the source reported, the snapshot a body holds); a
        quota reading also becomes the source's latest (`quotas`).
        """
        dates = list(dict.fromkeys(game_dates))
        if not dates:
            raise ValueError(f"landing {source}/{endpoint}: at least one game_date is needed")
        body = self.redact(body)
        name = content_name(body)
        fetched_at = datetime.now(UTC)
        entry = {
            "file": name,
            "fetched_at": fetched_at.isoformat(),
            "url": redact_url(url),
            "params": _jsonable(redact_params(params)),
            "status": status,
            "fetch_id": fetch_id,
            "page": page,
            "cursor": None if cursor is None else str(cursor),
            "next_cursor": None if next_cursor is None else str(next_cursor),
            "complete": bool(complete),
            **_jsonable({k: v for k, v in (meta or {}).items() if v is not None}),
        }
        landed: list[LandedFile] = []
        first: UPath | None = None
        for d in dates:
            folder = self.folder(source, endpoint, d)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            if not target.exists():
                if first is None:
                    _atomic_write(target, body)
                else:
                    _link_or_copy(first, target, body)
            first = first or target
            # The body is synced before its entry is written, so even a power cut never leaves an
            # entry without its body. The entry itself is not synced (half the fsyncs of a fetch):
            # losing the newest entries makes their bodies "dropped by hand", which are parsed too
            # and sort last, where the newest fetches belong anyway.
            self._append_manifest(folder, entry, sync=False)
            landed.append(LandedFile(path=target, name=name, fetched_at=fetched_at, meta=dict(entry)))
        if entry.get("quota"):
            self._write_quota(source, {"at": entry["fetched_at"], **entry["quota"]})
        return landed

    def _write_quota(self, source: str, reading: dict) -> None:
        # Rewritten in place at every response that reports a quota (resources/quota.py: write_record),
        # not synced: a reading lost to a power cut is replaced by the next request's.
        path = self.root / source / QUOTA_FILE
        body = json.dumps(reading, sort_keys=True)
        if not _is_local(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            return
        write_record(path, body)

    def quotas(self) -> dict[str, dict]:
        """{source: its latest quota reading {"at", "used", "remaining", "last"}}, for the sources that
        report one (resources/quota.py); an unreadable file counts as no reading."""
        return read_quotas(self.root, SOURCES)

    def redact(self, body: bytes) -> bytes:
        """`body` with every known secret replaced by *** (a body that echoes a key is still landed)."""
        for secret in self._secrets:
            body = body.replace(secret.encode(), REDACTED.encode())
        return body

    def _append_manifest(self, folder: UPath, entry: dict, name: str = MANIFEST, *, sync: bool = True) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        path = folder / name
        if _is_local(path):
            # One short O_APPEND write per entry: concurrent writers interleave whole lines.
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
        else:
            # Object stores have no append: rewrite the object (single-writer per partition run).
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            path.write_text(old + line, encoding="utf-8")

    def carry_forward(self, source: str, endpoint: str, game_date: date, within_days: int = CARRY_DAYS) -> LandedFile | None:
        """A day its source could not be asked for: when its folder holds nothing, the newest body landed
        under one of the `within_days` days before is linked in with its own manifest entry (fetch time
        kept, `carried_from` its day), so a fetch of the day itself, later, wins. For bodies that cover
        more than their day (the season schedule). None when there is none or the day has files."""
        if self.files(source, endpoint, game_date):
            return None
        for back in range(1, within_days + 1):
            earlier = game_date - timedelta(days=back)
            files = self.files(source, endpoint, earlier)
            if not files:
                continue
            src = files[-1]
            folder = self.folder(source, endpoint, game_date)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / src.name
            if not target.exists():
                _link_or_copy(src.path, target, src.path.read_bytes())
            entry = {**src.meta, "file": src.name, "carried_from": earlier.isoformat()}
            self._append_manifest(folder, entry, sync=False)
            return LandedFile(path=target, name=src.name, fetched_at=src.fetched_at, meta=entry)
        return None

    # ------------------------------------------------------------------------------------ reading
    def manifest(self, source: str, endpoint: str, game_date: date) -> list[dict]:
        """Every manifest entry of a folder, oldest first (torn or garbled lines are skipped)."""
        path = self.folder(source, endpoint, game_date) / MANIFEST
        if not path.exists():
            return []
        entries = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                # A crash mid-append can tear the last line; its file is still listed as hand-dropped.
                log.warning("skipping unreadable line %d of %s", n, path)
                continue
            if isinstance(entry, dict) and entry.get("file"):
                entries.append(entry)
        return entries

    def files(self, source: str, endpoint: str, game_date: date) -> list[LandedFile]:
        """Landed files in fetch order: manifest order (by each file's latest fetch), then files
        dropped in by hand ordered by mtime, then name."""
        folder = self.folder(source, endpoint, game_date)
        if not folder.exists():
            return []
        on_disk = {
            p.name: p
            for p in folder.iterdir()
            if p.name.endswith((".json", ".pdf")) and not p.name.startswith(".") and p.is_file()
        }
        latest: dict[str, tuple[int, dict]] = {}
        for i, entry in enumerate(self.manifest(source, endpoint, game_date)):
            latest[entry["file"]] = (i, entry)
        out: list[LandedFile] = []
        for name, (_, entry) in sorted(latest.items(), key=lambda kv: kv[1][0]):
            if name in on_disk:
                out.append(
                    LandedFile(
                        path=on_disk[name],
                        name=name,
                        fetched_at=_parse_ts(entry.get("fetched_at")),
                        meta=entry,
                    )
                )
        by_hand = [p for n, p in on_disk.items() if n not in latest]
        by_hand.sort(key=lambda p: (_mtime(p), p.name))
        out.extend(LandedFile(path=p, name=p.name, fetched_at=None, meta={}) for p in by_hand)
        return out

    def read_json(self, f: LandedFile) -> Any:
        """The parsed body of a landed file; PoisonBody (naming the file) when it is not JSON at all or
        not an object/list, so the caller can quarantine it instead of failing on it every run."""
        return self.decode(f, f.path.read_bytes())

    def decode(self, f: LandedFile, raw: bytes) -> Any:
        """`read_json` of bytes already read from `f`."""
        try:
            body = loads_json(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PoisonBody(f"{f.path} is not JSON ({exc}); starts {_head(raw)}", f.path) from None
        if not isinstance(body, (dict, list)):
            raise PoisonBody(f"{f.path} is JSON but not an object or list: {_head(raw)}", f.path)
        return body

    def quarantine(self, f: LandedFile, reason: str) -> UPath:
        """Move a landed file to `<folder>/_quarantine/` with its reason; listing and parsing skip it
        from now on, and a later fetch of the same URL lands a fresh body in the folder."""
        qdir = f.path.parent / QUARANTINE
        qdir.mkdir(parents=True, exist_ok=True)
        target = qdir / f.name
        if _is_local(f.path):
            os.replace(f.path, target)
        else:
            target.write_bytes(f.path.read_bytes())
            f.path.unlink()
        entry = {"file": f.name, "quarantined_at": datetime.now(UTC).isoformat(), "reason": reason}
        self._append_manifest(qdir, entry, QUARANTINE_LOG)
        log.warning("quarantined %s: %s", target, reason)
        return target

    def quarantined(self, source: str, endpoint: str, game_date: date) -> list[str]:
        """Names of the quarantined files of a folder."""
        qdir = self.folder(source, endpoint, game_date) / QUARANTINE
        if not qdir.exists():
            return []
        return sorted(p.name for p in qdir.iterdir() if p.name.endswith(".json"))

    def incomplete_fetch(self, source: str, endpoint: str, game_date: date) -> tuple[str, str] | None:
        """(fetch_id, next_cursor) of the newest paginated fetch if it never completed, else None.

        Only the newest fetch matters: an older unfinished one was superseded by whatever came after.
        None too when no landed page of it says where to continue (start over then).
        """
        pages = self.fetch_pages(source, endpoint, game_date)
        if not pages:
            return None
        fetch_id = pages[-1]["fetch_id"]
        mine = [e for e in pages if e["fetch_id"] == fetch_id]
        if any(e.get("complete") for e in mine):
            return None
        cursors = [e["next_cursor"] for e in mine if e.get("next_cursor") is not None]
        return (fetch_id, cursors[-1]) if cursors else None

    def fetch_pages(
        self, source: str, endpoint: str, game_date: date, fetch_id: str | None = None
    ) -> list[dict]:
        """Manifest entries of paginated fetches (those with a fetch_id and page), oldest first."""
        return [
            e
            for e in self.manifest(source, endpoint, game_date)
            if e.get("fetch_id") is not None
            and e.get("page") is not None
            and (fetch_id is None or e["fetch_id"] == fetch_id)
        ]


# ---------------------------------------------------------------------------------------- helpers
class RecentBodies:
    """Decodes landed files, reusing the last few decoded bodies when a file with the same name has the
    same bytes: the season schedule is one body hard-linked under every date of a range, and decoding
    it once per date was most of the schedule's parse time. Parsers never modify a body."""

    KEEP = 4

    def __init__(self, landing: LandingZone) -> None:
        self.landing = landing
        self.recent: dict[str, tuple[bytes, object]] = {}

    def read(self, f: LandedFile) -> object:
        raw = f.path.read_bytes()
        hit = self.recent.get(f.name)
        if hit is not None and hit[0] == raw:
            return hit[1]
        body = self.landing.decode(f, raw)
        self.recent[f.name] = (raw, body)
        if len(self.recent) > self.KEEP:
            del self.recent[next(iter(self.recent))]
        return body


def _atomic_write(target: UPath, body: bytes) -> None:
    """Readers never see a half-written file: temp file + rename locally, one object put remotely."""
    if not _is_local(target):
        target.write_bytes(body)
        return
    sweep_before_write(target.parent)
    tmp = temp_path(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _link_or_copy(src: UPath, dst: UPath, body: bytes) -> None:
    """Hard link (no extra bytes for the season schedule under ~180 dates), else a copy."""
    if _is_local(src) and _is_local(dst):
        try:
            os.link(src, dst)
            return
        except FileExistsError:
            return
        except OSError:
            tmp = temp_path(dst)
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            return
    _atomic_write(dst, body)


def _head(raw: bytes, limit: int = 80) -> str:
    text = raw[:limit].decode("utf-8", errors="replace")
    return repr(" ".join(text.split()))


def _parse_ts(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        ts = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _mtime(p: UPath) -> float:
    try:
        st = p.stat()
    except OSError:
        return 0.0
    mtime = getattr(st, "st_mtime", None)
    return float(mtime) if mtime is not None else 0.0


def _jsonable(value: Any) -> Any:
    """Params as JSON: dates and other objects become strings, lists/tuples stay lists."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
