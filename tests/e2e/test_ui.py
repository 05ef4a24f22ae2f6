"""The UI a person sees: dagster-webserver on loopback over a small materialized lake, queried through
GraphQL and driven in headless Chromium (screenshots under test-artifacts/)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SIM_NOW = "2025-12-09T17:00:00+00:00"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def webserver():
    """A lake with two days of raw + analytics, the runs in a fresh instance, and the UI serving it."""
    tmp = Path(tempfile.mkdtemp(prefix="nba-e2e-"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NBA_LAKE_DATA_DIR": str(tmp / "data"),
        "NBA_LAKE_SOURCE": "sim",
        "NBA_LAKE_SIM_NOW": SIM_NOW,
    }
    cli = str(Path(sys.executable).with_name("nba-lake"))
    # A 2-day range (one run per layer) then a single day (a partitioned run: per-partition checks).
    for start, layer in (("2025-12-07", "raw"), ("2025-12-07", "analytics"), ("2025-12-08", "raw")):
        proc = subprocess.run(
            [cli, "backfill", "--start", start, "--end", "2025-12-08", "--select", layer],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    port = _free_port()
    log = open(tmp / "webserver.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"dagster-webserver did not come up; see {tmp / 'webserver.log'}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _gql(url: str, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


ASSETS_Q = """query { assetNodes { assetKey { path } automationCondition { label }
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""
CHECK_Q = """query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 5) { status evaluation { success } } }"""
SENSORS_Q = """query { repositoriesOrError { ... on RepositoryConnection { nodes {
  sensors { name sensorState { status } } schedules { name scheduleState { status } } } } } }"""


def test_graphql_lists_every_asset_check_and_sensor(webserver):
    from nba_assets.definitions import defs

    nodes = _gql(webserver, ASSETS_Q)["assetNodes"]
    listed = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert listed == {s.key.to_user_string() for s in defs.resolve_all_asset_specs()}
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    checks = {c["name"]: c for c in by_key["raw/bdl_boxscores"]["assetChecksOrError"]["checks"]}
    assert checks["no_duplicate_keys"]["blocking"] is True
    assert {"no_rejected_records", "no_source_duplicates"} <= set(checks)
    assert by_key["features/player_features"]["automationCondition"]["label"] == "rerun_on_upstream_update"

    runs = _gql(webserver, CHECK_Q, {"key": {"path": ["raw", "bdl_boxscores"]}, "name": "no_rejected_records"})
    assert runs["assetCheckExecutions"][0]["status"] == "SUCCEEDED"

    repo = _gql(webserver, SENSORS_Q)["repositoriesOrError"]["nodes"][0]
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors == {"nba_automation": "RUNNING", "late_boxscore_sensor": "RUNNING", "record_run_failures": "RUNNING"}
    schedules = {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
    assert set(schedules.values()) == {"RUNNING"} and "game_day_schedule" in schedules


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("Debian chromium/chromedriver not installed (make test installs them as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="nba-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1400,900"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(drv, url: str, expect: list[str], shot: str, timeout: float = 60) -> str:
    """Load a page, dismiss the first-run modal, wait until every `expect` text is rendered, screenshot."""
    from selenium.webdriver.common.by import By

    drv.get(url)
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        for button in drv.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
            try:
                button.click()
            except Exception:  # the modal may re-render between find and click
                pass
        text = drv.find_element(By.TAG_NAME, "body").text
        if all(e in text for e in expect):
            break
        time.sleep(1)
    ARTIFACTS.mkdir(exist_ok=True)
    drv.save_screenshot(str(ARTIFACTS / shot))
    missing = [e for e in expect if e not in text]
    assert not missing, f"{url} never showed {missing}; page text starts: {text[:500]!r}"
    return text


def test_asset_graph_and_an_assets_checks_render(webserver, browser):
    # The lineage graph shows the layers as groups, left to right: raw -> ... -> grading.
    _open(browser, f"{webserver}/asset-groups", ["raw", "analytics", "features", "predictions", "grading"],
          "asset_graph.png")
    _open(browser, f"{webserver}/assets", ["bdl_boxscores", "player_game_summary", "player_features"],
          "asset_catalog.png")
    _open(browser, f"{webserver}/assets/raw/bdl_boxscores?view=partitions", ["Materialized (2)", "Missing"],
          "bdl_boxscores_partitions.png")
    text = _open(browser, f"{webserver}/assets/raw/bdl_boxscores?view=checks",
                 ["no_duplicate_keys", "no_rejected_records"], "bdl_boxscores_checks.png")
    assert any(word in text for word in ("Passed", "Succeeded", "passed", "succeeded"))
