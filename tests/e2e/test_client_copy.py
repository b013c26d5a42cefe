"""A therapist gives a client their own copy through a real browser (issue 16.8b): from the
chart's Plan tab opens the client's copy, reads it through on screen (the plan, the goal in
the client's words, the balance, the overdose plan), and prints it; the PDF holds the same
words, addressed to the client, without the clinician's notes, the name or the chart number,
and giving it is recorded as an access event."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.goals.factories import GoalFactory
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.htmltext import words
from tests.pdftext import pdf_text
from tests.safety.helpers import OVERDOSE, overdose_version


@pytest.mark.e2e
def test_therapist_prints_the_clients_own_copy(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = ClientFactory(therapist=therapist, preferred_name="Noor", chart_number="C-COPY02")
    PlanVersionFactory(
        plan=PlanFactory(client=client),
        sections=[
            plan_section(
                dose_limit="3 pints",
                client_words="I want Sundays back.",
                clinician_notes="Limit may be optimistic",
            )
        ],
    )
    GoalFactory(client=client, client_words="Two dry days after every weekend")
    HarmAssessmentFactory(client=client, notes="Ask about sleep next time")
    overdose_version(therapist, client)

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/plan/")
    page.get_by_role("link", name="The client's own copy to print").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/your-copy/$"))
    copy = page.get_by_role("article", name="The client's own copy")
    expect(copy.get_by_role("heading", level=1)).to_have_text("Your plan")
    expect(copy).to_contain_text("The most you take at one time")
    expect(copy).to_contain_text("Two dry days after every weekend")
    expect(copy).to_contain_text("Weighing it up")
    expect(copy).to_contain_text(OVERDOSE["naloxone_where"])
    expect(copy).not_to_contain_text("Limit may be optimistic")
    expect(copy).not_to_contain_text("Ask about sleep next time")

    # Print: the link opens the PDF; read it as a PDF reader would.
    link = page.get_by_role("link", name="Print the client's copy (PDF)")
    href = link.get_attribute("href")
    assert href == f"/clients/{client.pk}/plan/your-copy/pdf/"
    printed = page.request.get(href)
    assert printed.headers["content-type"] == "application/pdf"
    text = words(pdf_text(printed.body()))
    assert text.startswith("Your plan")
    for expected in (
        "The most you take at one time 3 pints",
        "In your own words I want Sundays back.",
        "Two dry days after every weekend",
        OVERDOSE["naloxone_where"],
        "give naloxone",
    ):
        assert expected in text
    for absent in ("Limit may be optimistic", "Ask about sleep next time", "Noor", "C-COPY02"):
        assert absent not in text
    assert (
        AuditEvent.objects.filter(
            action="client_copy.print", actor_id=therapist.pk, chart_number="C-COPY02"
        ).count()
        == 1
    )
