"""The UI in headless Chromium against the small lake: graph, partitions, checks and report plots.

Each page is asserted on its rendered DOM and screenshotted to <repo>/test-artifacts/e2e/ (git-ignored)
so a person can look at what the test saw. Needs Debian's chromium + chromium-driver (`make chromium`
installs them); without them the tests skip and say why.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from tests.e2e.conftest import E2E_DAYS, E2E_END, E2E_START, REPO, E2EStack

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Flags for headless Chromium as root on a dev/CI box (docs/architecture.md §9).
CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,900",
]  # fmt: skip
PAGE_TIMEOUT = 45
GROUPS = ["analytics", "features", "grading", "monitoring", "predictions", "raw"]


def _skip_reason() -> str | None:
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not Path(exe).exists():
            return f"{Path(exe).name} not found (`make chromium` as root installs it)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed in the venv (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser(e2e_stack: E2EStack):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="nba-e2e-chromium-") as profile:
        opts.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            _dismiss_community_modal(driver, e2e_stack.base_url)
            yield driver
        finally:
            driver.quit()


def _dismiss_community_modal(driver, base_url: str) -> None:
    """A fresh profile gets a 'Join the Dagster community' modal over every page; Skip it once."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base_url}/runs")
    _wait_for_text(driver, "Runs")
    skip = (By.XPATH, "//button[normalize-space()='Skip']")
    try:
        WebDriverWait(driver, 15).until(ec.element_to_be_clickable(skip)).click()
    except TimeoutException:
        return  # no modal in this UI version
    WebDriverWait(driver, 10).until(ec.invisibility_of_element_located(skip))


def _body_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _wait_for_text(driver, *texts: str, timeout: float = PAGE_TIMEOUT) -> str:
    """Wait until every text is in the rendered page; return the page text."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.3).until(
            lambda d: all(t in _body_text(d) for t in texts)
        )
    except TimeoutException:
        shot = ARTIFACTS / "timeout.png"
        driver.save_screenshot(str(shot))
        missing = [t for t in texts if t not in _body_text(driver)]
        raise AssertionError(f"{driver.current_url}: {missing} not rendered (screenshot {shot})") from None
    return _body_text(driver)


def wait_until(driver, condition, what: str, timeout: float = PAGE_TIMEOUT):
    """Poll `condition(driver)` until it is truthy and return its value; after `timeout` seconds fail
    saying what never appeared, with a screenshot and the page text."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.3,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        shot = ARTIFACTS / "timeout.png"
        driver.save_screenshot(str(shot))
        raise AssertionError(
            f"{driver.current_url}: {what} never appeared within {timeout:.0f}s (screenshot {shot}); "
            f"page text: {_body_text(driver)[:1500]!r}"
        ) from None


def _wait_for_match(driver, pattern: str, what: str, timeout: float = PAGE_TIMEOUT) -> str:
    """Wait until the page text matches `pattern` (the data itself, not just its labels); return it."""
    wait_until(driver, lambda d: re.search(pattern, _body_text(d)), what, timeout)
    return _body_text(driver)


def wait_for_image(driver, xpath: str, what: str, min_width: int = 100):
    """The image at `xpath`, once the browser has decoded it (not a broken-image icon)."""
    from selenium.webdriver.common.by import By

    def decoded(d):
        imgs = d.find_elements(By.XPATH, xpath)
        ok = imgs and d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", imgs[0])
        return imgs[0] if ok and ok > min_width else None

    return wait_until(driver, decoded, f"{what} (decoded, wider than {min_width} px)")


def _open(driver, stack: E2EStack, path: str, *texts: str) -> str:
    driver.get(stack.base_url + path)
    return _wait_for_text(driver, *texts)


def _shot(driver, name: str) -> Path:
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000, f"{path} is suspiciously small"
    return path


def test_asset_graph_shows_every_group_and_asset(browser, e2e_stack: E2EStack):
    # Groups start collapsed; `expanded=` (what the UI's "Expand all groups", Alt+E, writes) opens them.
    expanded = ",".join(f"global@global:{g}" for g in GROUPS)
    text = _open(
        browser,
        e2e_stack,
        "/asset-groups?" + urllib.parse.urlencode({"expanded": expanded}),
        "Global asset lineage",
        "bdl_boxscores",
        "nbacom_boxscores",
        "team_game_summary",
        "points_model",
    )
    for group in GROUPS:
        assert group in text
    # At the zoom that fits 15 assets the node labels are middle-truncated ("player_ga…_summary").
    assert "player_ga" in text
    _shot(browser, "asset_graph.png")


def test_group_lineage_shows_assets_with_checks_and_partitions(browser, e2e_stack: E2EStack):
    text = _open(
        browser,
        e2e_stack,
        "/locations/nba_assets.definitions/asset-groups/analytics/lineage",
        "player_game_summary",
        "team_game_summary",
        "games",
        "Asset checks",
        " Passed",  # the check tallies load after the nodes: wait for them, not only the labels
    )
    # each node carries its check tally, partition fill and automation rows; the nodes first render
    # "Latest event –" and "Loading...", so wait until every node shows its loaded values
    def loaded(d):
        text = _body_text(d)
        nodes = [re.search(rf"(?:^|\n){name}\nLatest event\n(?!–)[^\n]+\nAsset checks\n\d+ / \d+ Passed\n"
                           r"Partitions\n", text) for name in ("games", "player_game_summary", "team_game_summary")]
        return text if all(nodes) and "Loading..." not in text else None

    text = wait_until(browser, loaded, "the three analytics nodes with their latest event and check tally, "
                      "nothing 'Loading...'")
    assert re.search(r"player_game_summary\nLatest event\n(?!–)[^\n]+\nAsset checks\n\d+ / 4 Passed", text)
    # upstream raw assets are drawn as links beside the group
    assert "bdl_boxscores" in text
    _shot(browser, "group_analytics_lineage.png")


def test_partition_view_shows_materialized_days(browser, e2e_stack: E2EStack):
    _open(
        browser,
        e2e_stack,
        f"/assets/raw/bdl_boxscores?view=partitions&partition={E2E_END}",
        "Materialized (7)",
        "Latest materialization",
        "range_row_count",
        "Failed (0)",
        "ingest_and_features",  # the job of the backfill run
    )
    _shot(browser, "bdl_boxscores_partitions.png")


def test_checks_view_shows_a_passed_check(browser, e2e_stack: E2EStack):
    from selenium.webdriver.common.by import By

    from nba_assets import tables
    from nba_assets.definitions import defs

    n = sum(1 for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key == tables.BDL_BOXSCORES.key)
    _open(browser, e2e_stack, "/assets/raw/bdl_boxscores?view=checks", f"Checks ({n})", "no_duplicate_keys")
    browser.find_element(By.XPATH, "//div[@title='no_duplicate_keys']").click()
    _wait_for_text(browser, "This is a blocking asset check", "Evaluation result", "Passed", "evaluated_dates",
                   f"{E2E_START}..{E2E_END}")
    _shot(browser, "bdl_boxscores_checks.png")


@pytest.mark.parametrize(
    ("asset", "check", "failed"),
    [("raw/bdl_boxscores", "no_duplicate_keys", 0), ("raw/prop_lines", "prop_availability", 1)],
)
def test_check_partitions_show_each_day_of_the_range_backfill(browser, e2e_stack: E2EStack, asset, check, failed):
    """The week was backfilled in one single-run range; the check's Partitions tab still shows a
    result for every day: passed, or failed on the fault day (where the books posted no lines for a
    game), and none skipped."""
    from selenium.webdriver.common.by import By

    _open(browser, e2e_stack, f"/assets/{asset}?view=checks&checkDetail={check}", check, "Execution history")
    browser.find_element(By.XPATH, "//button[normalize-space()='Partitions']").click()
    days = len(E2E_DAYS)
    _wait_for_text(browser, "Skipped (0)", f"Failed ({failed})", f"Passed ({days - failed})", "In Progress (0)",
                   "Execution Failed (0)")
    _shot(browser, f"{check}_partitions.png")


def test_report_plot_renders_from_markdown_data_uri(browser, e2e_stack: E2EStack):
    """season_report's `calibration` metadata is markdown with an inline data:image/png URI.

    Long markdown values show as '[Show Markdown]' in the metadata table; the dialog it opens renders
    the markdown, including the image.
    """
    from selenium.webdriver.common.by import By

    _open(browser, e2e_stack, "/assets/grading/season_report?view=events", "calibration", "Show Markdown")
    row = browser.find_element(By.XPATH, "//tr[.//span[normalize-space()='calibration']]")
    row.find_element(By.XPATH, ".//*[contains(text(), 'Show Markdown')]").click()
    _wait_for_text(browser, "Close")
    img = wait_for_image(browser, "//*[@role='dialog']//img[@alt='calibration of p_over']",
                         "the calibration plot in the markdown dialog")
    assert img.get_attribute("src").startswith("data:image/png;base64,")
    _shot(browser, "season_report_calibration.png")
