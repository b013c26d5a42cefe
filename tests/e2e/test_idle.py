"""Automatic logoff in the browser: a warning before the idle limit, then the screen clears."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from tests.e2e.helpers import sign_in
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory

# 12 seconds: the warning shows 4 seconds before the end (a third of the limit, at most two
# minutes), and the page checks every 5 seconds.
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
    expect(warning).to_contain_text("you will be signed out in two minutes")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()

    expect(page).to_have_url(re.compile(r"/account/sign-in/$"), timeout=15_000)
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
