"""A clinic admin deactivates a therapist through a real browser, handing over their clients:
one to a colleague, one to the unassigned queue, then assigns the waiting client from there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import sign_in
from tests.factories import TEST_PASSWORD, ClinicAdminFactory, TherapistFactory, TOTPDeviceFactory


@pytest.mark.e2e
def test_clinic_admin_deactivates_a_therapist_with_a_handover(page: Page) -> None:
    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    leaving = TherapistFactory(full_name="Tess Therapist")
    colleague = TherapistFactory(full_name="Omar Other")
    robin = ClientFactory(therapist=leaving, preferred_name="Robin", chart_number="C-E2E1")
    sam = ClientFactory(
        therapist=leaving, preferred_name="Sam", chart_number="C-E2E2", status="intake"
    )
    sign_in(page, email=admin.email, password=TEST_PASSWORD, device=TOTPDeviceFactory(user=admin))

    page.goto(f"/account/staff/{leaving.pk}/")
    page.get_by_role("link", name="Deactivate account…").click()
    expect(page).to_have_url(re.compile(rf"/account/staff/{leaving.pk}/deactivate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate Tess Therapist's account")
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("Robin")
    expect(table.locator("tbody tr").first).to_contain_text("C-E2E1")

    # Sent without a choice, the page says what is missing and nothing changes.
    page.get_by_role("button", name="Hand over and deactivate").click()
    expect(page.get_by_text("Choose where their clients go.")).to_be_visible()
    leaving.refresh_from_db()
    assert leaving.is_active is True

    page.get_by_label("Client by client").check()
    page.get_by_label("Where Robin (C-E2E1) goes").select_option(label="Omar Other")
    page.get_by_label("Where Sam (C-E2E2) goes").select_option(label="Unassigned queue")
    page.get_by_role("button", name="Hand over and deactivate").click()

    expect(page.get_by_role("status")).to_have_text(
        "Account deactivated; its sessions ended. 2 clients were handed over."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Deactivated")
    leaving.refresh_from_db()
    assert leaving.is_active is False
    assert dict(
        Client.objects.filter(pk__in=[robin.pk, sam.pk]).values_list("chart_number", "therapist")
    ) == {"C-E2E1": colleague.pk, "C-E2E2": None}

    # Sam waits in the unassigned queue until the admin assigns a therapist.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Unassigned clients"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unassigned clients")
    page.get_by_label("Therapist for Sam").select_option(label="Omar Other")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Sam is now with Omar Other.")
    expect(page.get_by_text("Every client in care has a therapist.")).to_be_visible()
    assert Client.objects.get(pk=sam.pk).therapist == colleague
    assert list(
        AuditEvent.objects.filter(action__in=["client.assign", "account.deactivate"])
        .order_by("id")
        .values_list("action", "chart_number")
    ) == [
        ("client.assign", "C-E2E1"),
        ("client.assign", "C-E2E2"),
        ("account.deactivate", ""),
        ("client.assign", "C-E2E2"),
    ]
    assert User.objects.get(pk=leaving.pk).deactivated_at is not None
