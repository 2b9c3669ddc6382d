"""The status page in a real browser (headless Chromium): the demo's data, and a failing connector.

Needs Debian's `chromium` and `chromium-driver`; without them the test is skipped, or fails
when FOLLOWTHROUGH_REQUIRE_SERVICES=1 (CI installs them).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.demo import status_context
from service.web.app import create_app
from service.web.server import WebServer
from tests.service.demo_run import DemoRun, demo_run
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store.db import Database
from workflows.store.status import record_failure

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
)
DEMO_LAST_DAY = dt.datetime(2026, 3, 17, 20, 0, tzinfo=dt.UTC)  # the demo's clock at its end
CALENDAR_FAILURE = "Google refused the stored credentials (401); run `followthrough auth google`"


def _require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (
        f"{' and '.join(missing)} not found: install Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver) to run the browser test"
    )
    if os.environ.get("FOLLOWTHROUGH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by chromedriver."""
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def demo_runtime(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a copy of the store `followthrough demo` left behind, at the demo's end."""
    run: DemoRun = demo_run(tmp_path_factory)
    assert run.returncode == 0, run.stderr
    database = tmp_path / "status.db"
    shutil.copyfile(run.database, database)
    runtime = Runtime(
        db=Database(f"sqlite:///{database}"),
        config=WorkflowConfig(),
        clock=Clock.frozen_at(DEMO_LAST_DAY),
    )
    yield runtime
    runtime.db.dispose()


def _rgb(css_color: str) -> tuple[int, int, int]:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_color)[:3])
    return red, green, blue


def _contrast(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    """WCAG's contrast ratio of two sRGB colours (AA asks 4.5 for body text)."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _severe_console_entries(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_status_page_shows_the_demo_and_a_failing_connector_in_red(
    browser: Any, demo_runtime: Runtime, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    # Given the demo's store, in which the calendar's last sync has since failed
    with demo_runtime.db.transaction() as session:
        record_failure(session, "google_calendar", CALENDAR_FAILURE)

    # When a person opens the status page
    with WebServer(create_app(status_context(demo_runtime))) as server:
        browser.get(f"{server.url}/")
        screenshot = tmp_path / "status.png"
        browser.save_screenshot(str(screenshot))

        # Then it loads, with every connector of the demo
        assert browser.title == "Followthrough status"
        rows = browser.find_elements(By.CSS_SELECTOR, "#connectors tr.connector")
        states = {
            r.find_element(By.TAG_NAME, "td").text: r.get_attribute("data-state") for r in rows
        }
        assert states == {
            "Airtable": "ok",
            "Google Contacts": "ok",
            "Google Calendar": "failing",
            "Gmail": "ok",  # the demo grants gmail.metadata (without it Gmail reads "off")
        }
        # and the failing one says why, in red
        calendar = next(r for r in rows if r.text.startswith("Google Calendar"))
        assert CALENDAR_FAILURE in calendar.text
        for cell in (
            calendar.find_element(By.CSS_SELECTOR, ".state"),
            calendar.find_element(By.CSS_SELECTOR, ".reason"),
        ):
            red, green, blue = _rgb(cell.value_of_css_property("color"))
            assert red > 150 and green < 90 and blue < 90, cell.value_of_css_property("color")
        # and the demo's promises are listed, overdue in red with AA contrast (the case study
        # sent Marcus is ticked off)
        promises = browser.find_element(By.ID, "promises")
        assert "Intro him to Keiko (he asked about UX writing)" in promises.text
        assert "Send Marcus my revised portfolio case study" not in promises.text
        assert "send Maya my resume as a PDF" in promises.text
        overdue = promises.find_element(By.CSS_SELECTOR, ".overdue")
        assert overdue.text.startswith("overdue, due ")
        colour = _rgb(overdue.value_of_css_property("color"))
        assert colour[0] > 150 and _contrast(colour, (255, 255, 255)) >= 4.5
        # and the thank-yous waiting link to their drafts (the one Marcus got is not there)
        thank_yous = browser.find_element(By.ID, "thank-yous")
        assert "Maya Patel" in thank_yous.text and "Marcus" not in thank_yous.text
        links = thank_yous.find_elements(By.LINK_TEXT, "Open the draft to Maya Patel")
        assert links[0].get_attribute("href").startswith("https://mail.google.com/")
        # and the pipeline and the last 90 days are there, the pictures with words
        assert "Keeping in touch" in browser.find_element(By.ID, "stages").text
        funnel = browser.find_element(By.CSS_SELECTOR, "#last-90-days svg desc")
        assert "Meetings: " in funnel.get_attribute("textContent")
        # and the failure is among the recent errors, and the page logged no error
        assert CALENDAR_FAILURE in browser.find_element(By.ID, "recent-errors").text
        assert _severe_console_entries(browser) == []

        # and on a phone the page is one column with nothing to scroll sideways
        browser.set_window_size(390, 900)
        browser.get(f"{server.url}/")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= browser.execute_script("return window.innerWidth")
        browser.save_screenshot(str(tmp_path / "status-phone.png"))
    assert screenshot.stat().st_size > 0
