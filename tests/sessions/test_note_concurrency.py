"""Notes under concurrency: double clicks, racing tabs and lost answers never make a 500, a
second signature or a conflict with one's own text.

- Ten signs and ten autosaves of one draft at once, each on its own connection to the real
  PostgreSQL: exactly one signature, every other request answers the page's own 409 (or a
  save that landed before the signature), none a 500.
- Signing checks the password before it locks the note, so a wrong password is answered at
  once even while another request holds the note.
- A save whose answer was lost (a timeout, a restart, Back after an error page) is followed by
  the same editor's next save from the older version: that is recognised by the editor's key
  and saved, while another editor's save from the same version is still a conflict.
- Two co-signatures at once: one co-signs, the other is told the note has moved on (409).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from sessions.models import NoteAddendum, SessionNote
from tests.clients.factories import ClientFactory
from tests.concurrency import run_at_once, web_for
from tests.factories import TEST_PASSWORD
from tests.sessions.factories import AttendedAppointmentFactory, SessionNoteFactory, sign_note
from tests.sessions.factories_review import NoteAddendumFactory

ClientFor = Callable[[User | None], HttpClient]
EDITOR_A = "3f0c7d52-9a41-4c3e-8f7e-1d2b3c4d5e6f"
EDITOR_B = "a1b2c3d4-0000-4000-8000-123456789abc"
SIGN_REQUESTS = 10
AUTOSAVES = 10


def _url(name: str, note: SessionNote) -> str:
    return reverse(f"sessions:{name}", kwargs={"pk": note.client_id, "note_pk": note.pk})


def _fields(note: SessionNote, **overrides: Any) -> dict[str, Any]:
    """The editor's fields of a complete DAP draft without goals or substances."""
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
    }
    data.update(overrides)
    return data


def _with_password(user: User) -> User:
    user.set_password(TEST_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-RACE1")


@pytest.fixture
def draft(record: Client) -> SessionNote:
    return SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))


def _autosave(web: HttpClient, note: SessionNote, data: dict[str, Any]) -> Any:
    return web.post(_url("note_autosave", note), data, headers={"HX-Request": "true"})


# --- A lost answer is not a conflict with oneself ----------------------------------------------


def test_the_same_editor_goes_on_after_a_lost_answer(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    # The first autosave is applied, but its answer (with version 2) never reaches the page.
    _autosave(web, draft, _fields(draft, plan="First words.", save_key=EDITOR_A))
    # Back after an error page, or the next keystroke: the page still says version 1.
    response = _autosave(
        web, draft, _fields(draft, plan="First words, then more.", save_key=EDITOR_A)
    )
    # And once more, the answer lost again.
    again = web.post(
        _url("note", draft), _fields(draft, plan="First words, then more still.", save_key=EDITOR_A)
    )

    assert (response.status_code, again.status_code) == (200, 302)
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.plan, stored.version) == ("First words, then more still.", 4)


def test_another_editor_from_the_same_version_still_conflicts(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    _autosave(web, draft, _fields(draft, plan="Tab one.", save_key=EDITOR_A))

    other = _autosave(web, draft, _fields(draft, plan="Tab two.", save_key=EDITOR_B))
    unkeyed = web.post(_url("note", draft), _fields(draft, plan="No script."))

    assert (other.status_code, unkeyed.status_code) == (409, 409)
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.plan, stored.version) == ("Tab one.", 2)


def test_an_editor_whose_save_was_followed_by_another_conflicts(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    _autosave(web, draft, _fields(draft, plan="Tab one.", save_key=EDITOR_A))
    _autosave(web, draft, _fields(draft, version="2", plan="Tab two.", save_key=EDITOR_B))

    response = _autosave(web, draft, _fields(draft, plan="Tab one again.", save_key=EDITOR_A))

    assert response.status_code == 409
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.plan, stored.version) == ("Tab two.", 3)


def test_a_key_that_is_not_an_editor_key_is_ignored(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    web = client_for(therapist)
    _autosave(web, draft, _fields(draft, plan="One.", save_key="x'; --"))

    response = _autosave(web, draft, _fields(draft, plan="Two.", save_key="x'; --"))

    assert response.status_code == 409
    assert SessionNote.objects.get(pk=draft.pk).save_key == ""


def test_the_editor_page_carries_an_empty_key_for_its_script(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    page = client_for(therapist).get(_url("note", draft)).content.decode()

    assert '<input type="hidden" name="save_key" id="id_save_key">' in page


# --- Races on real connections -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_signs_and_ten_autosaves_at_once(therapist: User) -> None:
    _with_password(therapist)
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=ClientFactory(therapist=therapist, chart_number="C-RACE2")
        )
    )
    signers = [web_for(therapist) for _ in range(SIGN_REQUESTS)]
    savers = [web_for(therapist) for _ in range(AUTOSAVES)]

    def sign(web: HttpClient) -> Callable[[], tuple[str, int, float]]:
        def call() -> tuple[str, int, float]:
            started = time.monotonic()
            response = web.post(
                _url("note_sign", note), {"version": "1", "password": TEST_PASSWORD}
            )
            return ("sign", response.status_code, time.monotonic() - started)

        return call

    def autosave(web: HttpClient, n: int) -> Callable[[], tuple[str, int, float]]:
        def call() -> tuple[str, int, float]:
            started = time.monotonic()
            # The autosave a click on "Sign" fires as the field loses focus: the stored text.
            response = _autosave(web, note, _fields(note, save_key=f"editor-{n:04d}"))
            return ("autosave", response.status_code, time.monotonic() - started)

        return call

    results = run_at_once(
        [sign(w) for w in signers] + [autosave(w, n) for n, w in enumerate(savers)]
    )

    counts = Counter((kind, status) for kind, status, _seconds in results)
    stored = SessionNote.objects.get(pk=note.pk)
    signatures = AuditEvent.objects.filter(action=AuditAction.NOTE_SIGN, object_id=str(note.pk))
    print("status counts:", dict(counts))
    slowest = max(s for k, _c, s in results if k == "autosave")
    print(f"slowest autosave: {slowest:.2f} s")
    assert not [r for r in results if r[1] >= 500]
    assert counts[("sign", 302)] == 1
    # Every other sign is told the note moved on: signed meanwhile, or saved meanwhile.
    assert counts[("sign", 409)] == SIGN_REQUESTS - 1
    # Each autosave either landed before the signature or was refused after it.
    assert counts[("autosave", 200)] + counts[("autosave", 409)] == AUTOSAVES
    assert (stored.status, signatures.count(), stored.hash_verified()) == ("signed", 1, True)


@pytest.mark.django_db(transaction=True)
def test_ten_editors_saving_from_one_version_at_once(therapist: User) -> None:
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=ClientFactory(therapist=therapist, chart_number="C-RACE5")
        )
    )
    webs = [web_for(therapist) for _ in range(AUTOSAVES)]

    def autosave(web: HttpClient, n: int) -> Callable[[], int]:
        return lambda: (
            _autosave(
                web, note, _fields(note, plan=f"Plan {n}.", save_key=f"editor-{n:04d}")
            ).status_code
        )

    results = run_at_once([autosave(w, n) for n, w in enumerate(webs)])

    assert sorted(results) == [200] + [409] * (AUTOSAVES - 1)
    assert SessionNote.objects.get(pk=note.pk).version == 2


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_is_answered_while_the_note_is_held(therapist: User) -> None:
    _with_password(therapist)
    note = SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=ClientFactory(therapist=therapist, chart_number="C-RACE3")
        )
    )
    web = web_for(therapist)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                SessionNote.objects.select_for_update().get(pk=note.pk)
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        started = time.monotonic()
        response = web.post(_url("note_sign", note), {"version": "1", "password": "not it at all"})
        seconds = time.monotonic() - started
    finally:
        release.set()
        holder.join(30)

    assert response.status_code == 400
    assert seconds < 5
    assert SessionNote.objects.get(pk=note.pk).status == "draft"


@pytest.mark.django_db(transaction=True)
def test_two_cosignatures_at_once(therapist: User, supervisor: User) -> None:
    assert connection.vendor == "postgresql"
    User.objects.filter(pk=therapist.pk).update(requires_cosign=True)
    note = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=ClientFactory(therapist=therapist, chart_number="C-RACE4")
            ),
            author=User.objects.get(pk=therapist.pk),
        )
    )
    # Co-signing asks for the supervisor's password, as signing asks for the author's.
    supervisor.set_password(TEST_PASSWORD)
    supervisor.save(update_fields=["password"])
    webs = [web_for(supervisor) for _ in range(4)]

    results = run_at_once(
        [
            (
                lambda w=w: (
                    w.post(
                        _url("note_review", note), {"decision": "cosign", "password": TEST_PASSWORD}
                    ).status_code
                )
            )
            for w in webs
        ]
    )

    assert sorted(results) == [302, 409, 409, 409]
    assert SessionNote.objects.get(pk=note.pk).status == "cosigned"


@pytest.mark.django_db(transaction=True)
def test_an_addendum_sent_twice_at_once_is_added_once(therapist: User) -> None:
    note = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(
                client=ClientFactory(therapist=therapist, chart_number="C-RACE6")
            )
        )
    )
    webs = [web_for(therapist) for _ in range(3)]
    text = "Corrected the date of the last use: Sunday, not Saturday."

    statuses = run_at_once(
        [
            (lambda w=w: w.post(_url("note_addendum", note), {"text": text}).status_code)
            for w in webs
        ]
    )

    assert statuses == [302, 302, 302]
    assert [a.text for a in NoteAddendum.objects.filter(note=note)] == [text]
    assert AuditEvent.objects.filter(action=AuditAction.NOTE_ADDENDUM).count() == 1


def test_the_same_addendum_later_or_a_different_one_is_added(
    client_for: ClientFor, therapist: User, draft: SessionNote
) -> None:
    note = sign_note(draft)
    web = client_for(therapist)
    # Two minutes ago: longer than a resend.
    NoteAddendumFactory(note=note, text="First.", created_at=timezone.now() - timedelta(minutes=2))

    web.post(_url("note_addendum", note), {"text": "First."})
    web.post(_url("note_addendum", note), {"text": "Second."})

    assert [a.text for a in NoteAddendum.objects.filter(note=note)] == [
        "First.",
        "First.",
        "Second.",
    ]
