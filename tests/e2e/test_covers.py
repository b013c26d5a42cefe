"""Arranging a cover through a real browser: the supervisor arranges for a colleague to cover
their supervisee's caseload from today for a week, sees it on the covers page, and the
covering therapist opens the absent therapist's caseload and a client's chart from it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from hrp.accounts.models import Cover, User
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import expect_handled_error_response, sign_in
from tests.e2e.test_supervision import new_page_in
from tests.factories import (
    TEST_PASSWORD,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
    TOTPDeviceFactory,
)


def sign_in_as(page: Page, user: User) -> None:
    sign_in(page, email=user.email, password=TEST_PASSWORD, device=TOTPDeviceFactory(user=user))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_arranges_a_cover_and_the_cover_opens_the_caseload(
    page: Page, browser: Browser, live_server: LiveServer, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(
        full_name="Tess Therapist", email="tess@clinic.test", password=TEST_PASSWORD
    )
    colleague = TherapistFactory(
        full_name="Omar Other", email="omar@clinic.test", password=TEST_PASSWORD
    )
    supervisor = SupervisorFactory(
        full_name="Sue Supervisor", email="sue@clinic.test", password=TEST_PASSWORD
    )
    SupervisionFactory(supervisor=supervisor, supervisee=therapist)
    robin = ClientFactory(therapist=therapist, preferred_name="Robin", legal_name="Robin Ames")
    today = timezone.localdate()
    last_day = today + datetime.timedelta(days=6)

    sign_in_as(page, supervisor)
    page.goto("/covers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Covers")
    page.get_by_role("link", name="Arrange a cover").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Arrange a cover")
    page.get_by_label("Therapist who will be away").select_option(label="Tess Therapist")
    page.get_by_label("Therapist who covers").select_option(label="Omar Other")
    # The last day before the first: refused with a message, what was typed kept.
    page.get_by_label("First day").fill(last_day.isoformat())
    page.get_by_label("Last day").fill(today.isoformat())
    with expect_handled_error_response(page, browser_errors, status=400, reason="Bad Request"):
        page.get_by_role("button", name="Arrange the cover").click()
    # Beside the field, and in the error summary that takes focus above the form.
    expect(
        page.locator("form").get_by_text("The last day cannot be before the first day.")
    ).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text(
        "The last day cannot be before the first day."
    )
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("First day")).to_have_value(last_day.isoformat())
    assert Cover.objects.count() == 0

    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill(last_day.isoformat())
    page.get_by_role("button", name="Arrange the cover").click()
    expect(page.locator(".messages [role=status]")).to_have_text(
        "Omar Other will cover Tess Therapist's caseload."
    )
    row = page.locator("#covers tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tess Therapist")
    expect(row).to_contain_text("Omar Other")
    expect(row).to_contain_text("In force")
    cover = Cover.objects.get()
    assert (cover.absent, cover.cover, cover.starts_on, cover.ends_on, cover.arranged_by) == (
        therapist,
        colleague,
        today,
        last_day,
        supervisor,
    )

    # The covering therapist finds the caseload from their own home and opens the chart.
    own = new_page_in(browser, live_server, browser_errors)
    sign_in_as(own, colleague)
    own.goto(f"/clients/caseload/{therapist.pk}/")
    own.get_by_role("link", name="Robin", exact=False).first.click()
    expect(own).to_have_url(f"{live_server.url}/clients/{robin.pk}/")
    own.context.close()
