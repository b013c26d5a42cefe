"""Billing through a real browser: the therapist adds a diagnosis to the problem list, codes an
attended session (the units follow from the real duration), and prints a superbill for the
client's health plan under the client's consent (recorded as a disclosure). axe-core on each
page, at 1366 and 820 pixels wide."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.models import Encounter
from disclosures.models import Disclosure
from tests.billing.factories import PAYER, PayerConsentFactory, fee_schedule
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import open_chart_tab, sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, at, days_from_today


@pytest.mark.e2e
def test_code_a_session_and_print_a_superbill(
    page: Page, browser_errors: list[str], tmp_path: Path
) -> None:
    therapist = TherapistFactory(
        full_name="Tess Therapist", password=TEST_PASSWORD, npi="1234567893"
    )
    client = ClientFactory(
        therapist=therapist,
        legal_name="Marcus Example",
        preferred_name="Marc",
        date_of_birth=datetime.date(1988, 3, 14),
    )
    start = at(days_from_today(-2), "10:00")
    AttendedAppointmentFactory(
        client=client, starts_at=start, ends_at=start + datetime.timedelta(minutes=45)
    )
    PayerConsentFactory(client=client)
    fee_schedule(days_from_today(-30))

    sign_in_as(page, therapist)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/clients/{client.pk}/")
    open_chart_tab(page, "Diagnoses and billing")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/billing/$"))
    expect(page.get_by_role("region", name="Problem list")).to_contain_text(
        "No diagnoses recorded."
    )
    assert axe_violations(page) == []

    # The problem list: person-first wording with the official description beside it.
    page.locator("#id_code").select_option("F10.10")
    page.get_by_role("button", name="Add to the problem list").click()
    expect(page.locator("#diagnoses")).to_contain_text(
        "Alcohol use disorder, mild F10.10 (official: Alcohol abuse, uncomplicated)"
    )

    # Code the session: 90834 for 45 minutes, telehealth not chosen, the diagnosis addressed.
    page.get_by_role("link", name=re.compile("^Code")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Code for billing: Marc")
    assert axe_violations(page) == []
    expect(page.locator("#id_minutes")).to_have_value("45")
    page.locator("#id_code").select_option("90834")
    page.locator("#id_diagnosis_codes_0").check()
    page.get_by_role("button", name="Save coding").click()
    expect(page.locator("#encounters")).to_contain_text("90834 × 1 · 11 · F10.10")
    assert Encounter.objects.get().units == 1

    # Print the superbill for the health plan, under the client's consent.
    page.locator("#id_what").select_option("superbill")
    page.locator("#id_consent").select_option(index=1)
    page.locator("#id_start").fill(days_from_today(-7).isoformat())
    page.locator("#id_end").fill(timezone.localdate().isoformat())
    with page.expect_download() as info:
        page.get_by_role("button", name="Produce and record the disclosure").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")
    disclosure = Disclosure.objects.get()
    assert (disclosure.what, disclosure.recipient) == ("superbill", PAYER)

    page.set_viewport_size({"width": 820, "height": 900})
    page.reload()
    assert axe_violations(page) == []
    assert browser_errors == []
