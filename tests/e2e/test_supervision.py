"""Supervision through a real browser: a supervisor goes from a number on their dashboard to
the late note behind it, leaves a comment on the client's chart, and the therapist, in their
own browser, sees the comment at the top of the chart and acknowledges it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from supervision.models import ChartComment
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import new_page_in, sign_in_as
from tests.factories import (
    TEST_PASSWORD,
    SupervisionFactory,
    SupervisorFactory,
    TherapistFactory,
)
from tests.sessions.factories import (
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    days_from_today,
)

COMMENT = "Could we plan an overdose-prevention talk with Robin next session?"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_supervisor_follows_a_late_note_and_comments_and_therapist_acknowledges(
    page: Page, browser: Browser, live_server: LiveServer, browser_errors: list[str]
) -> None:
    therapist = TherapistFactory(
        full_name="Tess Therapist", email="tess@clinic.test", password=TEST_PASSWORD
    )
    supervisor = SupervisorFactory(
        full_name="Sue Supervisor", email="sue@clinic.test", password=TEST_PASSWORD
    )
    SupervisionFactory(supervisor=supervisor, supervisee=therapist)
    robin = ClientFactory(therapist=therapist, preferred_name="Robin", legal_name="Robin Ames")
    session = AttendedAppointmentFactory(client=robin, starts_at=at(days_from_today(-3), "10:00"))
    draft = SessionNoteFactory(appointment=session)

    # The supervisor's home is the dashboard; the late-notes number opens its list.
    sign_in_as(page, supervisor)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sue Supervisor")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Tess Therapist"))
    row.get_by_role("link", name="1 · Notes late or unsigned, Tess Therapist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Notes late or unsigned: Tess Therapist 1"
    )
    page.get_by_role("link", name="Open the draft").click()
    expect(page).to_have_url(f"{live_server.url}/clients/{robin.pk}/notes/{draft.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session note:")

    # From the chart, a comment for the therapist.
    page.goto(f"/clients/{robin.pk}/")
    page.get_by_role("link", name="Leave a comment for the therapist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comment on Robin's chart")
    page.get_by_label("Comment for the therapist").fill(COMMENT)
    page.get_by_role("button", name="Leave the comment").click()
    expect(page.locator(".messages [role=status]")).to_have_text(
        "Comment left for Tess Therapist. They will see it at the top of the chart."
    )
    notices = page.get_by_role("region", name="Notices for you")
    expect(notices).to_contain_text(
        "1 supervision comment is waiting for the therapist to acknowledge it."
    )
    expect(notices).not_to_contain_text(COMMENT)

    # The therapist, in their own browser, sees it on the chart and acknowledges it.
    own = new_page_in(browser, live_server, browser_errors)
    sign_in_as(own, therapist)
    own.goto(f"/clients/{robin.pk}/sessions/")
    notice = own.get_by_role("region", name="Notices for you")
    expect(notice).to_contain_text("Comment from Sue Supervisor (supervision)")
    expect(notice).to_contain_text(COMMENT)
    notice.get_by_role("button", name="Acknowledge").click()
    expect(own.locator(".messages [role=status]")).to_have_text("Comment acknowledged.")
    expect(own).to_have_url(f"{live_server.url}/clients/{robin.pk}/sessions/")
    expect(own.get_by_role("region", name="Notices for you")).to_have_count(0)
    comment = ChartComment.objects.get()
    assert (comment.text, comment.acknowledged_by) == (COMMENT, therapist)
    own.context.close()
