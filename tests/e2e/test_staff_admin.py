"""A clinic admin manages staff accounts through a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from hrp.accounts.models import User
from tests.e2e.helpers import DEFAULT_TIMEOUT_MS, enter_password, sign_in
from tests.factories import TEST_PASSWORD, ClinicAdminFactory, TOTPDeviceFactory


def sign_in_as_admin(page: Page) -> User:
    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    device = TOTPDeviceFactory(user=admin)
    sign_in(page, email=admin.email, password=TEST_PASSWORD, device=device)
    # A clinic admin without a clinical role lands on account management.
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    return admin


def open_new_account_form(page: Page) -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Staff accounts"
    ).click()
    expect(page).to_have_url(re.compile(r"/account/staff/$"))
    page.get_by_role("link", name="New account").click()
    expect(page).to_have_url(re.compile(r"/account/staff/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New staff account")


@pytest.mark.e2e
def test_clinic_admin_creates_a_therapist_account_and_the_link_sets_a_password(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    sign_in_as_admin(page)
    open_new_account_form(page)

    page.get_by_label("Email").fill("Nia.New@Clinic.test")
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_label("Therapist", exact=True).check()
    page.get_by_role("button", name="Create account and send link").click()

    expect(page.get_by_role("status")).to_have_text(
        "Account created. A link to set a password was sent to nia.new@clinic.test."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Nia Newcomer")
    expect(page.get_by_text("nia.new@clinic.test · Therapist", exact=True)).to_be_visible()
    created = User.objects.get(email="nia.new@clinic.test")
    expect(page).to_have_url(re.compile(rf"/account/staff/{created.pk}/$"))
    assert (created.full_name, created.is_therapist, created.is_supervisor) == (
        "Nia Newcomer",
        True,
        False,
    )
    assert created.is_clinic_admin is False
    assert created.has_usable_password() is False

    # The locmem mail backend keeps one outbox per process, so the live server thread's email
    # is visible here.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["nia.new@clinic.test"]
    assert email.subject == "Set your password for HRP Clinic"
    links = re.findall(rf"{re.escape(live_server.url)}/account/set-password/\S+/", email.body)
    assert len(links) == 1, email.body

    # The new colleague follows the link in their own browser and sets a password.
    colleague = browser.new_context(base_url=live_server.url)
    colleague.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        colleague_page = colleague.new_page()
        colleague_page.goto(links[0])
        expect(colleague_page.get_by_role("heading", level=1)).to_have_text("Set your password")
        new_password = "lantern-river-orchard-92"
        colleague_page.get_by_label(re.compile(r"^\s*New password\*?\s*$")).fill(new_password)
        colleague_page.get_by_label("New password confirmation").fill(new_password)
        colleague_page.get_by_role("button", name="Set password").click()
        expect(colleague_page.get_by_role("heading", level=1)).to_have_text("Password set")
        colleague_page.get_by_role("link", name="Sign in").click()
        enter_password(colleague_page, email="nia.new@clinic.test", password=new_password)
        expect(colleague_page.get_by_role("heading", level=1)).to_have_text(
            "Set up two-factor sign-in"
        )
    finally:
        colleague.close()


@pytest.mark.e2e
def test_new_account_without_a_role_is_refused_and_keeps_what_was_typed(page: Page) -> None:
    sign_in_as_admin(page)
    open_new_account_form(page)

    page.get_by_label("Email").fill("no.role@clinic.test")
    page.get_by_label("Full name").fill("Noor Norole")
    page.get_by_role("button", name="Create account and send link").click()

    expect(page.get_by_text("Choose at least one role.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("New staff account")
    expect(page.get_by_label("Email")).to_have_value("no.role@clinic.test")
    expect(page.get_by_label("Full name")).to_have_value("Noor Norole")
    expect(page.get_by_label("Therapist", exact=True)).not_to_be_checked()
    assert User.objects.filter(email="no.role@clinic.test").exists() is False
    assert mail.outbox == []
