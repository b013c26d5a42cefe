"""Playwright fixtures: one Chromium for the session, a fresh browser context for every test.

Every page records what the browser console reports as an error (a Content-Security-Policy
refusal of an inline style or script is reported there, as is a static file that 404s) and
every uncaught exception. A test whose page logged any of these fails, so an inline `style=`
or `<script>` that slips into a template is caught by the first browser test that renders it.

Chromium is Debian's (/usr/bin/chromium, or E2E_CHROMIUM); Playwright's own browser downloads
are not used. Deselect these tests with `-m "not e2e"` on a machine without Chromium.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import new_page_in

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

BROWSER_ERRORS = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install Debian's chromium package, set "
            "E2E_CHROMIUM, or deselect browser tests with -m 'not e2e'."
        )
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def browser_errors(request: pytest.FixtureRequest) -> list[str]:
    """Console errors and uncaught exceptions seen by this test's pages, in order."""
    return request.node.stash.setdefault(BROWSER_ERRORS, [])


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, browser_errors: list[str]) -> Iterator[Page]:
    """A page in a new browser context (no cookies shared between tests), at the live server."""
    page = new_page_in(browser, live_server, browser_errors)
    yield page
    page.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail (not merely error at teardown) a test whose browser console showed an error."""
    result = yield
    errors = item.stash.get(BROWSER_ERRORS, [])
    if errors:
        raise AssertionError("The browser reported errors:\n  " + "\n  ".join(errors))
    return result
