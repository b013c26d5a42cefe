"""Session-note pages: who may open and change what, and the note's life through the pages.

Access: the client's therapist, who wrote the note, edits a draft, signs it and adds addenda;
their supervisor reads every note (403 on every therapist write) and alone co-signs or returns
a note waiting for them; everyone else gets 404, because a client's existence is itself
private. "Notes" is a therapist's own page and "Co-signature" a supervisor's; anyone signed out
is sent to sign in. Every refused write changes nothing.

Flows: starting a note on an attended session, saving with the typed text kept on errors,
autosave, language hints, the conflict between two tabs, signing with the password, the
supervisor's decision, addenda, rating alerts, the therapist's notes page, the co-signature
queue, the chart's Sessions section and the caseload's notices.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp import formats
from hrp.accounts.models import Supervision, User
from hrp.audit.models import AuditEvent
from sessions import services
from sessions.models import Appointment, NoteAddendum, NoteReview, RatingAlert, SessionNote
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.conftest import STAFF_ROLES
from tests.factories import TEST_PASSWORD, SupervisionFactory, TherapistFactory
from tests.goals.helpers import form_values, table
from tests.htmltext import cell_text, parse
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    days_from_today,
    sign_note,
)

ClientFor = Callable[[User | None], HttpClient]

RANGE_ERROR = "Use a number from 0 to 10."
HINT = (
    "A suggestion, not a rule: instead of “addict”, consider “person who uses drugs” / "
    "“person with a substance use disorder”."
)


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin", chart_number="C-NOTE1")


@pytest.fixture
def draft(record: Client) -> SessionNote:
    """A complete DAP draft of the session two days ago at 10:00, by the client's therapist."""
    return SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(-2), "10:00")
        )
    )


def _signed(record: Client, days: int) -> SessionNote:
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(days), "10:00")
        )
    )
    return sign_note(note)


def _awaiting(record: Client, days: int) -> SessionNote:
    """A note signed by an author who needs co-signature (the flag is set back afterwards)."""
    author = record.therapist
    User.objects.filter(pk=author.pk).update(requires_cosign=True)
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(days), "10:00")
        ),
        author=User.objects.get(pk=author.pk),
    )
    note = sign_note(note)
    User.objects.filter(pk=author.pk).update(requires_cosign=False)
    return note


@pytest.fixture
def notes(record: Client, draft: SessionNote) -> dict[str, Any]:
    """What each URL needs: a draft, a signed note, one waiting for co-signature, an attended
    session without a note and an open rating alert."""
    signed = _signed(record, -9)
    return {
        "draft": draft,
        "signed": signed,
        "awaiting": _awaiting(record, -5),
        "unwritten": AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(-1), "15:00")
        ),
        "alert": RatingAlert.objects.create(
            note=signed, client=record, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=12
        ),
    }


def _state() -> dict[str, Any]:
    """Everything a note write could change, as plain values (the version included)."""
    return {
        "notes": [model_to_dict(n) for n in SessionNote.objects.order_by("pk")],
        "versions": list(SessionNote.objects.order_by("pk").values_list("version", "updated_at")),
        "addenda": [model_to_dict(a) for a in NoteAddendum.objects.order_by("pk")],
        "reviews": [model_to_dict(r) for r in NoteReview.objects.order_by("pk")],
        "alerts": [model_to_dict(a) for a in RatingAlert.objects.order_by("pk")],
        "appointments": [model_to_dict(a) for a in Appointment.objects.order_by("pk")],
        "changes": AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    }


def _row(note: SessionNote) -> dict[str, Any]:
    stored = SessionNote.objects.get(pk=note.pk)
    return {**model_to_dict(stored), "version": stored.version, "updated_at": stored.updated_at}


def _messages(response: HttpResponse) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def note_url(name: str, note: SessionNote) -> str:
    return reverse(f"sessions:{name}", kwargs={"pk": note.client_id, "note_pk": note.pk})


def _note_post(note: SessionNote, **overrides: Any) -> dict[str, Any]:
    """The editor's fields for a DAP note without goals or substances, as stored."""

    def number(value: int | None) -> str:
        return "" if value is None else str(value)

    data: dict[str, Any] = {
        "version": str(note.version),
        "agenda": note.agenda,
        "data": note.data,
        "assessment": note.assessment,
        "plan": note.plan,
        "risk_actions": note.risk_actions,
        "next_time": note.next_time,
        "overdose_risk": note.overdose_risk,
        "suicide_risk": note.suicide_risk,
        "tension_before": number(note.tension_before),
        "tension_after": number(note.tension_after),
        **{name: number(getattr(note, name)) for name in SessionNote.RATING_FIELDS},
    }
    data.update(overrides)
    return data


def _with_password(user: User) -> User:
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


# --- Access matrix -----------------------------------------------------------------------------


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


POST_ONLY = {role: 405 for role in STAFF_ROLES}
NOTE_GET: dict[str, dict[str, int]] = {
    "note_start": POST_ONLY,
    "note": _statuses(200, 200),
    "note_autosave": POST_ONLY,
    # Signing is the author's: the supervisor may read the note, not sign it.
    "note_sign": _statuses(200, 403),
    "note_addendum": POST_ONLY,
    "note_review": POST_ONLY,
    "rating_alert_ack": POST_ONLY,
    # A therapist's own list: any therapist has one; a supervisor who is not a therapist has none.
    "my_notes": {**_statuses(200, 404), "other_therapist": 200},
    # A supervisor's own queue, the other way round.
    "cosign_queue": {**_statuses(404, 200), "other_supervisor": 200},
}
NOTE_POST: dict[str, dict[str, int]] = {
    "note_start": _statuses(302, 403),
    "note": _statuses(302, 403),
    "note_autosave": _statuses(200, 403),
    "note_sign": _statuses(302, 403),
    "note_addendum": _statuses(302, 403),
    # The supervisor decides; the therapist may read the note but not co-sign it.
    "note_review": {**_statuses(403, 302)},
    # Seen by either of the two people the alert is for.
    "rating_alert_ack": _statuses(302, 302),
}
# Who changes something with a successful POST.
WRITER = {"note_review": "supervisor", "rating_alert_ack": "therapist"}


def matrix_url(name: str, notes: dict[str, Any]) -> str:
    client_pk = notes["draft"].client_id
    if name in ("my_notes", "cosign_queue"):
        return reverse(f"sessions:{name}")
    if name == "note_start":
        return reverse(
            "sessions:note_start",
            kwargs={"pk": client_pk, "appointment_pk": notes["unwritten"].pk},
        )
    if name == "rating_alert_ack":
        return reverse(
            "sessions:rating_alert_ack", kwargs={"pk": client_pk, "alert_pk": notes["alert"].pk}
        )
    note = {"note_addendum": notes["signed"], "note_review": notes["awaiting"]}.get(
        name, notes["draft"]
    )
    return note_url(name, note)


def matrix_post(name: str, notes: dict[str, Any]) -> dict[str, Any]:
    draft = notes["draft"]
    return {
        "note": _note_post(draft, agenda="A changed agenda."),
        "note_autosave": _note_post(draft, agenda="A changed agenda."),
        "note_sign": {"version": str(draft.version), "password": TEST_PASSWORD},
        "note_addendum": {"text": "The session ran ten minutes over."},
        "note_review": {"decision": "cosign", "password": TEST_PASSWORD},
    }.get(name, {})


def test_the_matrix_names_every_note_url() -> None:
    assert set(NOTE_GET) == {
        "note_start",
        "note",
        "note_autosave",
        "note_sign",
        "note_addendum",
        "note_review",
        "rating_alert_ack",
        "my_notes",
        "cosign_queue",
    }
    assert set(NOTE_POST) == set(NOTE_GET) - {"my_notes", "cosign_queue"}


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(NOTE_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    notes: dict[str, Any],
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).get(matrix_url(name, notes))

    assert response.status_code == NOTE_GET[name][role]
    assert _state() == before


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(NOTE_POST))
def test_post_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    notes: dict[str, Any],
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    if role in ("therapist", "supervisor"):
        _with_password(user)
    before = _state()

    response = client_for(user).post(matrix_url(name, notes), matrix_post(name, notes))

    assert response.status_code == NOTE_POST[name][role]
    if role == WRITER.get(name, "therapist") or (
        name == "rating_alert_ack" and role == "supervisor"
    ):
        assert _state() != before
    else:
        assert _state() == before


@pytest.mark.parametrize("name", list(NOTE_GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, notes: dict[str, Any], name: str, method: str
) -> None:
    url = matrix_url(name, notes)
    before = _state()
    web = client_for(None)

    response = web.post(url, matrix_post(name, notes)) if method == "post" else web.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


def test_a_note_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=ClientFactory(therapist=therapist))
    )
    url = reverse("sessions:note", kwargs={"pk": record.pk, "note_pk": elsewhere.pk})

    response = client_for(therapist).get(url)

    assert response.status_code == 404


def test_a_draft_is_edited_only_by_its_author_while_they_are_the_therapist(
    client_for: ClientFor, therapist: User, other_therapist: User, draft: SessionNote
) -> None:
    """After a reassignment the new therapist reads the earlier therapist's draft: 409, no
    editor, nothing saved."""
    Client.objects.filter(pk=draft.client_id).update(therapist=other_therapist)
    web = client_for(other_therapist)
    before = _row(draft)

    page = web.get(note_url("note", draft))
    response = web.post(note_url("note", draft), _note_post(draft, agenda="Mine now."))

    assert page.status_code == 200
    assert page.context["note_editable"] is False
    assert 'id="note-form"' not in page.content.decode()
    assert response.status_code == 409
    assert _row(draft) == before


# --- Starting a note ---------------------------------------------------------------------------


def test_starting_a_note_on_an_attended_session(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    url = reverse("sessions:note_start", kwargs={"pk": record.pk, "appointment_pk": appointment.pk})
    web = client_for(therapist)

    response = web.post(url)
    again = web.post(url)

    note = SessionNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == note_url("note", note)
    assert again["Location"] == note_url("note", note)
    assert (note.appointment, note.client, note.author, note.status, note.format, note.version) == (
        appointment,
        record,
        therapist,
        "draft",
        "dap",
        1,
    )
    assert AuditEvent.objects.filter(action="note.create").count() == 1


@pytest.mark.parametrize("status", ["scheduled", "no_show", "cancelled_client"])
def test_a_note_is_not_started_before_the_attendance_is_recorded(
    client_for: ClientFor, therapist: User, record: Client, status: str
) -> None:
    appointment = AppointmentFactory(
        client=record,
        starts_at=at(days_from_today(-1), "09:00"),
        status=status,
        notice_hours=4 if status == "cancelled_client" else None,
    )
    before = _state()

    response = client_for(therapist).post(
        reverse("sessions:note_start", kwargs={"pk": record.pk, "appointment_pk": appointment.pk})
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:section", kwargs={"pk": record.pk})
    assert _messages(response) == [
        ("error", "A note is written for an attended session. Record the attendance first.")
    ]
    assert SessionNote.objects.count() == 0
    assert _state() == before


# --- Saving the whole draft --------------------------------------------------------------------


def test_saving_the_draft(client_for: ClientFor, therapist: User, draft: SessionNote) -> None:
    response = client_for(therapist).post(
        note_url("note", draft),
        _note_post(draft, agenda="Sleep and the weekend.", rating_heard="9", then="stay"),
    )

    assert response.status_code == 302
    assert response["Location"] == note_url("note", draft)
    assert _messages(response) == [("success", "Draft saved.")]
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.agenda, stored.rating_heard, stored.version) == ("Sleep and the weekend.", 9, 2)


def test_save_and_sign_goes_to_the_sign_page(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    response = client_for(therapist).post(note_url("note", draft), _note_post(draft, then="sign"))

    assert response.status_code == 302
    assert response["Location"] == note_url("note_sign", draft)


@pytest.mark.parametrize("rating", ["11", "-1"])
def test_a_rating_out_of_range_keeps_the_typed_text(
    client_for: ClientFor, therapist: User, draft: SessionNote, rating: str
) -> None:
    typed = "What they said about the week, typed before the rating."
    before = _row(draft)

    response = client_for(therapist).post(
        note_url("note", draft), _note_post(draft, data=typed, rating_overall=rating)
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"rating_overall": [RANGE_ERROR]}
    assert text(response).count(RANGE_ERROR) == 1
    assert _messages(response) == [
        ("error", "The draft was not saved: please check the marked fields.")
    ]
    values = form_values(response)
    assert (values["data"], values["rating_overall"]) == (typed, rating)
    assert _row(draft) == before


def test_a_text_over_the_limit_is_refused_and_kept(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    typed = "x" * 20_001
    before = _row(draft)

    response = client_for(therapist).post(note_url("note", draft), _note_post(draft, plan=typed))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "plan": [
            "This is limited to 20,000 characters (it has 20001). Your text is kept below: "
            "shorten it, or move part of it to an addendum after signing."
        ]
    }
    assert "limited to 20,000 characters" in text(response)
    assert form_values(response)["plan"] == typed
    assert _row(draft) == before


def test_a_text_of_exactly_the_limit_is_saved(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    typed = "y" * 20_000

    response = client_for(therapist).post(note_url("note", draft), _note_post(draft, plan=typed))

    assert response.status_code == 302
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.plan, stored.version) == (typed, 2)


def test_a_language_hint_does_not_stop_the_save(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    response = client_for(therapist).post(
        note_url("note", draft), _note_post(draft, assessment="Sees himself as an addict.")
    )

    assert response.status_code == 302
    assert _messages(response) == [("success", "Draft saved."), ("info", HINT)]
    assert SessionNote.objects.get(pk=draft.pk).assessment == "Sees himself as an addict."


# --- Autosave ----------------------------------------------------------------------------------


def _autosave(web: HttpClient, note: SessionNote, data: dict[str, Any]) -> HttpResponse:
    return web.post(note_url("note_autosave", note), data, headers={"HX-Request": "true"})


def test_autosave_answers_with_the_new_version(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    response = _autosave(client_for(therapist), draft, _note_post(draft, next_time="Sleep log."))

    stored = SessionNote.objects.get(pk=draft.pk)
    saved_at = formats.precise_time(stored.updated_at)
    assert response.status_code == 200
    assert (stored.next_time, stored.version) == ("Sleep log.", 2)
    assert response.content.decode() == (
        f'<span class="text-success">Draft saved at {saved_at}.</span>\n\n'
        '<input type="hidden" name="version" id="id_version" value="2" hx-swap-oob="true">\n'
    )


def test_autosave_with_a_problem_saves_nothing_and_says_what(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    before = _row(draft)

    response = _autosave(
        client_for(therapist),
        draft,
        _note_post(draft, agenda="Typed, not saved yet.", tension_before="12"),
    )

    assert response.status_code == 200
    assert _row(draft) == before
    page = text(response)
    assert page.count("Not saved yet.") == 1
    items = re.findall(r"<li>(.*?)</li>", page)
    assert items == [f"Tension before (0-10): {RANGE_ERROR}"]
    assert "hx-swap-oob" not in page


def test_autosave_shows_the_language_hint_and_saves(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    response = _autosave(
        client_for(therapist), draft, _note_post(draft, data="Talked about being an addict.")
    )

    assert response.status_code == 200
    assert re.findall(r"<li>(.*?)</li>", text(response)) == [HINT]
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.data, stored.version) == ("Talked about being an addict.", 2)


# --- Two tabs: the conflict --------------------------------------------------------------------


def _replace_form(response: HttpResponse) -> tuple[str, dict[str, list[str]]]:
    """The action and hidden inputs of the form whose button replaces the saved text."""
    [form] = parse(response).xpath('//*[@id="conflict"]//form')
    data: dict[str, list[str]] = {}
    for field in form.xpath('.//input[@type="hidden"]'):
        name = field.get("name") or ""
        if name != "csrfmiddlewaretoken":
            data.setdefault(name, []).append(field.get("value") or "")
    return form.get("action") or "", data


def test_two_saves_from_the_same_version_conflict(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    first = web.post(note_url("note", draft), _note_post(draft, agenda="Saved in tab one."))
    saved = _row(draft)

    response = web.post(note_url("note", draft), _note_post(draft, agenda="Typed in tab two."))

    assert first.status_code == 302
    assert response.status_code == 409
    assert _row(draft) == saved
    assert response.context["conflict"] == [
        {
            "name": "agenda",
            "label": "The client's agenda for today, in their words",
            "saved": "Saved in tab one.",
            "mine": "Typed in tab two.",
        }
    ]
    page = text(response)
    assert re.findall(
        r'<textarea class="form-control" id="(saved|mine)-agenda"[^>]*>(.*?)</textarea>', page
    ) == [
        ("saved", "Saved in tab one."),
        ("mine", "Typed in tab two."),
    ]
    assert page.count("Replace it with the text on this page") == 1
    action, data = _replace_form(response)
    assert action == note_url("note", draft)
    assert (data["agenda"], data["version"]) == (["Typed in tab two."], ["2"])


def test_replacing_the_saved_text_with_this_tabs_text(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    web.post(note_url("note", draft), _note_post(draft, agenda="Saved in tab one."))
    conflict = web.post(note_url("note", draft), _note_post(draft, agenda="Typed in tab two."))
    action, data = _replace_form(conflict)

    response = web.post(action, data)

    assert response.status_code == 302
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.agenda, stored.version) == ("Typed in tab two.", 3)


def test_an_autosave_from_a_stale_version_conflicts(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    _autosave(web, draft, _note_post(draft, plan="Plan from tab one."))
    saved = _row(draft)

    response = _autosave(web, draft, _note_post(draft, plan="Plan from tab two."))

    assert response.status_code == 409
    assert _row(draft) == saved
    page = text(response)
    assert "Plan from tab one." in page
    assert "Plan from tab two." in page
    assert page.count("Replace it with the text on this page") == 1


# --- A signed note is locked -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["note", "note_autosave", "note_sign"])
@pytest.mark.parametrize("htmx", [False, True])
def test_every_write_to_a_signed_note_is_refused(
    client_for: ClientFor, therapist: User, draft: SessionNote, name: str, htmx: bool
) -> None:
    _with_password(therapist)
    note = sign_note(draft)
    before = _state()
    data = (
        {"version": str(note.version), "password": TEST_PASSWORD}
        if name == "note_sign"
        else _note_post(note, agenda="Changed after signing.")
    )
    headers = {"HX-Request": "true"} if htmx else {}

    response = client_for(therapist).post(note_url(name, note), data, headers=headers)

    assert response.status_code == 409
    assert _state() == before
    page = text(response)
    if htmx:
        assert page.count("This note has been signed and can no longer be changed") == 1
    else:
        assert _messages(response) == [
            ("error", "This note is signed and can no longer be changed.")
        ]
        assert 'id="note-form"' not in page


# --- Signing -----------------------------------------------------------------------------------


def test_signing_with_the_password(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    _with_password(therapist)

    response = client_for(therapist).post(
        note_url("note_sign", draft), {"version": "1", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == note_url("note", draft)
    assert _messages(response) == [
        ("success", "Signed. The note is locked; corrections are addenda.")
    ]
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.status, stored.signed_by, stored.version, stored.hash_verified()) == (
        "signed",
        therapist,
        2,
        True,
    )


def test_a_therapist_who_needs_cosignature_signs_into_the_queue(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    _with_password(therapist)

    response = client_for(therapist).post(
        note_url("note_sign", draft), {"version": "1", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert _messages(response) == [
        ("success", "Signed. The note is now with your supervisor for co-signature.")
    ]
    assert SessionNote.objects.get(pk=draft.pk).status == "awaiting_cosign"


def test_a_wrong_password_leaves_the_draft(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    _with_password(therapist)
    before = _row(draft)

    response = client_for(therapist).post(
        note_url("note_sign", draft), {"version": "1", "password": "not-the-password"}
    )

    assert response.status_code == 400
    assert response.context["sign_form"].errors == {
        "password": ["That password is not right. The note is still a draft."]
    }
    assert text(response).count("That password is not right") == 1
    assert _row(draft) == before
    assert SessionNote.objects.get(pk=draft.pk).status == "draft"


def test_the_sign_page_lists_what_an_incomplete_note_needs(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(client=record),
        data="",
        assessment="",
        plan="",
        overdose_risk="",
        suicide_risk="",
        rating_heard=8,
    )

    response = client_for(therapist).get(note_url("note_sign", note))

    assert response.status_code == 200
    assert response.context["sign_problems"] == [
        "Write the body of the note.",
        "Record the overdose risk and suicidal thoughts (“None noted” is a choice).",
        "Enter all four session ratings, or none.",
    ]
    page = text(response)
    assert page.count("The note cannot be signed yet:") == 1
    assert 'name="password"' not in page


def test_the_sign_page_of_a_complete_note_asks_for_the_password(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    response = client_for(therapist).get(note_url("note_sign", draft))

    assert response.status_code == 200
    assert response.context["sign_problems"] == []
    assert text(response).count('name="password"') == 1


# --- The supervisor's decision -----------------------------------------------------------------


def test_the_supervisor_cosigns(client_for: ClientFor, supervisor: User, record: Client) -> None:
    note = _awaiting(record, -3)
    web = client_for(_with_password(supervisor))

    page = web.get(note_url("note", note))
    response = web.post(
        note_url("note_review", note), {"decision": "cosign", "password": TEST_PASSWORD}
    )

    assert page.context["is_reviewer"] is True
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:cosign_queue")
    assert _messages(response) == [("success", "Co-signed.")]
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.status, stored.cosigned_by) == ("cosigned", supervisor)
    assert list(NoteReview.objects.values_list("decision", "reviewer")) == [
        ("cosigned", supervisor.pk)
    ]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Enter your password to co-sign."),
        ("not-the-password", "That password is not right. The note is not co-signed."),
    ],
)
def test_co_signing_asks_for_the_password_as_signing_does(
    client_for: ClientFor, supervisor: User, record: Client, typed: str, error: str
) -> None:
    note = _awaiting(record, -3)
    web = client_for(_with_password(supervisor))
    page = web.get(note_url("note", note))
    before = _state()

    response = web.post(note_url("note_review", note), {"decision": "cosign", "password": typed})

    assert text(page).count('name="password"') == 1
    assert response.status_code == 400
    assert response.context["review_form"].errors == {"password": [error]}
    assert text(response).count(error) == 1
    assert _state() == before
    refused = list(AuditEvent.objects.filter(action="note.cosign_refused").values_list("detail"))
    assert refused == ([("wrong password",)] if typed else [])


def test_returning_without_comments_is_refused(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    note = _awaiting(record, -3)
    before = _state()

    response = client_for(supervisor).post(
        note_url("note_review", note), {"decision": "return", "comments": "  "}
    )

    assert response.status_code == 400
    assert response.context["review_form"].errors == {
        "comments": ["Say what the therapist should revise."]
    }
    assert text(response).count("Say what the therapist should revise.") == 1
    assert _state() == before


def test_a_returned_note_reopens_with_the_comments(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    note = _awaiting(record, -3)

    response = client_for(supervisor).post(
        note_url("note_review", note),
        {"decision": "return", "comments": "Say what the client chose to try."},
    )
    page = client_for(therapist).get(note_url("note", note))

    assert response.status_code == 302
    assert _messages(response) == [("success", "Returned to the therapist with your comments.")]
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.status, stored.signed_at, stored.content_hash) == ("draft", None, "")
    assert page.context["note_editable"] is True
    shown = text(page)
    review = NoteReview.objects.get()
    when = formats.datetime_(review.created_at)
    assert shown.count(f"Returned by Sue Supervisor on {when}") == 1
    assert shown.count("Say what the client chose to try.") == 1


def test_a_supervisor_of_someone_else_may_not_decide(
    client_for: ClientFor, other_supervisor: User, therapist: User, record: Client
) -> None:
    """Supervising the author through a second supervision only counts while it lasts."""
    note = _awaiting(record, -3)
    SupervisionFactory(supervisor=other_supervisor, supervisee=therapist, ended_at=timezone.now())
    before = _state()

    response = client_for(_with_password(other_supervisor)).post(
        note_url("note_review", note), {"decision": "cosign", "password": TEST_PASSWORD}
    )

    assert response.status_code == 404
    assert _state() == before


# --- Addenda and rating alerts -----------------------------------------------------------------


def test_an_addendum_is_shown_under_the_note_with_its_author(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    note = sign_note(draft)
    web = client_for(therapist)
    signed = _row(note)

    response = web.post(
        note_url("note_addendum", note), {"text": "The client called to add: it was Friday."}
    )
    page = web.get(note_url("note", note))

    assert response.status_code == 302
    assert response["Location"] == note_url("note", note) + "#addenda"
    assert _messages(response) == [("success", "Addendum added.")]
    addendum = NoteAddendum.objects.get()
    when = formats.datetime_(addendum.created_at)
    html = text(page)
    addenda = html[html.index('id="addenda"') :]
    assert re.findall(r"<article[^>]*>\s*<p[^>]*>(.*?)</p>\s*<p[^>]*>(.*?)</p>", addenda) == [
        (f"Tess Therapist, {when}", "The client called to add: it was Friday.")
    ]
    assert _row(note) == signed  # the note itself never changes


def test_an_addendum_to_a_draft_is_refused(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    before = _state()

    response = client_for(therapist).post(note_url("note_addendum", draft), {"text": "Later."})

    assert response.status_code == 400
    assert response.context["addendum_form"].non_field_errors() == [
        "A draft is changed directly; addenda are for signed notes."
    ]
    assert _state() == before


@pytest.mark.parametrize(
    ("role", "back", "target"),
    [
        ("therapist", "", "section"),
        ("therapist", "notes", "my_notes"),
        ("supervisor", "cosign", "cosign_queue"),
    ],
)
def test_acknowledging_a_rating_alert(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    notes: dict[str, Any],
    role: str,
    back: str,
    target: str,
) -> None:
    user = request.getfixturevalue(role)
    alert = notes["alert"]

    response = client_for(user).post(matrix_url("rating_alert_ack", notes), {"next": back})

    assert response.status_code == 302
    expected = (
        reverse("sessions:section", kwargs={"pk": alert.client_id})
        if target == "section"
        else reverse(f"sessions:{target}")
    )
    assert response["Location"] == expected
    assert _messages(response) == [("success", "Alert marked as seen.")]
    alert.refresh_from_db()
    assert alert.acknowledged_by == user
    assert alert.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="rating_alert.acknowledge").count() == 1


# --- The therapist's notes page and the supervisor's queue -------------------------------------


def sections(response: HttpResponse) -> dict[str, list[str]]:
    """For each <section aria-labelledby=...>, the text of the first <span> of each list item."""
    items: dict[str, list[str]] = {}
    for section in parse(response).xpath("//section[@aria-labelledby != '']"):
        items.setdefault(section.get("aria-labelledby"), []).extend(
            cell_text(li.xpath(".//span")[0])
            for li in section.xpath(".//li")
            if li.xpath(".//span")
        )
    return items


def _when(appointment: Appointment, kind: str = "weekday_datetime") -> str:
    return getattr(formats, kind)(appointment.starts_at)


def test_my_notes_lists_each_kind_of_unfinished_note(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    late_unwritten = AttendedAppointmentFactory(
        client=record, starts_at=at(days_from_today(-6), "09:00")
    )
    late_draft = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(-5), "09:00")
        )
    )
    # Ended less than 24 hours ago: a draft, not late yet.
    fresh = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=timezone.now() - datetime.timedelta(hours=2)
        )
    )
    returned = _awaiting(record, -4)
    services.note_return(actor=supervisor, note=returned, comments="Add the plan.")
    awaiting = _awaiting(record, -3)
    _signed(record, -8)  # finished: listed nowhere
    alert = RatingAlert.objects.create(
        note=awaiting, client=record, reason=RatingAlert.Reason.DROP, total=20
    )
    # Another therapist's client: on nobody's list here.
    other = ClientFactory(therapist=TherapistFactory(), preferred_name="Sky")
    AttendedAppointmentFactory(client=other, starts_at=at(days_from_today(-6), "11:00"))

    response = client_for(therapist).get(reverse("sessions:my_notes"))

    assert response.status_code == 200
    assert sections(response) == {
        # Oldest first: the one with no note, a draft, the returned one (a draft again).
        "late-h": [
            f"Robin (C-NOTE1) · {_when(late_unwritten)} · no note yet",
            f"Robin (C-NOTE1) · {_when(late_draft.appointment)} · draft",
            f"Robin (C-NOTE1) · {_when(returned.appointment)} · draft",
        ],
        "returned-h": [f"Robin (C-NOTE1) · {_when(returned.appointment)}"],
        "drafts-h": [
            f"Robin (C-NOTE1) · {_when(late_draft.appointment)}",
            f"Robin (C-NOTE1) · {_when(fresh.appointment)}",
        ],
        "awaiting-h": [f"Robin (C-NOTE1) · {_when(awaiting.appointment)}"],
        # Contacts outside sessions have their own list (tests/sessions/test_contacts_views.py).
        "contact-drafts-h": [],
        "alerts-h": [
            f"Robin (C-NOTE1), {_when(awaiting.appointment, 'day_month')}: 20/40 · "
            "Well below this client's usual rating"
        ],
    }
    assert alert.acknowledged_at is None


def test_the_cosign_queue_shows_only_current_supervisees(
    client_for: ClientFor,
    supervisor: User,
    therapist: User,
    other_therapist: User,
    record: Client,
) -> None:
    mine = _awaiting(record, -3)
    _awaiting(ClientFactory(therapist=other_therapist, preferred_name="Sky"), -3)
    former = TherapistFactory(full_name="Fern Former")
    SupervisionFactory(supervisor=supervisor, supervisee=former)
    _awaiting(ClientFactory(therapist=former, preferred_name="Kit"), -4)
    Supervision.objects.filter(supervisee=former).update(ended_at=timezone.now())

    response = client_for(supervisor).get(reverse("sessions:cosign_queue"))

    assert response.status_code == 200
    assert list(response.context["queue"]) == [mine]
    assert sections(response)["queue-h"] == [
        f"Robin (C-NOTE1) · {_when(mine.appointment)} · Tess Therapist"
    ]


# --- The chart's Sessions section and the caseload ---------------------------------------------


@pytest.fixture
def chart(record: Client, draft: SessionNote) -> dict[str, Any]:
    """Past: an attended session with no note, one with the draft, one with a signed note and a
    no-show; the signed one rated 30."""
    unwritten = AttendedAppointmentFactory(
        client=record, starts_at=at(days_from_today(-1), "15:00")
    )
    signed = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=at(days_from_today(-9), "10:00")
        ),
        rating_heard=8,
        rating_wanted=7,
        rating_approach=7,
        rating_overall=8,
    )
    signed = sign_note(signed)
    no_show = AppointmentFactory(
        client=record, starts_at=at(days_from_today(-16), "10:00"), status="no_show"
    )
    return {"unwritten": unwritten, "draft": draft, "signed": signed, "no_show": no_show}


def _note_cells(response: HttpResponse) -> list[str]:
    header, rows = table(response)
    column = header.index("Note")
    return [row[column] for row in rows if len(row) > column]


def test_the_section_offers_the_owner_a_note_to_write(
    client_for: ClientFor, therapist: User, chart: dict[str, Any]
) -> None:
    response = client_for(therapist).get(
        reverse("sessions:section", kwargs={"pk": chart["draft"].client_id})
    )

    assert response.status_code == 200
    assert _note_cells(response)[:4] == [
        f"Write note: {_when(chart['unwritten'], 'day_month')}",
        f"Draft: note of {_when(chart['draft'].appointment, 'day_month')}",
        f"Signed: note of {_when(chart['signed'].appointment, 'day_month')}",
        "—",
    ]
    page = text(response)
    start = reverse(
        "sessions:note_start",
        kwargs={"pk": chart["draft"].client_id, "appointment_pk": chart["unwritten"].pk},
    )
    assert page.count(f'action="{start}"') == 1
    assert page.count(f'href="{note_url("note", chart["draft"])}"') == 1
    assert page.count(f'href="{note_url("note", chart["signed"])}"') == 1
    assert [p.total for p in response.context["ratings"]] == [30]


def test_the_supervisor_sees_the_notes_but_no_note_to_write(
    client_for: ClientFor, supervisor: User, chart: dict[str, Any]
) -> None:
    response = client_for(supervisor).get(
        reverse("sessions:section", kwargs={"pk": chart["draft"].client_id})
    )

    assert response.status_code == 200
    assert _note_cells(response)[:4] == [
        "No note yet",
        f"Draft: note of {_when(chart['draft'].appointment, 'day_month')}",
        f"Signed: note of {_when(chart['signed'].appointment, 'day_month')}",
        "—",
    ]
    assert "/note/" not in text(response)


def test_the_caseload_tells_the_therapist_about_late_notes(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    AttendedAppointmentFactory(client=record, starts_at=at(days_from_today(-3), "10:00"))
    AttendedAppointmentFactory(client=record, starts_at=at(days_from_today(-4), "10:00"))

    response = client_for(therapist).get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert [(n.text, n.url, n.level) for n in response.context["notices"]] == [
        (
            "2 sessions have no signed note 24 hours after they ended.",
            reverse("sessions:my_notes"),
            "warning",
        )
    ]
    assert text(response).count("2 sessions have no signed note 24 hours after they ended.") == 2


def test_the_caseload_notices_returned_notes_and_rating_alerts(
    client_for: ClientFor, therapist: User, supervisor: User, record: Client
) -> None:
    returned = _awaiting(record, -3)
    services.note_return(actor=supervisor, note=returned, comments="Add the plan.")
    RatingAlert.objects.create(
        note=_signed(record, -10), client=record, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=9
    )

    response = client_for(therapist).get(reverse("clients:caseload"))

    assert [(n.text, n.level) for n in response.context["notices"]] == [
        ("1 session has no signed note 24 hours after it ended.", "warning"),
        ("1 note came back from your supervisor with comments.", "info"),
        ("1 session rating needs a look.", "info"),
    ]
    [(row_client, flags, _screening)] = response.context["rows"]
    assert (row_client, [f.label for f in flags]) == (record, ["Session rating alert"])


def test_a_quiet_caseload_has_no_notices(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    sign_note(draft)

    response = client_for(therapist).get(reverse("clients:caseload"))

    assert response.context["notices"] == []
