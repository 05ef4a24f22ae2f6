"""A real HTTP receiver on 127.0.0.1 standing in for Slack's Web API, a JSON webhook and a heartbeat monitor.

It records every request (method, path, query, headers, body) and answers like the real services:
Slack `chat.postMessage` -> {"ok": true, ...}; anything else -> 200 {"ok": true}. The alert code under
test sends to it with its real clients (slack_sdk's WebClient, httpx).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        ctype = self.headers.get("content-type", "")
        if "json" in ctype:
            return json.loads(self.body)
        # slack_sdk posts form-encoded unless json= is used
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                outer.requests.append(
                    Received(self.command, parts.path, parse_qs(parts.query),
                             {k.lower(): v for k, v in self.headers.items()}, body)
                )
                payload = {"ok": outer.status < 300}
                if parts.path.endswith("chat.postMessage"):
                    payload |= {"channel": "C0ALERTS", "ts": f"{len(outer.requests)}.000100"}
                data = json.dumps(payload).encode()
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def on(self, path_suffix: str) -> list[Received]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def clear(self) -> None:
        self.requests.clear()
