"""An intake and a session note completed with the keyboard alone: Tab and Shift+Tab to move,
typing into fields, Space for check boxes, arrow keys for radio groups and selects, Enter to
follow a link or press a button. No mouse click anywhere; every control the flow needs must be
reachable in the tab order (a trap or an unreachable control fails `tab_to`). axe-core checks
each page passed on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from clients import services as client_services
from clients.models import Client, Intake, SubstanceUse
from sessions.models import SessionNote
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory

pytestmark = pytest.mark.e2e

# More than any page's tab stops before the control a flow needs (navigation included).
MAX_TABS = 150


def focused(locator: Locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_to(page: Page, locator: Locator, *, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until `locator` has the focus; fail if it never does."""
    for _ in range(MAX_TABS):
        if focused(locator):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{locator} is not reachable with {key}")


def type_into(page: Page, locator: Locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.type(text)


def choose(page: Page, select: Locator, label: str) -> None:
    """Pick an option of a <select> with the arrow keys."""
    tab_to(page, select)
    options = select.evaluate("(s) => [...s.options].map((o) => o.text.trim())")
    start = select.evaluate("(s) => s.selectedIndex")
    target = options.index(label)
    key = "ArrowDown" if target >= start else "ArrowUp"
    for _ in range(abs(target - max(start, 0))):
        page.keyboard.press(key)
    expect(select.locator("option:checked")).to_have_text(label)


def press_button(page: Page, button: Locator) -> None:
    tab_to(page, button)
    page.keyboard.press("Enter")


def wait_for_autosaves(page: Page) -> None:
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(page.locator("form.htmx-request")).to_have_count(0)


def no_violations(page: Page) -> None:
    assert axe_violations(page) == [], page.url


def test_an_intake_with_the_keyboard_alone(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    sign_in_as(page, therapist)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    no_violations(page)

    tab_to(page, page.get_by_role("link", name="New client intake"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 1: In their words")
    no_violations(page)
    type_into(page, page.get_by_label("Legal name"), "Jordan Avery Rivera")
    type_into(page, page.get_by_label("Chosen name"), "Jo")
    type_into(page, page.get_by_label("What brings you here?"), "Drinking more since the move.")
    type_into(
        page,
        page.get_by_label("What would you like to get from coming here?"),
        "Drink less on weeknights.",
    )
    # Back up one field and forward again: Shift+Tab works as well.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("What brings you here?")).to_be_focused()
    press_button(page, page.get_by_role("button", name="Save and continue"))

    expect(page.get_by_role("heading", level=2)).to_have_text("Step 2: Contact details")
    client = Client.objects.get(legal_name="Jordan Avery Rivera")
    no_violations(page)
    type_into(page, page.get_by_label("Phone", exact=True), "+1 555 010 2030")
    tab_to(page, page.get_by_label("May we contact you?"))
    page.keyboard.press("Space")
    expect(page.get_by_label("May we contact you?")).to_be_checked()
    wait_for_autosaves(page)
    press_button(page, page.get_by_role("button", name="Save and continue"))

    expect(page.get_by_role("heading", level=2)).to_have_text("Step 3: Substances")
    no_violations(page)
    choose(page, page.get_by_label("Substance or behaviour"), "Alcohol")
    type_into(page, page.get_by_label("Amount"), "About six beers")
    choose(page, page.get_by_label("Client's current goal"), "Moderation")
    choose(page, page.get_by_label("Stage of change"), "Preparation")
    wait_for_autosaves(page)
    press_button(page, page.get_by_role("button", name="Save and continue"))

    expect(page.get_by_role("heading", level=2)).to_have_text("Step 4: Concerns and strengths")
    no_violations(page)
    tab_to(page, page.get_by_label("Anxiety"))
    page.keyboard.press("Space")
    type_into(page, page.get_by_label("Notes on these concerns"), "Panic at work.")
    page.keyboard.press("Tab")  # leaving the field autosaves it
    wait_for_autosaves(page)
    press_button(page, page.get_by_role("button", name="Save and continue"))

    expect(page.get_by_role("heading", level=2)).to_have_text("Step 5: Medical evaluation")
    no_violations(page)
    press_button(page, page.get_by_role("button", name="Save and continue"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 6: Referral")
    no_violations(page)
    press_button(page, page.get_by_role("button", name="Save and continue"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Step 7: Review and finish")
    no_violations(page)
    press_button(page, page.get_by_role("button", name="Complete intake"))

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Intake complete. Jo is now active on your caseload."
    )
    no_violations(page)
    client.refresh_from_db()
    assert (client.status, client.preferred_name, client.phone, client.may_contact) == (
        Client.Status.ACTIVE,
        "Jo",
        "+1 555 010 2030",
        True,
    )
    intake = Intake.objects.get(client=client)
    assert (intake.reason_for_coming, intake.client_goals) == (
        "Drinking more since the move.",
        "Drink less on weeknights.",
    )
    use = SubstanceUse.objects.get(client=client)
    assert (
        use.get_substance_display(),
        use.amount,
        use.get_goal_display(),
        use.get_stage_of_change_display(),
    ) == ("Alcohol", "About six beers", "Moderation", "Preparation")


def test_a_session_note_with_the_keyboard_alone(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = client_services.intake_start(
        actor=therapist,
        legal_name="Noor Achterberg-Diallo",
        preferred_name="Noor",
        pronouns="she/her",
        reason_for_coming="Using more on weekends.",
        client_goals="Keep weekends, lose the Monday crashes.",
    )
    client = client_services.intake_complete(actor=therapist, client=client)
    AttendedAppointmentFactory(client=client)
    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/sessions/")
    no_violations(page)

    history = page.get_by_role("region", name="History")
    press_button(page, history.get_by_role("button", name=re.compile(r"^Write note")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note: ")
    note = SessionNote.objects.get()
    no_violations(page)

    main = page.get_by_role("main")
    data = "Noor described a calmer week; two use days, both within the plan."
    type_into(page, main.get_by_label("Data", exact=True), data)
    for question in ("Overdose risk", "Suicidal thoughts"):
        group = page.get_by_role("group", name=question, exact=True)
        target = group.get_by_role("radio", name="None noted", exact=True)
        tab_to(page, group.get_by_role("radio").first)
        # Arrow keys move through a radio group and check what they land on.
        for _ in range(group.get_by_role("radio").count()):
            if target.is_checked():
                break
            page.keyboard.press("ArrowDown")
        expect(target).to_be_checked()
    press_button(page, page.get_by_role("button", name="Save and sign…"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the note")
    no_violations(page)
    type_into(page, page.get_by_label("Your password"), TEST_PASSWORD)
    press_button(page, page.get_by_role("button", name="Sign and lock"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note: ")
    no_violations(page)
    note.refresh_from_db()
    assert (note.status, note.data, note.author) == (SessionNote.Status.SIGNED, data, therapist)
