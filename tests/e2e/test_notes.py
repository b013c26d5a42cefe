"""Session notes through a real browser: a draft typed into the note page autosaves and is all
there when the page is opened again; a trainee's note goes to the supervisor, comes back for
revision with a comment, is signed again and co-signed, is then locked (no editor, the autosave
URL answers 409) and takes an addendum; and two tabs on one draft never overwrite each other:
the second tab is told of the conflict and shown both texts, and nothing of it is saved."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from clients import services as client_services
from clients.models import Client
from hrp.accounts.models import User
from sessions.models import NoteAddendum, NoteReview, SessionNote
from tests.e2e.helpers import (
    expect_handled_error_response,
    new_page_in,
    record_browser_errors,
    sign_in_as,
    status_messages,
)
from tests.factories import (
    TEST_PASSWORD,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
)
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory

# Autosave fires 3 s after the last keystroke; allow a slow runner well beyond that.
AUTOSAVE_TIMEOUT_MS = 10_000
DRAFT_SAVED = re.compile(r"^\s*Draft saved at \d\d:\d\d:\d\d\.\s*$")


def active_client(therapist: User) -> Client:
    """A client whose intake `therapist` has completed."""
    client = client_services.intake_start(
        actor=therapist,
        legal_name="Noor Achterberg-Diallo",
        preferred_name="Noor",
        pronouns="she/her",
        reason_for_coming="Using more on weekends since the new job; wants a plan.",
        client_goals="Keep weekends, lose the Monday crashes.",
    )
    return client_services.intake_complete(actor=therapist, client=client)


def note_url(note: SessionNote) -> str:
    return f"/clients/{note.client_id}/notes/{note.pk}/"


def autosave_status(page: Page) -> Locator:
    return page.locator("#autosave-status")


def field(page: Page, label: str) -> Locator:
    """A note field in the page's main content by its exact label."""
    return page.get_by_role("main").get_by_label(label, exact=True)


def data_field(page: Page) -> Locator:
    return field(page, "Data")


def agenda_field(page: Page) -> Locator:
    return field(page, "The client's agenda for today, in their words")


def choose_no_risk(page: Page) -> None:
    """Choose "None noted" for both overdose risk and suicidal thoughts."""
    for question in ("Overdose risk", "Suicidal thoughts"):
        group = page.get_by_role("group", name=question, exact=True)
        group.get_by_role("radio", name="None noted", exact=True).check()


def autosave_carrying(**values: str) -> Callable[[Response], bool]:
    """A predicate for the autosave response whose request carried all of `values`, so a test
    waits for the save that holds the last keystroke, not an earlier one (leaving a field
    autosaves too)."""

    def matches(response: Response) -> bool:
        request = response.request
        if request.method != "POST" or not request.url.endswith("/autosave/"):
            return False
        posted = parse_qs(request.post_data or "", keep_blank_values=True)
        return all(posted.get(name) == [value] for name, value in values.items())

    return matches


def csrf_token_on(page: Page) -> str:
    """The CSRF token of a form on the page (the cookie is HttpOnly)."""
    return page.locator("input[name=csrfmiddlewaretoken]").first.input_value()


def save_and_sign(page: Page) -> None:
    """From the editor, "Save and sign…", then sign with the password."""
    page.get_by_role("button", name="Save and sign…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the note")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign and lock").click()


@pytest.mark.e2e
def test_autosaved_draft_is_all_there_when_the_note_is_opened_again(
    page: Page, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    appointment = AttendedAppointmentFactory(client=client)
    data_text = "Noor described a calmer week; two use days, both within the plan."
    agenda_text = "Talk about the Monday crashes."

    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/sessions/")
    history = page.get_by_role("region", name="History")
    history.get_by_role("button", name=re.compile(r"^Write note")).click()

    note = SessionNote.objects.get()
    assert (note.appointment, note.author, note.status) == (
        appointment,
        therapist,
        SessionNote.Status.DRAFT,
    )
    expect(page).to_have_url(re.compile(rf"{re.escape(note_url(note))}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note: ")
    expect(autosave_status(page)).to_have_text(
        "Drafts save on their own a few seconds after you stop typing, and when you leave a field."
    )

    data_field(page).press_sequentially(data_text)
    with page.expect_response(
        autosave_carrying(data=data_text, agenda=agenda_text), timeout=AUTOSAVE_TIMEOUT_MS
    ) as saved:
        agenda_field(page).press_sequentially(agenda_text)
    assert saved.value.status == 200
    expect(autosave_status(page)).to_have_text(DRAFT_SAVED, timeout=AUTOSAVE_TIMEOUT_MS)

    note.refresh_from_db()
    assert (note.data, note.agenda) == (data_text, agenda_text)
    saved_at = timezone.localtime(note.updated_at)
    expect(autosave_status(page)).to_have_text(f"Draft saved at {saved_at:%H:%M:%S}.")

    # Close the page and open the note again in a new one.
    context = page.context
    page.close()
    again = context.new_page()
    record_browser_errors(again, browser_errors)
    again.goto(note_url(note))
    expect(data_field(again)).to_have_value(data_text)
    expect(agenda_field(again)).to_have_value(agenda_text)


@pytest.mark.e2e
def test_trainee_note_is_returned_revised_cosigned_locked_and_takes_an_addendum(
    page: Page, browser: Browser, live_server: LiveServer, browser_errors: list[str]
) -> None:
    trainee = TherapistFactory(
        full_name="Tom Trainee", password=TEST_PASSWORD, requires_cosign=True
    )
    supervisor = SupervisorFactory(full_name="Sara Supervisor", password=TEST_PASSWORD)
    SupervisionFactory(supervisor=supervisor, supervisee=trainee)
    client = active_client(trainee)
    AttendedAppointmentFactory(client=client)
    first_text = "Noor talked about the weekend."
    comment = "Say what Noor chose to try, and how you will check on it next time."
    revised_text = "Noor talked about the weekend and chose to try the evening routine."
    addendum_text = "Noor phoned the next day: the routine worked on Monday."

    # The trainee writes the note and signs it into the supervisor's queue.
    sign_in_as(page, trainee)
    page.goto(f"/clients/{client.pk}/sessions/")
    page.get_by_role("region", name="History").get_by_role(
        "button", name=re.compile(r"^Write note")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note: ")
    note = SessionNote.objects.get()
    data_field(page).fill(first_text)
    choose_no_risk(page)
    save_and_sign(page)
    expect(status_messages(page)).to_have_text(
        "Signed. The note is now with your supervisor for co-signature."
    )
    expect(page.locator("#note-status")).to_have_text("Signed, waiting for co-signature")
    note.refresh_from_db()
    assert (note.status, note.signed_by, note.data) == (
        SessionNote.Status.AWAITING_COSIGN,
        trainee,
        first_text,
    )

    supervisor_page = new_page_in(browser, live_server, browser_errors)
    try:
        # The supervisor returns it with a comment.
        sign_in_as(supervisor_page, supervisor)
        nav = supervisor_page.get_by_role("navigation", name="Main navigation")
        nav.get_by_role("link", name="Co-signature").click()
        queue = supervisor_page.get_by_role("region", name=re.compile("^Notes waiting for"))
        expect(queue.get_by_role("listitem")).to_have_count(1)
        expect(queue.get_by_role("listitem")).to_contain_text("Tom Trainee")
        queue.get_by_role("link", name=re.compile(r"^Open")).click()
        expect(supervisor_page).to_have_url(re.compile(rf"{re.escape(note_url(note))}$"))
        review = supervisor_page.get_by_role("region", name="Co-signature")
        review.get_by_role("radio", name="Return for revision").check()
        review.get_by_label("Comments for the therapist").fill(comment)
        review.get_by_role("button", name="Record decision").click()
        expect(status_messages(supervisor_page)).to_have_text(
            "Returned to the therapist with your comments."
        )
        expect(queue).to_contain_text("None.")
        note.refresh_from_db()
        assert note.status == SessionNote.Status.DRAFT
        assert list(NoteReview.objects.values_list("decision", "comments")) == [
            (NoteReview.Decision.RETURNED, comment)
        ]

        # The trainee finds it under "Returned by your supervisor", reads the comment, revises
        # and signs again.
        page.get_by_role("navigation", name="Main navigation").get_by_role(
            "link", name="Notes", exact=True
        ).click()
        returned = page.get_by_role("region", name=re.compile("^Returned by your supervisor"))
        expect(returned.get_by_role("listitem")).to_have_count(1)
        expect(page.get_by_role("region", name=re.compile("^Drafts"))).to_contain_text("None.")
        returned.get_by_role("link", name=re.compile(r"^Open")).click()
        expect(page).to_have_url(re.compile(rf"{re.escape(note_url(note))}$"))
        comment_box = page.get_by_role("note").filter(has_text="Returned by Sara Supervisor")
        expect(comment_box).to_contain_text(comment)
        expect(data_field(page)).to_have_value(first_text)
        data_field(page).fill(revised_text)
        save_and_sign(page)
        expect(status_messages(page)).to_have_text(
            "Signed. The note is now with your supervisor for co-signature."
        )
        note.refresh_from_db()
        assert (note.status, note.data) == (SessionNote.Status.AWAITING_COSIGN, revised_text)

        # The supervisor co-signs.
        supervisor_page.reload()
        expect(queue.get_by_role("listitem")).to_have_count(1)
        queue.get_by_role("link", name=re.compile(r"^Open")).click()
        expect(supervisor_page.get_by_role("main")).to_contain_text(revised_text)
        review.get_by_role("radio", name="Co-sign").check()
        # Co-signing is a signature: the password is asked for again, as for signing.
        review.get_by_label("Your password").fill(TEST_PASSWORD)
        review.get_by_role("button", name="Record decision").click()
        expect(status_messages(supervisor_page)).to_have_text("Co-signed.")
    finally:
        supervisor_page.context.close()

    note.refresh_from_db()
    assert (note.status, note.cosigned_by) == (SessionNote.Status.COSIGNED, supervisor)

    # The trainee's note is now locked: no editor, and the autosave URL refuses a write.
    page.goto(note_url(note))
    expect(page.locator("#note-status")).to_have_text("Signed and co-signed")
    expect(page.locator("#note-form")).to_have_count(0)
    expect(data_field(page)).to_have_count(0)
    # The only text box left is the addendum's.
    expect(page.get_by_role("main").get_by_role("textbox")).to_have_count(1)
    expect(page.get_by_role("main").get_by_role("textbox")).to_have_accessible_name(
        re.compile(r"^Addendum\*?$")
    )
    expect(page.get_by_role("main")).to_contain_text(revised_text)
    token = csrf_token_on(page)
    response = page.request.post(
        f"{note_url(note)}autosave/",
        form={"csrfmiddlewaretoken": token, "version": str(note.version), "data": "Changed."},
        headers={"X-CSRFToken": token},
    )
    assert response.status == 409
    assert "This note is signed and can no longer be changed." in response.text()
    note.refresh_from_db()
    assert (note.status, note.data) == (SessionNote.Status.COSIGNED, revised_text)

    # Corrections are addenda, shown under the note with the author's name.
    addenda = page.get_by_role("region", name="Addenda")
    expect(addenda).to_contain_text("No addenda.")
    addenda.get_by_label("Addendum").fill(addendum_text)
    addenda.get_by_role("button", name="Add addendum").click()
    expect(status_messages(page)).to_have_text("Addendum added.")
    addendum = NoteAddendum.objects.get()
    assert (addendum.note, addendum.author, addendum.text) == (note, trainee, addendum_text)
    added_at = timezone.localtime(addendum.created_at)
    entries = addenda.get_by_role("article")
    expect(entries).to_have_count(1)
    expect(entries.first.get_by_role("paragraph")).to_have_text(
        [f"Tom Trainee, {added_at.day} {added_at:%b %Y, %H:%M}", addendum_text]
    )


@pytest.mark.e2e
def test_two_tabs_on_one_draft_show_the_conflict_and_save_nothing_of_the_second(
    page: Page, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=client), data="", agenda=""
    )
    text_a = "Written in the first tab."
    text_b = "Written in the second tab."

    sign_in_as(page, therapist)
    page.goto(note_url(note))
    tab_b = page.context.new_page()
    record_browser_errors(tab_b, browser_errors)
    tab_b.goto(note_url(note))
    expect(data_field(tab_b)).to_have_value("")

    data_field(page).fill(text_a)
    expect(autosave_status(page)).to_have_text(DRAFT_SAVED, timeout=AUTOSAVE_TIMEOUT_MS)
    note.refresh_from_db()
    assert (note.data, note.version) == (text_a, 2)

    # Chrome logs the autosave's 409 as a console error; the page shows the conflict on purpose.
    with expect_handled_error_response(
        tab_b, browser_errors, status=409, reason="Conflict", timeout=AUTOSAVE_TIMEOUT_MS
    ):
        data_field(tab_b).fill(text_b)
    conflict = autosave_status(tab_b).get_by_role("alert")
    expect(conflict.get_by_role("heading")).to_have_text("This draft was saved somewhere else")
    expect(conflict.get_by_label("Data: the saved version")).to_have_value(text_a)
    expect(conflict.get_by_label("Data: your text on this page")).to_have_value(text_b)
    # The typed text stays in the editor too.
    expect(data_field(tab_b)).to_have_value(text_b)

    note.refresh_from_db()
    assert (note.data, note.version) == (text_a, 2)
