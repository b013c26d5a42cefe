"""The language hint as a supervisor types, and the fidelity checklist through a real browser:
the hint shows under a clinician text box (not under the client's words), a checklist is
completed from the co-sign queue, and the trainee's trend shows it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supervision.models import FidelityReview
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory, at
from tests.sessions.factories import days_from_today as days


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_hint_shows_as_one_types_and_a_checklist_becomes_a_trend(
    page: Page, live_server: LiveServer, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    supervisor = SupervisorFactory(full_name="Sue Supervisor", password=TEST_PASSWORD)
    SupervisionFactory(supervisor=supervisor, supervisee=therapist)
    robin = ClientFactory(therapist=therapist, preferred_name="Robin", legal_name="Robin Ames")
    session = AttendedAppointmentFactory(client=robin, starts_at=at(days(-2), "10:00"))
    note = SessionNoteFactory(
        appointment=session,
        status="awaiting_cosign",
        signed_at=timezone.now(),
        signed_by=therapist,
        content_hash="0" * 64,
    )

    sign_in_as(page, supervisor)

    # The meeting form's clinician text gets the hint as it is typed, and it blocks nothing.
    page.goto(f"/supervision/{therapist.pk}/meetings/new/")
    guidance = page.get_by_label("Guidance")
    guidance.press_sequentially("The client relapsed at the weekend.")
    hint = page.locator(f"#{guidance.get_attribute('id')}-language-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("instead of “relapsed”, consider “return to use”")
    guidance.fill("The client returned to use at the weekend.")
    expect(hint).to_be_hidden()

    # The co-sign queue leads to the checklist; every item is rated.
    page.goto("/notes/cosign/")
    page.get_by_role("link", name="Fidelity checklist").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity checklist")
    for group, choice in [
        ("Started from the client's agenda", "Clearly"),
        ("Explored both sides of ambivalence", "Partly"),
        ("No judgement of use", "Clearly"),
        ("Goals owned by the client", "Clearly"),
        ("Safety addressed", "Not observed"),
    ]:
        page.get_by_role("group", name=group).get_by_label(choice, exact=True).check()
    page.get_by_label("Comment for the therapist").fill("Ask about naloxone next time.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fidelity review of the session")
    review = FidelityReview.objects.get()
    assert (review.note_id, review.ratings["safety"], review.ratings["ambivalence"]) == (
        note.pk,
        0,
        1,
    )

    page.get_by_role("link", name="The fidelity trend").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fidelity trend of Tess Therapist")
    expect(page.get_by_role("table").last.get_by_role("row")).to_have_count(2)
    assert browser_errors == []
