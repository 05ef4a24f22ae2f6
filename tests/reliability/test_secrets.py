"""A sentinel API key never leaves the process: live mode against a local fake of the three APIs.

The fake (a real HTTP server on 127.0.0.1, reached through the NBA_LAKE_*_BASE_URL settings) answers
from the simulated league and echoes the keys it receives in 200 bodies, and once in a 403 body. After a
succeeding and a failing run, neither key appears anywhere in the data dir (landing zone, lake), the
Dagster instance (event log with run metadata and step errors, compute logs) or the raised exception.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import httpx
import pytest

from nba_assets.raw import RAW_ASSETS, bdl_boxscores
from resources.env import resources_for
from resources.settings import settings
from resources.sim import SimClock, sim_transport
from resources.sim.wire import BDL_HOST, NBA_HOST, ODDS_HOST
from resources.sources import _sim_league
from tests.conftest import SIM_NOW, lake_instance_for_test

BDL_KEY = "sentinel-bdl-7f3a9c2e41d0"
ODDS_KEY = "sentinel-odds-5b8d0e6f13aa"
HOSTS = {"bdl": BDL_HOST, "nbacom": NBA_HOST, "odds": ODDS_HOST}
FAIL_DAY = "2025-12-09"


def _fake(state: Path) -> ThreadingHTTPServer:
    transport = sim_transport(_sim_league(7, False), SimClock(state), state)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            prefix, _, rest = self.path.lstrip("/").partition("/")
            url = f"https://{HOSTS[prefix]}/{rest}"
            req = httpx.Request("GET", url, headers={k: v for k, v in self.headers.items()
                                                     if k.lower() != "host"})
            resp = transport.handle_request(req)
            resp.read()
            status, body = resp.status_code, resp.content
            key = req.headers.get("authorization") or req.url.params.get("apiKey") or ""
            if status == 200 and body.startswith(b"{"):
                # A careless API: the request's credentials echoed in the body.
                doc = json.loads(body)
                doc["request"] = {"key": key, "url": str(req.url)}
                body = json.dumps(doc).encode()
            if FAIL_DAY in str(req.url) and "/v1/stats" in str(req.url):
                status, body = 403, json.dumps({"error": f"key {key} is not allowed here"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _grep(root: Path, secrets: tuple[str, ...]) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            blob = p.read_bytes()
            hits += [f"{p}: {s}" for s in secrets if s.encode() in blob]
    return hits


def test_a_sentinel_key_appears_in_no_file_log_metadata_or_error(tmp_path, monkeypatch):
    data, state = tmp_path / "data", tmp_path / "simstate"
    data.mkdir()
    state.mkdir()
    monkeypatch.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
    server = _fake(state)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for name, var in (("bdl", "NBA_LAKE_BDL_BASE_URL"), ("nbacom", "NBA_LAKE_NBACOM_BASE_URL"),
                          ("odds", "NBA_LAKE_ODDS_BASE_URL")):
            monkeypatch.setenv(var, f"{base}/{name}")
        monkeypatch.setenv("NBA_LAKE_SOURCE", "live")
        monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(data))
        monkeypatch.setenv("BDL_API_KEY", BDL_KEY)
        monkeypatch.setenv("ODDS_API_KEY", ODDS_KEY)
        home = tmp_path / "home"
        home.mkdir()
        with lake_instance_for_test(temp_dir=str(home)) as instance:
            ok = dg.materialize(RAW_ASSETS, resources=resources_for(settings()), instance=instance,
                                partition_key="2025-12-08")
            assert ok.success
            with pytest.raises(Exception) as failed:
                dg.materialize([bdl_boxscores], resources=resources_for(settings()), instance=instance,
                               partition_key=FAIL_DAY)
            texts = [str(failed.value), repr(failed.value)]
            for run in instance.get_runs():
                for rec in instance.all_logs(run.run_id):
                    texts.append(rec.user_message or "")
                    texts.append(repr(rec.dagster_event.event_specific_data) if rec.dagster_event else "")
    finally:
        server.shutdown()
        server.server_close()
    landed = list((data / "landing").rglob("*.json"))
    assert len(landed) > 10 and any(b'"key": "***"' in p.read_bytes() for p in landed)  # echoed, redacted
    assert "403" in str(failed.value) and "***" in str(failed.value)
    secrets = (BDL_KEY, ODDS_KEY)
    assert _grep(data, secrets) == []
    assert _grep(home, secrets) == []  # sqlite event log (metadata, errors) and compute logs
    assert [t for t in texts if any(s in t for s in secrets)] == []
