"""A referral to methadone through a real browser: the therapist offers it (suggested), records
the client's interest, refers with the client's consent to share a summary (recorded on the
Disclosures tab), records the appointment with a follow-up date, then the linkage."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from disclosures.models import Disclosure
from linkage.models import ServiceReferral
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import (
    expect_handled_error_response,
    open_chart_tab,
    sign_in_as,
    status_messages,
)
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.linkage.factories import PROGRAM, ProgramConsentFactory

SHARED = "Name, date of birth, current opioid use, reason for referral."


def required(label: str) -> re.Pattern[str]:
    """A field's label as crispy renders it: a required field's ends with an asterisk."""
    return re.compile(rf"^{re.escape(label)}\*?$")


def referral_card(page: Page) -> Locator:
    return page.get_by_role("article", name=f"Methadone · {PROGRAM}")


def next_step(page: Page, status: str, *, note: str = "") -> None:
    referral_card(page).get_by_role("link", name="Record the next step").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referral to Methadone")
    page.get_by_role("combobox", name=required("Status")).select_option(label=status)
    if note:
        page.get_by_label("Note", exact=True).fill(note)


def save_and_expect(page: Page, client_pk: int, status: str) -> None:
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_pk}/referrals/$"))
    expect(status_messages(page)).to_have_text("Referral updated.")
    expect(referral_card(page).locator(".referral-status")).to_have_text(status)


@pytest.mark.e2e
def test_a_referral_to_methadone_goes_from_suggested_to_linked(
    page: Page, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = ClientFactory(therapist=therapist, legal_name="Marcus Example", preferred_name="Marc")
    ProgramConsentFactory(client=client)
    follow_up = timezone.localdate() + datetime.timedelta(days=7)

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/referrals/")
    open_chart_tab(page, "Referrals")
    expect(page.get_by_role("region", name="Referrals and linkage")).to_contain_text(
        "No referrals offered yet."
    )

    # Offered: suggested.
    offer = page.get_by_role("region", name="Offer a referral")
    offer.get_by_role("combobox", name=required("Service")).select_option(label="Methadone")
    offer.get_by_label("Organisation or provider").fill(PROGRAM)
    offer.get_by_label("Note", exact=True).fill("He raised methadone himself.")
    offer.get_by_role("button", name="Record the referral").click()
    expect(status_messages(page)).to_have_text("Referral recorded.")
    expect(referral_card(page).locator(".referral-status")).to_have_text("Suggested")

    next_step(page, "Client interested", note="Wants to start before the holidays.")
    save_and_expect(page, client.pk, "Client interested")

    # Referred, sharing a summary: without a consent chosen the page says why and keeps it.
    next_step(page, "Referred")
    page.get_by_label("Information about the client is shared with the provider").check()
    page.get_by_label("What is shared").fill(SHARED)
    with expect_handled_error_response(page, browser_errors, status=400, reason="Bad Request"):
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        "Sharing information needs a consent in force naming the provider."
    )
    assert Disclosure.objects.count() == 0
    page.get_by_label("Under consent").select_option(index=1)
    save_and_expect(page, client.pk, "Referred")
    expect(referral_card(page)).to_contain_text(
        f"Information shared with {PROGRAM}, intake team under consent"
    )

    next_step(page, "Appointment made")
    page.get_by_label("Follow up on").fill(follow_up.isoformat())
    save_and_expect(page, client.pk, "Appointment made")

    next_step(page, "Linked", note="First dose went well.")
    save_and_expect(page, client.pk, "Linked")

    steps = referral_card(page).locator(".referral-step .fw-semibold")
    expect(steps).to_have_text(
        ["Suggested", "Client interested", "Referred", "Appointment made", "Linked"]
    )
    referral = ServiceReferral.objects.get()
    assert (referral.status, referral.follow_up_on) == ("linked", follow_up)

    open_chart_tab(page, "Disclosures")
    expect(page.locator("table.disclosures tbody tr")).to_have_count(1)
    expect(page.locator("table.disclosures tbody tr")).to_contain_text("Referral information")
