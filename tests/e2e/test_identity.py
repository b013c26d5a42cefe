"""Low-threshold care through a real browser (issue 21): a client begins with only a chosen
name, later shares a legal identity that matches another record, and the therapist merges the
two; every page passes axe-core at laptop and tablet widths."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from clients import identity
from clients.models import Client, IdentityDecision
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import LAPTOP, TABLET, axe_violations
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory


def _no_violations(page: Page) -> None:
    for size in (LAPTOP, TABLET):
        page.set_viewport_size(size)
        assert axe_violations(page) == []


@pytest.mark.e2e
def test_a_client_known_by_chosen_name_becomes_known_and_is_merged(
    page: Page, live_server: LiveServer, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    earlier = ClientFactory(
        therapist=therapist,
        legal_name="Jamie Okafor",
        date_of_birth=datetime.date(1990, 1, 2),
        identity_key=identity.identity_key("Jamie Okafor", datetime.date(1990, 1, 2)),
    )
    sign_in_as(page, therapist)

    page.get_by_role("link", name="New client intake").click()
    page.get_by_label("Chosen name").fill("J.")
    page.get_by_label("How the team recognises the client").fill("Blue bike")
    page.get_by_label("What brings you here?").fill("I want to stop overdosing.")
    page.get_by_role("button", name="Save and continue").click()
    client = Client.objects.get(preferred_name="J.")
    assert (client.legal_name, client.date_of_birth) == ("", None)

    page.goto(f"{live_server.url}/clients/{client.pk}/")
    expect(page.get_by_text("Identity not recorded: known by chosen name").first).to_be_visible()
    _no_violations(page)

    page.goto(f"{live_server.url}/clients/{client.pk}/edit/")
    page.get_by_label("Legal name").fill("jamie okafor")
    page.get_by_label("Date of birth").fill("1990-01-02")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/identity/$"))
    expect(page.locator("#duplicates")).to_contain_text(earlier.chart_number)
    _no_violations(page)
    page.get_by_role(
        "button", name=f"Same person: merge {earlier.chart_number} into this record"
    ).click()

    expect(page.locator("#decisions")).to_contain_text("Same person: records merged")
    earlier.refresh_from_db()
    assert earlier.merged_into_id == client.pk
    assert IdentityDecision.objects.get().decision == "merged"
    _no_violations(page)
    assert browser_errors == []
