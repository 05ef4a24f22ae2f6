"""The publishing layer end to end on a short-window lake (sim league, seed 7): the exports written by the
real assets validate and re-write byte for byte, their checks judge them, `nba-lake trace --export`
follows a pick back to its sources, `nba-lake web` serves them, and the page shows them in headless
Chromium (tests/e2e/test_browser.py's setup; skipped with the reason when Chromium is missing).

One lake for the module: raw -> features for 2025-12-04..12, predictions and grades for 12-09..12, the
exports for 12-09..12 (the slate of 12-12 is "tonight" at the sim clock; 12-10 is the seeded fault day
whose late box score leaves its results incomplete).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from checks import exports as rules
from checks.export_checks import DOCUMENTS_VALID, FRESH_BEFORE_TIPOFF, RESULTS_COMPLETE
from nba_assets.cli.trace_export import trace_export
from nba_assets.cli.web import serve_in_thread
from nba_assets.definitions import build_definitions
from tests.conftest import SIM_NOW, lake_instance_for_test, range_tags
from tests.e2e.test_browser import CHROME_FLAGS, CHROMEDRIVER, CHROMIUM, _skip_reason

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
FIRST, START, END = "2025-12-04", "2025-12-09", "2025-12-12"
FAULT_DAY = "2025-12-10"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    data = tmp_path_factory.mktemp("exports") / "data"
    with pytest.MonkeyPatch.context() as mp, lake_instance_for_test() as instance:
        mp.setenv("NBA_LAKE_DATA_DIR", str(data))
        mp.setenv("NBA_LAKE_SOURCE", "sim")
        mp.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
        defs = build_definitions()
        runs = {}
        for job, lo in (("ingest_and_features", FIRST), ("predict_and_grade", START), ("publish_exports", START)):
            runs[job] = defs.resolve_job_def(job).execute_in_process(instance=instance, tags=range_tags(lo, END))
            assert runs[job].success, job
        yield {"data": data, "exports": data / "exports", "defs": defs, "instance": instance,
               "checks": runs["publish_exports"].get_asset_check_evaluations()}  # fmt: skip


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.json"))}


def test_every_document_validates_against_its_schema(lake):
    root = lake["exports"] / "v1"
    docs = {p: json.loads(p.read_text()) for p in root.rglob("*.json")}
    kinds: dict[str, list[int]] = {}
    for path, doc in docs.items():
        rules.validator(doc["document"]).validate(doc)
        kinds.setdefault(doc["document"], []).append(path.stat().st_size)
    assert set(kinds) == {"tonight", "best_bets", "results", "leaderboard", "player"}
    print({k: f"{len(v)} files, {sum(v) / 1024:.1f} kB, max {max(v) / 1024:.1f} kB" for k, v in kinds.items()})
    tonight = json.loads((root / "tonight.json").read_text())
    assert tonight["game_date"] == END and tonight["games"] and tonight["as_of"] <= SIM_NOW.isoformat()
    assert (root / "tonight.json").read_bytes() == (root / "slates" / END / "tonight.json").read_bytes()


def test_checks_pass_and_name_the_fault_days_incomplete_results(lake):
    by = {}
    for ev in lake["checks"]:
        if ev.partition:
            by[(ev.asset_key.to_user_string(), ev.check_name, ev.partition)] = ev.passed
    assert by, "the checks logged one evaluation per day"
    assert all(v for (key, name, _), v in by.items() if name in (DOCUMENTS_VALID, FRESH_BEFORE_TIPOFF)), by
    results = {day: v for (key, name, day), v in by.items() if name == RESULTS_COMPLETE}
    assert results[FAULT_DAY] is False  # its late box score: one final game not graded yet
    assert results["2025-12-09"] and results["2025-12-11"] and results[END]  # 12-12: not final, not due yet


def test_rerunning_days_rewrites_the_same_bytes(lake):
    before = _hashes(lake["exports"])
    res = lake["defs"].resolve_job_def("publish_exports").execute_in_process(
        instance=lake["instance"], tags=range_tags(END, END))
    assert res.success
    assert _hashes(lake["exports"]) == before


def test_trace_follows_an_exported_pick_to_its_sources(lake, tmp_path):
    exports = lake["exports"]
    t = trace_export(str(lake["data"]), str(exports), "v1/best_bets.json")
    schema = json.loads((REPO / "docs" / "trace.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(t, default=str)), schema)
    assert t["export"]["pick"]["rank"] == 1 and all(c["matches"] for c in t["export"]["checks"].values())
    assert t["prediction"]["row"]["recommendation"] == t["export"]["pick"]["side"]
    assert t["summary_rows"] and t["prop_lines"]["snapshots"]  # down to box scores and line snapshots
    # The same pick found by its id alone, and a document that disagrees with the lake is named.
    same = trace_export(str(lake["data"]), str(exports), t["export"]["pick"]["pick_id"])
    assert same["row_id"] == t["row_id"]
    doc = json.loads((exports / "v1" / "best_bets.json").read_text())
    doc["picks"][0]["side"] = "UNDER" if doc["picks"][0]["side"] == "OVER" else "OVER"
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    edited = trace_export(str(lake["data"]), str(exports), str(tmp_path / "edited.json"))
    assert not edited["export"]["checks"]["side"]["matches"] and "differs" in edited["notes"][-1]


def test_nba_lake_web_serves_the_page_and_the_exports(lake, tmp_path, monkeypatch, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NBA_LAKE_DATA_DIR": str(lake["data"]), "NBA_LAKE_SIM_NOW": SIM_NOW.isoformat(),
           "DAGSTER_HOME": str(tmp_path / "home")}  # fmt: skip
    exe = Path(sys.executable).with_name("nba-lake")
    proc = subprocess.Popen([str(exe), "web", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(base + "/", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "nba-lake web did not start"
                time.sleep(0.3)
        assert page.status_code == 200 and "app.js" in page.text
        doc = httpx.get(base + "/v1/tonight.json", timeout=5)
        assert doc.headers["cache-control"].startswith("public, max-age=60")
        assert doc.headers["content-type"] == "application/json"
        assert doc.content == (lake["exports"] / "v1" / "tonight.json").read_bytes()
        assert httpx.get(base + "/pyproject.toml", timeout=5).status_code == 404  # the page's files only
        assert httpx.get(base + "/v1/", timeout=5).status_code == 404  # no listings
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    from nba_assets.cli.commands import entry

    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(tmp_path))
    assert entry(["web"]) == 1 and "no exports in" in capsys.readouterr().err


def test_the_page_shows_picks_best_bets_results_leaderboard_and_chart(lake):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    root = lake["exports"] / "v1"
    best = json.loads((root / "best_bets.json").read_text())
    board = json.loads((root / "leaderboard.json").read_text())
    results = json.loads((root / "results" / f"{board['latest_graded_day']}.json").read_text())
    srv, base = serve_in_thread(lake["exports"])
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in [*CHROME_FLAGS, "--window-size=1300,2000"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.get(base + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_element("tag name", "body").get_attribute("data-loaded"))
        assert driver.find_element("tag name", "body").get_attribute("data-loaded") == "true", \
            driver.find_element("id", "status").text
        css = lambda q: driver.find_elements("css selector", q)  # noqa: E731
        assert [r.get_attribute("data-pick") for r in css("#best-bets tbody tr")] == [p["pick_id"] for p in best["picks"]]
        tonight = json.loads((root / "tonight.json").read_text())
        assert len(css("#tonight tr.player")) == sum(len(g["players"]) for g in tonight["games"]) > 0
        assert len(css("#tonight .game")) == len(tonight["games"])
        champion_picks = [p for p in results["picks"] if p["champion_pick"]]
        assert len(css("#results tbody tr")) == len(champion_picks) > 0
        assert len(css("#leaderboard tbody tr")) == 3 * len(board["systems"])
        path = css("#champion-chart svg path")
        assert path and path[0].get_attribute("data-points") == str(len(board["champion_record"]))
        assert board["champion"] in driver.find_element("id", "leaderboard-meta").text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "exports_page.png"))
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        driver.quit()
        srv.shutdown()
