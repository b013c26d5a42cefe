"""A member's record shows the group's shared part and their own part, never another member:
not their name, not their private part. Checked on every page and file that reads a client's
record: the chart's Groups tab, the Timeline, the progress summary (page and PDF) and the
client's own copy of the plan (page and PDF)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from groups import services
from hrp.accounts.models import User
from summaries import services as summary_services
from tests.clients.factories import ClientFactory
from tests.factories import TherapistFactory
from tests.groups.factories import add_member, first_meeting, make_group
from tests.htmltext import page_text
from tests.pdftext import pdf_text

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]
PASSWORD = "a long enough password 1"
SHARED = "The group practised slow breathing and talked about spacing doses."
PART_A = "Ayo set a plan to carry naloxone to weekend parties."
PART_B = "Wrote about the overdose last spring and the fear since."


@pytest.fixture
def members(therapist: User) -> tuple[Client, Client]:
    lead = TherapistFactory(full_name="Lee Lead", password=PASSWORD)
    group = make_group(lead)
    a = ClientFactory(therapist=therapist, preferred_name="Ayo", legal_name="Ayodele Adeyemi")
    b = ClientFactory(therapist=therapist, preferred_name="Birgit", legal_name="Birgit Bergstrom")
    ma, mb = add_member(group, lead, a), add_member(group, lead, b)
    meeting = first_meeting(group)
    services.attendance_record(
        actor=lead, meeting=meeting, statuses={ma.pk: "attended", mb.pk: "attended"}
    )
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead,
        note=note,
        expected_version=note.version,
        shared=SHARED,
        parts={a.pk: PART_A, b.pk: PART_B},
    )
    services.group_note_sign(
        actor=lead, note=note, password=PASSWORD, expected_version=note.version
    )
    return a, b


def _never_b(text: str) -> None:
    for secret in ("Birgit", "Bergstrom", PART_B, "overdose last spring"):
        assert secret not in text


def test_member_a_chart_tab_shows_shared_and_own_part_only(
    client_for: ClientFor, therapist: User, members: tuple[Client, Client]
) -> None:
    a, b = members
    text = page_text(client_for(therapist).get(reverse("groups:section", args=[a.pk])))

    assert SHARED in text
    assert PART_A in text
    _never_b(text)
    assert b.chart_number not in text


def test_member_b_chart_tab_does_not_show_a(
    client_for: ClientFor, therapist: User, members: tuple[Client, Client]
) -> None:
    a, b = members
    text = page_text(client_for(therapist).get(reverse("groups:section", args=[b.pk])))

    assert (SHARED in text, PART_B in text) == (True, True)
    assert PART_A not in text
    assert "Ayodele" not in text
    assert a.chart_number not in text


def test_member_a_timeline_never_shows_b(
    client_for: ClientFor, therapist: User, members: tuple[Client, Client]
) -> None:
    a, b = members
    text = page_text(client_for(therapist).get(reverse("clients:timeline", args=[a.pk])))

    assert "Group: Tuesday harm reduction group" in text
    _never_b(text)
    assert b.chart_number not in text


def test_member_a_summary_page_and_pdf_never_show_b(
    therapist: User, members: tuple[Client, Client]
) -> None:
    a, b = members
    today = timezone.localdate()
    summary = summary_services.summary_request(
        actor=therapist, client=a, period_start=today.replace(day=1), period_end=today
    )
    # Built here: the build task is published after commit, which a test never reaches.
    assert summary_services.summary_build(summary_id=summary.pk) == "done"
    summary.refresh_from_db()
    html, pdf = summary.html_body(), summary.pdf_bytes()
    assert summary.status == "done"
    assert html is not None and pdf is not None
    for text in (html, pdf_text(pdf)):
        _never_b(text)
        assert b.chart_number not in text


def test_member_a_client_copy_never_shows_b(
    client_for: ClientFor, therapist: User, members: tuple[Client, Client]
) -> None:
    a, b = members
    web = client_for(therapist)
    page = page_text(web.get(reverse("goals:client_copy", args=[a.pk])))
    pdf = pdf_text(web.get(reverse("goals:client_copy_pdf", args=[a.pk])).content)
    for text in (page, pdf):
        _never_b(text)
        assert b.chart_number not in text


def test_facilitator_sees_both_parts_on_the_meeting(
    client_for: ClientFor, members: tuple[Client, Client]
) -> None:
    lead = User.objects.get(full_name="Lee Lead")
    meeting = lead.group_notes.get().meeting
    text = page_text(client_for(lead).get(reverse("groups:meeting", args=[meeting.pk])))
    assert (PART_A in text, PART_B in text, SHARED in text) == (True, True, True)
