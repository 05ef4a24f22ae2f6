"""A loopback HTTP proxy in front of the GCS emulator that can answer 503 to everything for a while:
a burst of GCS errors as Google Cloud Storage shows them (503 Service Unavailable, a JSON error body),
for every client of the deployment (the code server's sensors, the run workers, the CLI)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class Gcs503Proxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.fail_until = 0.0
        self.failed = 0  # requests answered 503
        self.forwarded = 0
        outer = self
        client = httpx.Client(timeout=120, follow_redirects=False)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                if time.monotonic() < outer.fail_until:
                    outer.failed += 1
                    data = json.dumps({"error": {"code": 503, "message": "Service Unavailable (soak)",
                                                 "errors": [{"reason": "backendError"}]}}).encode()
                    self._reply(503, {"content-type": "application/json"}, data)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                try:
                    r = client.request(self.command, outer.upstream + self.path, headers=headers, content=body)
                except httpx.HTTPError as exc:
                    self._reply(502, {"content-type": "text/plain"}, str(exc).encode())
                    return
                outer.forwarded += 1
                self._reply(r.status_code, {k: v for k, v in r.headers.items() if k.lower() not in HOP}, r.content)

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail_for(self, seconds: float) -> None:
        """Answer 503 to every request for the next `seconds`."""
        self.fail_until = time.monotonic() + seconds

    @property
    def failing(self) -> bool:
        return time.monotonic() < self.fail_until

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A client closing its connection (gcsfs giving up on a 503 and reconnecting) is not an error."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
