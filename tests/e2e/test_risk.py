"""A risk flag through a real browser: a therapist signs a note recording suicidal thoughts
("some"), finds the flag on the chart, records what was done, goes from the flag to write a
safety plan with the client and prints it, then resolves the flag."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from risk.models import RiskFlag
from sessions.models import SessionNote
from tests.e2e.helpers import open_chart_tab, sign_in_as, status_messages
from tests.e2e.test_notes import active_client, data_field, field, save_and_sign
from tests.e2e.test_safety_plan import STEPS
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.htmltext import words
from tests.pdftext import pdf_text
from tests.sessions.factories import AttendedAppointmentFactory


@pytest.mark.e2e
def test_a_note_with_suicidal_thoughts_raises_a_flag_that_is_followed_up_and_resolved(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    AttendedAppointmentFactory(client=client)

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/sessions/")
    page.get_by_role("region", name="History").get_by_role(
        "button", name=re.compile(r"^Write note")
    ).click()
    data_field(page).fill("Noor spoke of passing thoughts of not wanting to be here.")
    page.get_by_role("group", name="Overdose risk", exact=True).get_by_role(
        "radio", name="None noted", exact=True
    ).check()
    page.get_by_role("group", name="Suicidal thoughts", exact=True).get_by_role(
        "radio", name="Some", exact=True
    ).check()
    field(page, "Actions taken").fill("Talked it through; made a safety plan together.")
    save_and_sign(page)
    expect(status_messages(page).first).to_be_visible()
    note = SessionNote.objects.get()
    assert note.status == SessionNote.Status.SIGNED

    # The chart header shows the flag; the Risk tab lists it.
    page.goto(f"/clients/{client.pk}/")
    flags = page.get_by_role("list", name="Flags")
    expect(flags).to_contain_text("Suicide risk: follow-up needed")
    page.get_by_role("link", name="Risk", exact=True).click()
    open_flags = page.get_by_role("region", name="Open risk flags")
    expect(open_flags).to_contain_text("Session note")
    open_flags.get_by_role("link", name=re.compile(r"^Record what was done")).click()

    # Record what was done.
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide risk: open")
    page.locator("[name=action]").fill("Called Noor the next morning; the plan holds.")
    page.locator("[name=done_at]").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Record follow-up").click()
    expect(status_messages(page).first).to_contain_text("Follow-up recorded.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide risk: followed up")
    expect(page.get_by_role("region", name="What was done", exact=True)).to_contain_text(
        "Called Noor the next morning; the plan holds."
    )

    # From the flag, write the safety plan with the client, and print the client's copy.
    page.get_by_role("navigation", name="Next steps with the client").get_by_role(
        "link", name="Safety plan", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety plan")
    for label, text in STEPS.items():
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_role("button", name="Save plan").click()
    expect(status_messages(page)).to_have_text("Plan saved as version 1.")
    href = page.get_by_role("link", name="Print for the client").first.get_attribute("href")
    printed = page.request.get(href)
    assert printed.headers["content-type"] == "application/pdf"
    text = words(pdf_text(printed.body()))
    assert text.startswith("My safety plan")
    assert all(typed in text for typed in STEPS.values())

    # Back to the flag (the chart's Risk tab), and resolve it.
    open_chart_tab(page, "Risk", exact=True)
    page.get_by_role("region", name="Open risk flags").get_by_role(
        "link", name=re.compile(r"^See the flag")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide risk: followed up")
    page.locator("[name=resolution]").fill("Noor feels safe; plan in place.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(status_messages(page).first).to_contain_text("The flag is resolved.")
    expect(page.get_by_role("region", name="Open risk flags")).to_contain_text("No open risk flag.")
    # No risk flag is left in the header (the open medical evaluation stays: not risk).
    expect(page.get_by_role("list", name="Flags")).not_to_contain_text("risk")
    flag = RiskFlag.objects.get()
    assert (flag.kind, flag.level, flag.state, flag.source_id, flag.resolved_by) == (
        "suicide",
        "some",
        "resolved",
        note.pk,
        therapist,
    )
