"""A therapist writes a safety plan with the client through a real browser: opens the chart's
Safety section, writes the six steps in the client's words (the clinic's crisis line is already
there), saves, sees the plan on the chart, and prints the client's copy, whose PDF holds the
client's words and the crisis line but no chart number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from safety.models import SafetyPlanVersion
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import open_chart_tab, sign_in_as, status_messages
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.htmltext import words
from tests.pdftext import pdf_text

STEPS = {
    "Signs that a hard time is starting": "Lying awake past 3 and skipping meals",
    "Things I can do on my own to get through it": "Cold water on my face, then the radio",
    "People and places that help me take my mind off things": "The corner cafe; my cousin Lu",
    "People I can reach out to for help": "My brother Sam, 555 0142",
    "Professionals and crisis lines I can call": "Dr Okafor at the clinic, weekdays",
    "Making where I am safer": "Sam keeps my meds; I get a week at a time",
}
CRISIS = "988 Suicide & Crisis Lifeline: call or text 988, any time"


@pytest.mark.e2e
def test_therapist_writes_a_safety_plan_with_the_client_and_prints_it(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = ClientFactory(therapist=therapist, preferred_name="Noor", chart_number="C-SAFE01")

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/")
    open_chart_tab(page, "Safety", exact=True)
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/safety/$"))
    expect(page.get_by_text("No safety plan yet.", exact=False)).to_be_visible()

    page.get_by_role("link", name="Write a safety plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety plan")
    expect(page.get_by_label("Crisis lines", exact=True)).to_have_value(CRISIS)
    for label, text in STEPS.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_role("button", name="Save plan").click()

    expect(status_messages(page)).to_have_text("Plan saved as version 1.")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/safety/$"))
    steps = page.locator("li[data-step]")
    expect(steps).to_have_count(6)
    expect(steps.nth(3)).to_contain_text("My brother Sam, 555 0142")
    expect(steps.nth(4)).to_contain_text(CRISIS)
    version = SafetyPlanVersion.objects.get()
    assert (version.number, version.created_by, version.people_to_ask) == (
        1,
        therapist,
        "My brother Sam, 555 0142",
    )

    # The client's copy: the link opens the PDF; read it as a PDF reader would.
    link = page.get_by_role("link", name="Print for the client").first
    href = link.get_attribute("href")
    assert href == f"/clients/{client.pk}/safety/plan/versions/1/print/"
    printed = page.request.get(href)
    assert printed.headers["content-type"] == "application/pdf"
    text = words(pdf_text(printed.body()))
    assert text.startswith("My safety plan")
    for heading, words_typed in STEPS.items():
        assert heading in text
        assert words_typed in text
    assert CRISIS in text
    assert "C-SAFE01" not in text
    assert "Noor" not in text
