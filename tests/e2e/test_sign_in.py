"""Signing in through a real browser: password, two-factor, enrolment, sign-out, layout."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from hrp.accounts.demo import DEMO_PASSWORD, seed_demo_staff
from tests.e2e.helpers import (
    enter_code,
    enter_password,
    sign_in,
    totp_code_from_secret,
)
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory, totp_code


@pytest.mark.e2e
def test_demo_therapist_signs_in_with_password_and_code_and_signs_out(page: Page) -> None:
    seed_demo_staff()
    device = TOTPDevice.objects.get(user__email="therapist1@demo.hrp-clinic.test")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/account/sign-in/\?next=/$"))
    enter_password(page, email="therapist1@demo.hrp-clinic.test", password=DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    enter_code(page, code=totp_code(device))

    # A therapist's home is their caseload (no clients seeded here, only staff).
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page).to_have_title("My caseload · HRP Clinic")
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="My caseload")).to_have_attribute(
        "aria-current", "page"
    )
    expect(navigation.get_by_role("link", name="Sam Patel (your account)")).to_be_visible()
    expect(page.get_by_role("table").locator("caption")).to_have_text("0 clients")

    navigation.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/account/sign-in/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    # The session really ended: the home page sends us back to sign in.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/account/sign-in/\?next=/$"))


@pytest.mark.e2e
def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes(page: Page) -> None:
    therapist = TherapistFactory(full_name="Nia Newcomer", password=TEST_PASSWORD)

    page.goto("/account/sign-in/")
    enter_password(page, email=therapist.email, password=TEST_PASSWORD)

    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.locator(".qr-code svg")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret), secret
    page.get_by_label("Code").fill(totp_code_from_secret(secret))
    page.get_by_role("button", name="Confirm and continue").click()

    expect(page).to_have_url(re.compile(r"/account/recovery-codes/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    codes = page.get_by_role("list", name="Your recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    shown = codes.all_inner_texts()
    assert all(re.fullmatch(r"\d{5}-\d{5}", code) for code in shown), shown
    stored = StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True)
    assert sorted(stored) == sorted(shown)
    assert TOTPDevice.objects.filter(user=therapist, confirmed=True).count() == 1

    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")


@pytest.mark.e2e
def test_sign_in_page_is_keyboard_and_screen_reader_friendly(page: Page) -> None:
    page.goto("/account/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)

    # The Email field has autofocus, so a keyboard user starts inside <main>, in the form; the
    # skip link is the page's first tab stop, one step back past the clinic name.
    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    skip_link = page.get_by_role("link", name="Skip to main content")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="HRP Clinic")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    controls = page.locator(
        "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"
    )
    expect(controls).to_have_count(2)
    expect(page.get_by_role("button", name="Continue")).to_have_count(1)
    expect(email).to_have_attribute("type", "email")
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    # Every visible form control has exactly one label pointing at it.
    for index in range(controls.count()):
        control_id = controls.nth(index).get_attribute("id")
        assert control_id, f"form control {index} has no id for a label to point at"
        expect(page.locator(f"label[for='{control_id}']")).to_have_count(1)


@pytest.mark.e2e
def test_skip_link_is_the_first_tab_stop_on_a_page_without_autofocus(page: Page) -> None:
    page.goto("/account/sign-in/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")

    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()


@pytest.mark.e2e
def test_therapist_home_fits_a_tablet_without_sideways_scrolling(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Tablet", password=TEST_PASSWORD)
    device = TOTPDeviceFactory(user=therapist)
    page.set_viewport_size({"width": 768, "height": 1024})

    sign_in(page, email=therapist.email, password=TEST_PASSWORD, device=device)

    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    navigation = page.get_by_role("navigation", name="Main navigation")
    # Below Bootstrap's xl breakpoint (1200px) the navbar's many links fold behind the toggler,
    # so they never wrap or push the page sideways on a tablet.
    toggler = navigation.get_by_role("button", name="Show navigation")
    expect(toggler).to_be_visible()
    expect(navigation.get_by_role("link", name="My caseload")).to_be_hidden()
    toggler.click()
    expect(navigation.get_by_role("link", name="My caseload")).to_be_visible()
    expect(navigation.get_by_role("button", name="Sign out")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


@pytest.mark.e2e
def test_navbar_toggler_opens_the_menu_on_a_phone(page: Page) -> None:
    therapist = TherapistFactory(full_name="Pia Phone", password=TEST_PASSWORD)
    device = TOTPDeviceFactory(user=therapist)
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in(page, email=therapist.email, password=TEST_PASSWORD, device=device)

    navigation = page.get_by_role("navigation", name="Main navigation")
    sign_out = navigation.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_hidden()
    # Bootstrap's collapse script must run under the CSP ('self' scripts only).
    navigation.get_by_role("button", name="Show navigation").click()
    expect(sign_out).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


@pytest.mark.e2e
def test_console_guard_records_a_csp_refusal(page: Page, browser_errors: list[str]) -> None:
    """The guard that fails tests on console errors does see CSP refusals."""
    page.goto("/account/sign-in/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )
    refusals = [e for e in browser_errors if "Content Security Policy" in e]
    assert len(refusals) == 1, browser_errors
    browser_errors.clear()
