"""The exports store: JSON documents written whole under `<root>/v1/...`, a local folder or a bucket.

Locally a document goes to a temp file beside its target and is renamed over it (a reader sees the old
or the new document, never half). On GCS it is one object put (atomic by itself) with
`Content-Type: application/json` and the `Cache-Control` header of its kind (CACHE_CONTROL), so a
browser or CDN in front of the public exports bucket never keeps a slate long after a refresh.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from resources.files import temp_path

# max-age by document kind: the slate documents change at every refresh (T-10m is the last before
# tip-off), so a minute; a day's results and a player's page change when a game is graded or
# re-graded, so five minutes; both may be served stale while revalidating.
CACHE_CONTROL = {
    "live": "public, max-age=60, stale-while-revalidate=60",
    "archive": "public, max-age=300, stale-while-revalidate=300",
}
CONTENT_TYPE = "application/json"
LIVE_DOCUMENTS = ("tonight.json", "best_bets.json", "leaderboard.json")


def cache_control(relpath: str) -> str:
    """The Cache-Control header of the document at `relpath` (e.g. 'v1/tonight.json')."""
    return CACHE_CONTROL["live" if relpath.count("/") == 1 and relpath.endswith(LIVE_DOCUMENTS) else "archive"]


@dataclass(frozen=True)
class Written:
    path: str
    bytes: int
    sha256: str


class ExportStore:
    """Reads and writes documents below `root` (a folder, or gs://bucket[/prefix])."""

    def __init__(self, root: str):
        self.root = root.rstrip("/")
        self.remote = "://" in self.root

    def path(self, relpath: str) -> str:
        return f"{self.root}/{relpath}"

    def _fs(self):
        import fsspec

        return fsspec.core.url_to_fs(self.root)[0]

    def write(self, relpath: str, data: bytes) -> Written:
        """Write `data` whole at `relpath`; returns where, how many bytes and their sha256."""
        target = self.path(relpath)
        if self.remote:
            self._fs().pipe_file(
                target, data, content_type=CONTENT_TYPE,
                fixed_key_metadata={"cache_control": cache_control(relpath)},
            )  # fmt: skip
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = temp_path(target)
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return Written(target, len(data), hashlib.sha256(data).hexdigest())

    def read(self, relpath: str) -> bytes | None:
        """The document's bytes, None when it does not exist."""
        target = self.path(relpath)
        if self.remote:
            fs = self._fs()
            return fs.cat_file(target) if fs.exists(target) else None
        try:
            with open(target, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None
