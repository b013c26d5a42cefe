"""Back after sign-out on a shared workstation: the browser kept no copy of the chart
(Cache-Control: no-store), so it asks the server again and gets the sign-in page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.clients.factories import ClientFactory
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.mark.e2e
def test_back_after_sign_out_shows_the_sign_in_page_not_the_chart(page: Page) -> None:
    therapist = TherapistFactory(full_name="Bea Back", password=TEST_PASSWORD)
    record = ClientFactory(therapist=therapist, preferred_name="Rowan", chart_number="C-BACK1")
    sign_in_as(page, therapist)
    page.goto(f"/clients/{record.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rowan")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/account/sign-in/$"))
    page.go_back()

    expect(page).to_have_url(re.compile(rf"/account/sign-in/\?next=/clients/{record.pk}/$"))
    expect(page.get_by_role("main")).not_to_contain_text("Rowan")
    expect(page.get_by_role("main")).not_to_contain_text("C-BACK1")
