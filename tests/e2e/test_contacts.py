"""A contact outside a session through a real browser: the therapist opens the client's
Contacts tab, records yesterday's phone call (a draft), signs it with their password, and the
caseload shows it as the client's last contact."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sessions.models import OutsideContact
from tests.e2e.helpers import open_chart_tab, sign_in_as, status_messages
from tests.e2e.test_appointments import active_client, caseload_cell, go_to_caseload
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.mark.e2e
def test_therapist_records_a_phone_call_signs_it_and_it_is_the_last_contact(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    sign_in_as(page, therapist)
    go_to_caseload(page)
    expect(caseload_cell(page, client, "Last contact")).to_have_text("—")
    page.get_by_role("link", name=client.display_name, exact=True).click()
    open_chart_tab(page, "Contacts")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/contacts/$"))
    expect(page.locator("#contacts-table tbody")).to_have_text("No contacts outside sessions yet.")
    page.get_by_role("link", name="Record a contact").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Record a contact outside a session")
    page.get_by_role("group", name="Kind of contact").get_by_label("Phone call").check()
    page.get_by_label("Date").fill(yesterday.isoformat())
    page.get_by_label("Time").fill("15:30")
    page.get_by_label("Duration (minutes)").fill("12")
    page.get_by_label("Note", exact=True).fill(
        "Called after a hard night; safe now, plan for Friday."
    )
    page.get_by_role("group", name="Overdose risk").get_by_label("None noted").check()
    page.get_by_role("group", name="Suicidal thoughts").get_by_label("None noted").check()
    page.get_by_role("button", name="Save draft").click()

    expect(status_messages(page)).to_have_text(
        "Contact saved as a draft. Sign it to add it to the record."
    )
    expect(page.locator("#contact-status")).to_have_text("Draft")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign and lock").click()

    expect(status_messages(page)).to_have_text(
        "Signed. The contact is locked; corrections are addenda."
    )
    expect(page.locator("#contact-status")).to_have_text("Signed")
    expect(page.locator("#contact-summary")).to_have_text(
        "Called after a hard night; safe now, plan for Friday."
    )
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)

    go_to_caseload(page)
    expect(caseload_cell(page, client, "Last contact")).to_have_text(
        f"{yesterday.day} {yesterday:%b} {yesterday.year} Phone call"
    )
    contact = OutsideContact.objects.get()
    assert (contact.status, contact.kind, contact.duration_minutes) == ("signed", "phone", 12)
    assert contact.hash_verified() is True
