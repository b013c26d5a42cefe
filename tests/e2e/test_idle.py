"""Automatic logoff in the browser: a warning before the idle limit, then the screen clears."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from tests.e2e.helpers import sign_in
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory

# 12 seconds: the warning shows 4 seconds before the end (a third of the limit, at most two
# minutes), and the page checks every second.
IDLE_MINUTES = 0.2


def _signed_in_therapist(page: Page) -> None:
    therapist = TherapistFactory(full_name="Ida Idle", password=TEST_PASSWORD)
    device = TOTPDeviceFactory(user=therapist)
    sign_in(page, email=therapist.email, password=TEST_PASSWORD, device=device)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")


@pytest.mark.e2e
def test_an_idle_page_warns_then_leaves_the_chart_for_the_sign_in_page(
    page: Page, settings: Settings
) -> None:
    settings.IDLE_TIMEOUT_MINUTES = IDLE_MINUTES
    _signed_in_therapist(page)

    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    # The warning states the time actually left, and counts it down.
    stated = re.fullmatch(
        r"For privacy you will be signed out in 0:0([0-4]) unless you continue\.",
        page.locator("#idle-warning-text").inner_text(),
    )
    assert stated is not None
    seen_at = time.monotonic()

    expect(page).to_have_url(re.compile(r"/account/sign-in/$"), timeout=15_000)
    # Within the page's one-second tick (and the trip to the sign-in page) of what it said.
    assert -1.0 <= time.monotonic() - seen_at - int(stated.group(1)) <= 2.5
    expect(page.get_by_role("status")).to_contain_text("You were signed out after")
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/account/sign-in/\?next=/clients/$"))


@pytest.mark.e2e
def test_stay_signed_in_keeps_the_session(page: Page, settings: Settings) -> None:
    settings.IDLE_TIMEOUT_MINUTES = IDLE_MINUTES
    _signed_in_therapist(page)

    stay = page.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_visible(timeout=15_000)
    with page.expect_response(re.compile(r"/account/keepalive/$")) as keepalive:
        stay.click()
    assert keepalive.value.status == 204
    expect(page.get_by_role("alertdialog")).to_be_hidden()

    page.reload()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")


@pytest.mark.e2e
def test_a_shorter_idle_setting_reaches_a_page_already_open(page: Page, settings: Settings) -> None:
    settings.IDLE_TIMEOUT_MINUTES = 1
    _signed_in_therapist(page)
    opened_at = time.monotonic()

    # The clinic admin shortens the limit while the caseload is on screen.
    settings.IDLE_TIMEOUT_MINUTES = IDLE_MINUTES

    # The page asks the server within ten seconds (a sixth of its one-minute limit) and
    # follows the new limit, long before its old timer would have warned.
    expect(page).to_have_url(re.compile(r"/account/sign-in/$"), timeout=25_000)
    assert time.monotonic() - opened_at < 30
    expect(page.get_by_role("status")).to_contain_text("You were signed out after")
