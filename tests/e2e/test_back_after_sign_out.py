"""Back after sign-out on a shared workstation: the browser kept no copy of the chart
(Cache-Control: no-store), so it asks the server again and gets the sign-in page.

Playwright switches Chromium's back/forward cache off by default; real browsers have it on, and
it is what would show a stored chart on Back. This test's browser has it on again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect
from pytest_django.live_server_helper import LiveServer

from tests.clients.factories import ClientFactory
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.helpers import new_page_in, sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.fixture
def page_with_back_cache(
    playwright_driver: Playwright, live_server: LiveServer, browser_errors: list[str]
) -> Iterator[Page]:
    browser: Browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    try:
        yield new_page_in(browser, live_server, browser_errors)
    finally:
        browser.close()


@pytest.mark.e2e
def test_back_after_sign_out_shows_the_sign_in_page_not_the_chart(
    page_with_back_cache: Page,
) -> None:
    page = page_with_back_cache
    therapist = TherapistFactory(full_name="Bea Back", password=TEST_PASSWORD)
    record = ClientFactory(therapist=therapist, preferred_name="Rowan", chart_number="C-BACK1")
    sign_in_as(page, therapist)
    page.goto(f"/clients/{record.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rowan")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/account/sign-in/$"))
    page.go_back(wait_until="commit")  # a page restored from the cache fires no "load"

    expect(page).to_have_url(re.compile(rf"/account/sign-in/\?next=/clients/{record.pk}/$"))
    expect(page.get_by_role("main")).not_to_contain_text("Rowan")
    expect(page.get_by_role("main")).not_to_contain_text("C-BACK1")
