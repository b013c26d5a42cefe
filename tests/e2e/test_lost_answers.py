"""What a person typed survives a lost answer and a failed page, in a real browser.

- An autosave that reached the server but whose answer never came back (a timeout) is followed
  by the next autosave from the older version: the editor's key tells the server it is the same
  page going on, so the text is saved, never shown as "saved somewhere else" against itself.
- "Save draft" answered by the failure page (the database down): the page says the text was
  not saved and shows it, kept only in this tab's sessionStorage; the next ordinary page
  clears it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.template.loader import render_to_string
from playwright.sync_api import Page, Route, expect

from sessions.models import SessionNote
from tests.e2e.helpers import expect_handled_error_response, sign_in_as
from tests.e2e.test_notes import (
    AUTOSAVE_TIMEOUT_MS,
    DRAFT_SAVED,
    active_client,
    autosave_status,
    data_field,
    note_url,
)
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory

KEY = re.compile(r"^[0-9a-f-]{32,36}$")


def _draft_open(page: Page) -> SessionNote:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=active_client(therapist)),
        data="",
    )
    sign_in_as(page, therapist)
    page.goto(note_url(note))
    return note


@pytest.mark.e2e
def test_an_autosave_whose_answer_was_lost_is_not_a_conflict_with_itself(
    page: Page, browser_errors: list[str]
) -> None:
    note = _draft_open(page)
    key = page.locator("#id_save_key").input_value()
    assert KEY.match(key)
    sent: list[dict[str, list[str]]] = []

    def lose_the_first_answer(route: Route) -> None:
        sent.append(parse_qs(route.request.post_data or ""))
        if len(sent) == 1:
            route.fetch()  # the server saves it ...
            route.abort("timedout")  # ... and the answer never arrives
        else:
            route.continue_()

    page.route(re.compile(r"/autosave/$"), lose_the_first_answer)
    with page.expect_console_message(
        lambda m: m.type == "error" and "htmx:timeout" in m.text, timeout=AUTOSAVE_TIMEOUT_MS
    ):
        data_field(page).press_sequentially("First words.")
    assert SessionNote.objects.get(pk=note.pk).version == 2

    data_field(page).press_sequentially(" Then more.")

    expect(autosave_status(page)).to_have_text(DRAFT_SAVED, timeout=AUTOSAVE_TIMEOUT_MS)
    assert [(s["version"], s["save_key"]) for s in sent] == [(["1"], [key]), (["1"], [key])]
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.data, stored.version) == ("First words. Then more.", 3)
    expect(page.locator("#id_version")).to_have_value("3")
    # Chrome and htmx report the lost answer in the console, as they should; nothing else.
    lost = ("ERR_TIMED_OUT", "htmx:timeout", "htmx:afterRequest", "htmx:sendError")
    browser_errors[:] = [e for e in browser_errors if not any(word in e for word in lost)]


@pytest.mark.e2e
def test_a_failed_save_says_so_and_shows_the_text_sent(
    page: Page, browser_errors: list[str]
) -> None:
    note = _draft_open(page)
    failure = render_to_string("500.html", {"was_post": True})

    def database_down(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=503, content_type="text/html; charset=utf-8", body=failure)
        else:
            route.continue_()

    page.route(re.compile(rf"{re.escape(note_url(note))}$"), database_down)
    data_field(page).fill("Noor spoke about the new job and the Monday crashes.")
    with expect_handled_error_response(
        page, browser_errors, status=503, reason="Service Unavailable"
    ):
        page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    expect(page.get_by_text("What you just sent was not saved.")).to_be_visible()
    kept = page.get_by_role("region", name="The text you sent from this tab")
    expect(kept.get_by_label("Data", exact=True)).to_have_value(
        "Noor spoke about the new job and the Monday crashes."
    )

    page.unroute(re.compile(rf"{re.escape(note_url(note))}$"))
    page.goto("/clients/")
    assert page.evaluate("window.sessionStorage.getItem('hrp-unsent')") is None
