"""The README's "5-minute tour", step by step in order, in headless Chromium against the e2e lake.

The tour names a day (TOUR_DAY) whose failing check the reader will see; the e2e lake holds that day,
and the README must still name it and the UI items this test clicks, so the tour cannot drift from
the product. Steps: 1. Lineage, every group expanded (Alt+E); 2. the failing check on the named day
and that day's row count against its Parquet file; 3. a one-day materialization launched from the
Materialize dialog; 4. the season report's plot.
"""

from __future__ import annotations

import re
import subprocess
import time

import polars as pl
import pytest

from nba_assets import tables
from tests.e2e.conftest import BIN, E2E_DAYS, FAULT_DAY, REPO, E2EStack
from tests.e2e.test_browser import (  # noqa: F401
    _body_text,
    _open,
    _shot,
    _wait_for_match,
    _wait_for_text,
    browser,
    wait_for_image,
    wait_until,
)

pytestmark = pytest.mark.e2e

TOUR_DAY = FAULT_DAY  # the books post no player-points lines for game 0022500374 (sim seed 7)
TOUR_GAME = "0022500374"
# The one-day run the tour launches from the UI: a day the lake holds, outside the days the other e2e
# tests count check results for.
UI_RUN_DAY = "2025-12-03"
assert UI_RUN_DAY not in E2E_DAYS
# Every asset's node label at the zoom that fits the graph (long names are cut in the middle).
ALL_ASSETS = ["schedule", "bdl_boxscores", "nbacom_boxscores", "injuries", "prop_lines", "games",
              "player_ga", "team_game_summary", "player_features", "points_model", "_predictions",
              "prediction_grades", "_performance", "season_report", "pipeline_health"]  # fmt: skip
RUN_TIMEOUT = 240


def _tour() -> str:
    text = (REPO / "README.md").read_text()
    return text[text.index("## A 5-minute tour"):text.index("## The CLI")]


def test_readme_tour_names_what_this_test_follows():
    tour = _tour()
    for needle in ("*Lineage*", "Alt+E", f"--date {TOUR_DAY}", tables.PROP_LINES.label, "prop_availability",
                   "*Materialize…*", "*Show all partitions*", "[2026-11-01...2026-11-07]", "Launch 1 run",
                   "Show Markdown", "season_report", "*Backfills*", "nba-lake backfill --start"):
        assert needle in tour, f"the README tour no longer says {needle!r}"


def test_tour(browser, e2e_stack: E2EStack):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # 1. Lineage: groups open collapsed; Alt+E expands every group and shows every asset.
    _open(browser, e2e_stack, "/catalog", "Catalog", "Lineage")
    browser.find_element(By.XPATH, "//a[normalize-space()='Lineage']").click()
    _wait_for_text(browser, "Global asset lineage", "raw", "grading")

    def expanded(d):
        """Alt+E until the groups open: the graph takes shortcuts only once its layout has settled, and
        a press that landed shows asset names (then only wait, a second press would collapse them)."""
        text = _body_text(d)
        if all(a in text for a in ALL_ASSETS):
            return True
        if not any(a in text for a in ALL_ASSETS[:5]):  # still collapsed: nothing of the raw group shown
            ActionChains(d).key_down(Keys.ALT).send_keys("e").key_up(Keys.ALT).perform()
            time.sleep(1)  # give the press time to land before reading the page again
        return False

    wait_until(browser, expanded, f"every asset after Alt+E ({', '.join(ALL_ASSETS)})")
    _shot(browser, "tour_1_lineage_expanded.png")

    # 2. The failing check on the tour's day, with the game it names ...
    # the checks list shows each check's latest day: what the check's own latest day record says
    listed = e2e_stack.graphql(CHECK_LIST_Q, {"key": {"path": list(tables.PROP_LINES.key.path)}})
    for ck in listed["assetNodeOrError"]["assetChecksOrError"]["checks"]:
        shown = ck["executionForLatestMaterialization"]["status"]
        day = e2e_stack.graphql(CHECK_DAY_Q, {"key": {"path": list(tables.PROP_LINES.key.path)},
                                              "name": ck["name"], "p": E2E_DAYS[-1]})["assetCheckExecutions"]
        assert shown == day[0]["status"], (ck["name"], shown, day)
    _open(browser, e2e_stack, f"/assets/{tables.PROP_LINES.label}?view=checks", "prop_availability")
    _shot(browser, "tour_2_check_list.png")
    browser.find_element(By.XPATH, "//div[@title='prop_availability']").click()
    _wait_for_text(browser, "Evaluation result", "Failed", "failing_dates", "games_without_lines", TOUR_DAY)
    _shot(browser, "tour_2_failing_check.png")
    # the offending games sit behind [Show Markdown]
    row = browser.find_element(By.XPATH, "//tr[.//*[normalize-space()='offending_sample']]")
    row.find_element(By.XPATH, ".//*[contains(text(), 'Show Markdown')]").click()
    _wait_for_text(browser, TOUR_GAME, "no pre-tip lines")
    _shot(browser, "tour_2_offending_games.png")
    browser.find_element(By.XPATH, "//button[normalize-space()='Close']").click()
    # the check's own Partitions tab: one result per day
    tabs = browser.find_elements(By.XPATH, "//*[normalize-space()='Partitions' and not(*)]")
    tabs[-1].click()
    _wait_for_text(browser, "Failed (1)")
    search = browser.find_element(By.XPATH, "//input[starts-with(@placeholder, 'Filter by partition')]")
    search.send_keys(TOUR_DAY)
    WebDriverWait(browser, 30).until(
        ec.element_to_be_clickable((By.XPATH, f"//*[normalize-space()='{TOUR_DAY}' and not(*)]")),
        f"the partition {TOUR_DAY} in the check's filtered partition list",
    ).click()
    _wait_for_text(browser, "games_without_lines", "Failed")
    _shot(browser, "tour_2_check_partition_day.png")
    # ... the same from the terminal ...
    cli = subprocess.run([str(BIN / "nba-lake"), "checks", "--date", TOUR_DAY, "--failed"],
                         env=e2e_stack.env, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert "prop_availability" in cli.stdout and TOUR_GAME in cli.stdout, cli.stdout + cli.stderr
    # ... and the day's own row count, equal to its file's rows.
    rows = pl.read_parquet(e2e_stack.data_dir / "lake" / "raw" / "bdl_boxscores" / f"{TOUR_DAY}.parquet").height
    browser.get(f"{e2e_stack.base_url}/assets/{tables.BDL_BOXSCORES.label}?view=partitions&partition={TOUR_DAY}")
    text = _wait_for_match(browser, r"dagster/row_count\n[\d,]+\n", f"the row count of {TOUR_DAY}")
    shown = re.search(r"dagster/row_count\n([\d,]+)", text)
    assert shown and int(shown.group(1).replace(",", "")) == rows, (rows, text)
    _shot(browser, "tour_2_day_row_count.png")

    # 3. One day from the Materialize dialog.
    asset = tables.SCHEDULE
    before = _materializations(e2e_stack, asset, UI_RUN_DAY)
    _open(browser, e2e_stack, f"/assets/{asset.label}", "Materialize")
    browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Materialize')]").click()
    _wait_for_text(browser, "Partition selection", "Show all partitions")
    # the dialog offers the last 90 days until asked for all
    browser.find_element(By.XPATH, "//*[normalize-space()='Show all partitions' and not(*)]").click()
    WebDriverWait(browser, 30).until(lambda d: "Show all partitions" not in _body_text(d),
                                     "the dialog listing all partitions")
    box = WebDriverWait(browser, 30).until(
        ec.element_to_be_clickable((By.XPATH, "//*[@role='dialog']//input[@type='text']")),
        "the partition range input of the Materialize dialog",
    )
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(UI_RUN_DAY, Keys.ENTER)
    _wait_for_text(browser, "Launch 1 run")
    _shot(browser, "tour_3_materialize_dialog.png")
    browser.find_element(By.XPATH, "//button[normalize-space()='Launch 1 run']").click()
    deadline = time.monotonic() + RUN_TIMEOUT
    while _materializations(e2e_stack, asset, UI_RUN_DAY) == before:
        assert time.monotonic() < deadline, (
            f"the run launched from the UI did not materialize {asset.label} {UI_RUN_DAY} in {RUN_TIMEOUT}s")
        time.sleep(2)
    _open(browser, e2e_stack, "/runs", "Success", UI_RUN_DAY)
    _shot(browser, "tour_3_run.png")

    # 3b. The CLI's backfills (the e2e lake is built with `nba-lake backfill`) on the Backfills page.
    backfills = e2e_stack.graphql(BACKFILLS_Q)["partitionBackfillsOrError"]["results"]
    ours = [b for b in backfills if b["tags"] and any(t["key"] == "nba/backfill" for t in b["tags"])]
    assert ours, backfills
    assert {b["status"] for b in ours} == {"COMPLETED_SUCCESS"}, ours
    _open(browser, e2e_stack, "/overview/backfills", "Backfills", *(b["id"] for b in ours), "Success")
    _shot(browser, "tour_3_backfills_page.png")
    raw = [b for b in ours if any(a["path"][0] == "raw" for a in b["assetSelection"] or [])]
    assert raw, ours
    browser.find_element(By.XPATH, f"//a[normalize-space()='{raw[0]['id']}']").click()
    _wait_for_text(browser, raw[0]["id"], "Partition selection", f"{E2E_DAYS[0]}", "bdl_boxscores", "Succeeded")
    _shot(browser, "tour_3_backfill.png")

    # 4. The plots: season_report's metadata holds its charts as markdown images.
    _open(browser, e2e_stack, f"/assets/{tables.SEASON_REPORT.label}?view=events", "calibration", "Show Markdown")
    row = browser.find_element(By.XPATH, "//tr[.//span[normalize-space()='calibration']]")
    row.find_element(By.XPATH, ".//*[contains(text(), 'Show Markdown')]").click()
    wait_for_image(browser, "//*[@role='dialog']//img[@alt='calibration of p_over']",
                   "the calibration plot in the markdown dialog")
    _shot(browser, "tour_4_plot.png")


CHECK_LIST_Q = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { status } } } } } } }"""
CHECK_DAY_Q = """query($key: AssetKeyInput!, $name: String!, $p: String) {
  assetCheckExecutions(assetKey: $key, checkName: $name, partition: $p, limit: 1) { status } }"""
BACKFILLS_Q = """{ partitionBackfillsOrError(limit: 20) { ... on PartitionBackfills { results {
  id status numPartitions tags { key value } assetSelection { path } } } } }"""
MATS_Q = """query($key: AssetKeyInput!, $p: [String!]) { assetOrError(assetKey: $key) {
  ... on Asset { assetMaterializations(partitions: $p) { runId timestamp } } } }"""


def _materializations(stack: E2EStack, table: tables.Table, day: str) -> int:
    data = stack.graphql(MATS_Q, {"key": {"path": list(table.key.path)}, "p": [day]})
    return len(data["assetOrError"]["assetMaterializations"])
