"""A signed note is locked at every layer, and tampering below them all is detected.

- The model: `save()` of a signed note (even through an instance loaded before it was signed)
  and `delete()` raise NoteLockedError; addenda and reviews are never changed or deleted.
- PostgreSQL: triggers refuse raw UPDATE and DELETE of a signed row, except the two status moves
  out of "awaiting co-signature" that leave the content byte-identical; addendum and review
  rows refuse both outright. A draft row updates normally.
- Tamper detection: ciphertext swapped with the triggers bypassed makes `note_verify` fail,
  records a security event, and the note page says "Integrity check failed".
- The Django admin (not mounted by the project; mounted here by tests.sessions.admin_urls):
  a signed note cannot be changed or deleted there, while a draft's change page loads.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import Error, connection, transaction
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.crypto import encrypt
from sessions import services
from sessions.models import NoteAddendum, NoteLockedError, NoteReview, SessionNote
from tests.clients.factories import ClientFactory
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.sessions.factories import SessionNoteFactory, sign_note

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the lock triggers exist on PostgreSQL only"
)

NOTES = "therapy_sessions_sessionnote"
ADDENDA = "therapy_sessions_noteaddendum"
REVIEWS = "therapy_sessions_notereview"
INTEGRITY_ALERT = "Integrity check failed"


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-LOCK1")


@pytest.fixture
def draft(record: Client) -> SessionNote:
    return SessionNoteFactory(appointment__client=record)


@pytest.fixture
def signed(draft: SessionNote) -> SessionNote:
    return sign_note(draft)


@pytest.fixture
def trainee(therapist: User, supervisor: User) -> User:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    return therapist


@pytest.fixture
def awaiting(trainee: User, record: Client) -> SessionNote:
    note = sign_note(SessionNoteFactory(appointment__client=record))
    assert note.status == SessionNote.Status.AWAITING_COSIGN
    return note


def _row(table: str, pk: int) -> tuple[Any, ...]:
    """The stored row exactly as the database holds it (ciphertext included)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def _execute(sql: str, params: list[Any]) -> int:
    """Run one raw statement in its own savepoint; the number of rows it touched."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _tamper(note: SessionNote, column: str, value: Any) -> None:
    """Overwrite a stored column of a signed note beneath every guard, as someone with
    database access could: on PostgreSQL with the triggers bypassed for this one statement."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            f"UPDATE {NOTES} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",
            [value, note.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


# --- The model ---------------------------------------------------------------------------------


def test_saving_a_signed_note_is_refused(signed: SessionNote) -> None:
    before = _row(NOTES, signed.pk)
    signed.plan = "Changed after signing."

    with pytest.raises(NoteLockedError):
        signed.save()
    with pytest.raises(NoteLockedError):
        signed.save(update_fields=["plan"])
    with pytest.raises(NoteLockedError):
        signed.save(update_fields=["status", "version"])

    assert _row(NOTES, signed.pk) == before


def test_a_stale_instance_of_a_note_signed_since_is_refused(draft: SessionNote) -> None:
    loaded_before_signing = SessionNote.objects.get(pk=draft.pk)
    sign_note(draft)
    before = _row(NOTES, draft.pk)
    assert loaded_before_signing.status == SessionNote.Status.DRAFT

    loaded_before_signing.plan = "Saved from an old tab."
    with pytest.raises(NoteLockedError):
        loaded_before_signing.save()

    assert _row(NOTES, draft.pk) == before


def test_a_note_awaiting_co_signature_refuses_content_but_not_its_status_move(
    awaiting: SessionNote, supervisor: User
) -> None:
    before = _row(NOTES, awaiting.pk)
    awaiting.plan = "Changed while waiting."

    with pytest.raises(NoteLockedError):
        awaiting.save()
    with pytest.raises(NoteLockedError):
        awaiting.save(update_fields=["plan", "status"])
    assert _row(NOTES, awaiting.pk) == before

    fresh = SessionNote.objects.get(pk=awaiting.pk)
    fresh.status = SessionNote.Status.COSIGNED
    fresh.cosigned_by = supervisor
    fresh.save(update_fields=["status", "cosigned_by"])
    assert SessionNote.objects.get(pk=awaiting.pk).status == SessionNote.Status.COSIGNED


def test_a_draft_saves_and_deletes(draft: SessionNote) -> None:
    draft.plan = "A new plan."
    draft.save()
    assert SessionNote.objects.get(pk=draft.pk).plan == "A new plan."

    draft.delete()

    assert SessionNote.objects.filter(pk=draft.pk).exists() is False


@pytest.mark.parametrize("which", ["signed", "awaiting", "stale"])
def test_a_signed_note_is_never_deleted(
    request: pytest.FixtureRequest, draft: SessionNote, which: str
) -> None:
    if which == "stale":
        note = SessionNote.objects.get(pk=draft.pk)
        sign_note(draft)
    else:
        note = request.getfixturevalue(which)
    before = _row(NOTES, note.pk)

    with pytest.raises(NoteLockedError):
        note.delete()

    assert _row(NOTES, note.pk) == before


def test_an_addendum_is_never_changed_or_deleted(therapist: User, signed: SessionNote) -> None:
    addendum = services.note_add_addendum(
        actor=therapist, note=signed, text="The session ran ten minutes over."
    )
    before = _row(ADDENDA, addendum.pk)

    addendum.text = "Rewritten."
    with pytest.raises(NoteLockedError):
        addendum.save()
    with pytest.raises(NoteLockedError):
        addendum.delete()

    assert _row(ADDENDA, addendum.pk) == before
    assert NoteAddendum.objects.get().text == "The session ran ten minutes over."


@pytest.mark.parametrize("decision", ["cosign", "return"])
def test_a_review_is_never_changed_or_deleted(
    supervisor: User, awaiting: SessionNote, decision: str
) -> None:
    if decision == "cosign":
        services.note_cosign_verified(actor=supervisor, note=awaiting)
    else:
        services.note_return(actor=supervisor, note=awaiting, comments="Revise.")
    review = NoteReview.objects.get()
    before = _row(REVIEWS, review.pk)

    review.comments = "Rewritten."
    with pytest.raises(NoteLockedError):
        review.save()
    with pytest.raises(NoteLockedError):
        review.delete()

    assert _row(REVIEWS, review.pk) == before


# --- The PostgreSQL triggers -------------------------------------------------------------------


@postgres_only
@pytest.mark.parametrize(
    ("assignment", "params"),
    [
        ('"plan" = %s', [encrypt("Rewritten in SQL.")]),
        ('"rating_overall" = %s', [2]),
        ('"version" = "version" + 1', []),
        ('"status" = %s', ["draft"]),
        ('"status" = %s, "signed_at" = NULL, "content_hash" = %s', ["draft", ""]),
    ],
    ids=["ciphertext", "rating", "version", "status", "unsign"],
)
@pytest.mark.parametrize("which", ["signed", "cosigned"])
def test_the_trigger_refuses_raw_updates_of_a_signed_row(
    request: pytest.FixtureRequest,
    supervisor: User,
    which: str,
    assignment: str,
    params: list[Any],
) -> None:
    note = request.getfixturevalue("signed" if which == "signed" else "awaiting")
    if which == "cosigned":
        note = services.note_cosign_verified(actor=supervisor, note=note)
    before = _row(NOTES, note.pk)

    with pytest.raises(Error):
        _execute(f"UPDATE {NOTES} SET {assignment} WHERE id = %s", [*params, note.pk])

    assert _row(NOTES, note.pk) == before


@postgres_only
def test_the_trigger_refuses_queryset_updates_and_deletes(signed: SessionNote) -> None:
    before = _row(NOTES, signed.pk)

    with pytest.raises(Error), transaction.atomic():
        SessionNote.objects.filter(pk=signed.pk).update(plan="Bulk rewrite.")
    with pytest.raises(Error), transaction.atomic():
        SessionNote.objects.filter(pk=signed.pk).delete()

    assert _row(NOTES, signed.pk) == before


@postgres_only
@pytest.mark.parametrize("which", ["signed", "awaiting"])
def test_the_trigger_refuses_a_raw_delete_of_a_signed_row(
    request: pytest.FixtureRequest, which: str
) -> None:
    note = request.getfixturevalue(which)
    before = _row(NOTES, note.pk)

    with pytest.raises(Error):
        _execute(f"DELETE FROM {NOTES} WHERE id = %s", [note.pk])

    assert _row(NOTES, note.pk) == before


@postgres_only
def test_the_same_raw_update_and_delete_of_a_draft_pass(draft: SessionNote) -> None:
    touched = _execute(
        f'UPDATE {NOTES} SET "plan" = %s, "version" = "version" + 1 WHERE id = %s',
        [encrypt("Rewritten in SQL."), draft.pk],
    )

    assert touched == 1
    stored = SessionNote.objects.get(pk=draft.pk)
    assert (stored.plan, stored.version, stored.status) == ("Rewritten in SQL.", 2, "draft")

    assert _execute(f"DELETE FROM {NOTES} WHERE id = %s", [draft.pk]) == 1
    assert SessionNote.objects.filter(pk=draft.pk).exists() is False


@postgres_only
def test_the_trigger_allows_co_signing_with_the_content_untouched(
    supervisor: User, awaiting: SessionNote
) -> None:
    touched = _execute(
        f'UPDATE {NOTES} SET "status" = %s, "cosigned_at" = now(), "cosigned_by_id" = %s, '
        '"version" = "version" + 1 WHERE id = %s',
        ["cosigned", supervisor.pk, awaiting.pk],
    )

    assert touched == 1
    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert (stored.status, stored.cosigned_by, stored.hash_verified()) == (
        "cosigned",
        supervisor,
        True,
    )


@postgres_only
def test_the_trigger_allows_a_return_to_draft_with_the_content_untouched(
    awaiting: SessionNote,
) -> None:
    touched = _execute(
        f'UPDATE {NOTES} SET "status" = %s, "signed_at" = NULL, "signed_by_id" = NULL, '
        '"content_hash" = %s, "version" = "version" + 1 WHERE id = %s',
        ["draft", "", awaiting.pk],
    )

    assert touched == 1
    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert (stored.status, stored.signed_at, stored.content_hash) == ("draft", None, "")


@postgres_only
@pytest.mark.parametrize("status", ["cosigned", "draft"])
def test_the_trigger_refuses_a_status_move_that_also_changes_content(
    awaiting: SessionNote, status: str
) -> None:
    before = _row(NOTES, awaiting.pk)

    with pytest.raises(Error):
        _execute(
            f'UPDATE {NOTES} SET "status" = %s, "plan" = %s WHERE id = %s',
            [status, encrypt("Slipped in with the co-signature."), awaiting.pk],
        )
    with pytest.raises(Error):
        _execute(
            f'UPDATE {NOTES} SET "status" = %s, "rating_overall" = 1 WHERE id = %s',
            [status, awaiting.pk],
        )

    assert _row(NOTES, awaiting.pk) == before


@postgres_only
@pytest.mark.parametrize(
    ("assignment", "params"),
    [('"plan" = %s', [encrypt("Changed while waiting.")]), ('"status" = %s', ["signed"])],
    ids=["content-only", "to-signed"],
)
def test_the_trigger_refuses_other_updates_of_a_note_awaiting_co_signature(
    awaiting: SessionNote, assignment: str, params: list[Any]
) -> None:
    before = _row(NOTES, awaiting.pk)

    with pytest.raises(Error):
        _execute(f"UPDATE {NOTES} SET {assignment} WHERE id = %s", [*params, awaiting.pk])

    assert _row(NOTES, awaiting.pk) == before


@postgres_only
def test_addendum_and_review_rows_refuse_raw_updates_and_deletes(
    therapist: User, supervisor: User, awaiting: SessionNote
) -> None:
    services.note_return(actor=supervisor, note=awaiting, comments="Revise.")
    review = NoteReview.objects.get()
    note = sign_note(SessionNote.objects.get(pk=awaiting.pk))
    addendum = services.note_add_addendum(actor=therapist, note=note, text="Later.")
    statements = [
        (ADDENDA, addendum.pk, '"text" = %s', [encrypt("Rewritten.")]),
        (ADDENDA, addendum.pk, '"created_at" = now()', []),
        (REVIEWS, review.pk, '"comments" = %s', [encrypt("Rewritten.")]),
        (REVIEWS, review.pk, '"decision" = %s', ["cosigned"]),
    ]
    before = {(t, pk): _row(t, pk) for t, pk in [(ADDENDA, addendum.pk), (REVIEWS, review.pk)]}

    for table, pk, assignment, params in statements:
        with pytest.raises(Error):
            _execute(f"UPDATE {table} SET {assignment} WHERE id = %s", [*params, pk])
    for table, pk in before:
        with pytest.raises(Error):
            _execute(f"DELETE FROM {table} WHERE id = %s", [pk])

    assert {key: _row(*key) for key in before} == before


# --- Tamper detection --------------------------------------------------------------------------


def _integrity_events() -> list[tuple[Any, ...]]:
    return [
        (e.category, e.actor_id, e.object_type, e.object_id, e.chart_number, e.detail, e.path)
        for e in AuditEvent.objects.filter(action="note.verify_failed").order_by("id")
    ]


def _note_page(record: Client, note: SessionNote) -> str:
    return reverse("sessions:note", args=[record.pk, note.pk])


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", encrypt("Described a quiet week.")),  # valid ciphertext of other text
        ("assessment", "enc1:not-a-fernet-token"),  # ciphertext that does not decrypt
        ("rating_overall", 10),  # a plain column
    ],
    ids=["other-text", "garbage", "rating"],
)
def test_tampering_with_a_signed_note_fails_its_integrity_check(
    therapist: User, record: Client, signed: SessionNote, column: str, value: Any
) -> None:
    _tamper(signed, column, value)
    stored = SessionNote.objects.get(pk=signed.pk)
    assert stored.status == "signed"

    assert services.note_verify(note=stored) is False

    assert _integrity_events() == [
        (
            "security",
            None,
            "therapy_sessions.sessionnote",
            str(signed.pk),
            "C-LOCK1",
            "content hash mismatch",
            "",
        )
    ]

    response = sign_in(HttpClient(), therapist).get(_note_page(record, signed))

    assert response.status_code == 200
    assert response.context["verified"] is False
    assert response.content.decode().count(INTEGRITY_ALERT) == 1
    assert _integrity_events()[1:] == [
        (
            "security",
            therapist.pk,
            "therapy_sessions.sessionnote",
            str(signed.pk),
            "C-LOCK1",
            "content hash mismatch",
            _note_page(record, signed),
        )
    ]


def test_the_swapped_text_is_what_the_tampered_note_now_reads(signed: SessionNote) -> None:
    _tamper(signed, "data", encrypt("Described a quiet week."))

    stored = SessionNote.objects.get(pk=signed.pk)

    assert stored.data == "Described a quiet week."
    assert stored.hash_verified() is False


@pytest.mark.parametrize("which", ["draft", "signed"])
def test_an_untouched_note_shows_no_integrity_alert(
    request: pytest.FixtureRequest, therapist: User, record: Client, which: str
) -> None:
    note = request.getfixturevalue(which)

    response = sign_in(HttpClient(), therapist).get(_note_page(record, note))

    assert response.status_code == 200
    assert response.context["verified"] is True
    assert INTEGRITY_ALERT not in response.content.decode()
    assert _integrity_events() == []


# --- The Django admin --------------------------------------------------------------------------


@pytest.fixture
def superuser(db: None) -> User:
    return UserFactory(full_name="Root Superuser", is_superuser=True, is_staff=True)


@pytest.fixture
def web(superuser: User) -> HttpClient:
    return sign_in(HttpClient(), superuser)


def _admin_url(name: str, note: SessionNote) -> str:
    return reverse(f"admin:therapy_sessions_sessionnote_{name}", args=[note.pk])


def _admin_post(note: SessionNote) -> dict[str, Any]:
    """What the change form would send, with the text changed."""
    return {
        **{k: v for k, v in model_to_dict(note).items() if v is not None},
        "data": "Changed in the admin.",
        "plan": "Changed in the admin.",
        "goal_checkins": "[]",
        "use_entries": "[]",
        "interventions": "[]",
        "exercise_stages": "[]",
        "_save": "Save",
    }


def test_the_admin_is_not_mounted_by_the_project(web: HttpClient) -> None:
    assert web.get("/admin/").status_code == 404


@pytest.mark.urls("tests.sessions.admin_urls")
@pytest.mark.parametrize("which", ["signed", "awaiting"])
def test_the_admin_refuses_to_change_a_signed_note(
    request: pytest.FixtureRequest, web: HttpClient, which: str
) -> None:
    note = request.getfixturevalue(which)
    before = _row(NOTES, note.pk)

    response = web.post(_admin_url("change", note), _admin_post(note))

    assert response.status_code == 403
    assert _row(NOTES, note.pk) == before
    assert SessionNote.objects.get(pk=note.pk).hash_verified() is True


@pytest.mark.urls("tests.sessions.admin_urls")
def test_the_admin_shows_a_signed_note_read_only(web: HttpClient, signed: SessionNote) -> None:
    response = web.get(_admin_url("change", signed))

    assert response.status_code == 200
    assert (
        response.context["has_change_permission"],
        response.context["has_delete_permission"],
    ) == (
        False,
        False,
    )


@pytest.mark.urls("tests.sessions.admin_urls")
@pytest.mark.parametrize("which", ["signed", "awaiting"])
def test_the_admin_refuses_to_delete_a_signed_note(
    request: pytest.FixtureRequest, web: HttpClient, which: str
) -> None:
    note = request.getfixturevalue(which)
    before = _row(NOTES, note.pk)

    assert web.get(_admin_url("delete", note)).status_code == 403
    assert web.post(_admin_url("delete", note), {"post": "yes"}).status_code == 403

    assert _row(NOTES, note.pk) == before


@pytest.mark.urls("tests.sessions.admin_urls")
def test_the_admin_change_page_of_a_draft_loads(web: HttpClient, draft: SessionNote) -> None:
    response = web.get(_admin_url("change", draft))

    assert response.status_code == 200
    assert (
        response.context["has_change_permission"],
        response.context["has_delete_permission"],
    ) == (
        True,
        True,
    )


@pytest.mark.urls("tests.sessions.admin_urls")
@pytest.mark.parametrize("model", [NoteAddendum, NoteReview])
def test_the_admin_refuses_to_change_or_delete_addenda_and_reviews(
    web: HttpClient, therapist: User, supervisor: User, awaiting: SessionNote, model: Any
) -> None:
    services.note_return(actor=supervisor, note=awaiting, comments="Revise.")
    note = sign_note(SessionNote.objects.get(pk=awaiting.pk))
    services.note_add_addendum(actor=therapist, note=note, text="Later.")
    row = model.objects.get()
    table = ADDENDA if model is NoteAddendum else REVIEWS
    before = _row(table, row.pk)
    name = model._meta.model_name

    change = reverse(f"admin:therapy_sessions_{name}_change", args=[row.pk])
    delete = reverse(f"admin:therapy_sessions_{name}_delete", args=[row.pk])
    assert web.post(change, {"text": "Rewritten.", "comments": "Rewritten."}).status_code == 403
    assert web.post(delete, {"post": "yes"}).status_code == 403

    assert _row(table, row.pk) == before


def test_the_model_admin_denies_change_and_delete_of_a_signed_note(
    superuser: User, draft: SessionNote, record: Client
) -> None:
    signed = sign_note(SessionNoteFactory(appointment__client=record))
    request = RequestFactory().get("/")
    request.user = superuser
    note_admin = admin.site._registry[SessionNote]

    assert (
        note_admin.has_change_permission(request, signed),
        note_admin.has_delete_permission(request, signed),
        note_admin.has_view_permission(request, signed),
    ) == (False, False, True)
    assert (
        note_admin.has_change_permission(request, draft),
        note_admin.has_delete_permission(request, draft),
    ) == (True, True)
    assert list(note_admin.get_readonly_fields(request, signed)) == [
        f.name for f in SessionNote._meta.fields
    ]
    assert tuple(note_admin.get_readonly_fields(request, draft)) == (
        "status",
        "signed_at",
        "signed_by",
        "content_hash",
        "cosigned_at",
        "cosigned_by",
    )


@pytest.mark.parametrize("model", [NoteAddendum, NoteReview])
def test_the_model_admin_denies_change_and_delete_of_addenda_and_reviews(
    superuser: User, model: Any
) -> None:
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]

    assert (
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    ) == (False, False)
