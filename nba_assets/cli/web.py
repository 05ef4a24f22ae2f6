"""The exports page served on loopback: `web/` (the page) and the exports' `v1/` under one origin.

The page reads `v1/...` by relative URL, as it does from the exports bucket in prod, so the same files
work in both places. Documents get the Cache-Control and Content-Type the bucket gives them
(io_managers/exports.py). Standard library only: a read-only static server, nothing else.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

from io_managers.exports import CONTENT_TYPE, cache_control
from resources.settings import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"
PAGE_FILES = ("index.html", "app.js", "style.css")


class Handler(http.server.SimpleHTTPRequestHandler):
    """GET/HEAD only: `/v1/...` from the exports folder, the page's own files from web/."""

    def __init__(self, *args, web_dir: Path, exports_dir: Path, **kwargs):
        self.web_dir, self.exports_dir = web_dir, exports_dir
        super().__init__(*args, directory=str(web_dir), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/v1/"):
            self.directory = str(self.exports_dir)
        else:
            self.directory = str(self.web_dir)
            if clean.strip("/") not in ("", *PAGE_FILES):
                return str(self.web_dir / "__not_a_page_file__")  # only the page's files are served
        return super().translate_path(path)

    def end_headers(self) -> None:
        clean = self.path.split("?", 1)[0]
        if clean.startswith("/v1/") and clean.endswith(".json"):
            self.send_header("Cache-Control", cache_control(clean.lstrip("/")))
        super().end_headers()

    def guess_type(self, path: str | os.PathLike) -> str:
        return CONTENT_TYPE if str(path).endswith(".json") else super().guess_type(path)

    def list_directory(self, path):  # no directory listings
        self.send_error(404, "not found")
        return None

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


def server(exports_dir: str | Path, port: int = 8080, web_dir: Path = WEB_DIR) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1:`port` (0: any free port); `serve_forever()` runs it."""
    handler = functools.partial(Handler, web_dir=Path(web_dir), exports_dir=Path(exports_dir))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_in_thread(exports_dir: str | Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The server running in a daemon thread, and its base URL (tests, the screenshot script)."""
    srv = server(exports_dir, port)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"
