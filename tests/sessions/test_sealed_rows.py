"""Addenda and co-signature reviews carry the integrity hash a signed note has, and a tampered
one gets the note's red warning on the note page; a signed note admits only the co-signature
moves from the app's own session, and only key rotation (a role a plain session cannot take)
may rewrite its ciphertext."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse

from hrp import crypto
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.immutability import key_rotation
from sessions import services
from sessions.models import NoteAddendum, SessionNote
from tests.conftest import sign_in
from tests.factories import TherapistFactory
from tests.immutability import addendum, execute, plain_session, returned_review, signed_note
from tests.sessions.factories import SessionNoteFactory, sign_note
from tests.techniques.factories import UseEpisodeChainFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)

NOTES = "therapy_sessions_sessionnote"
LOCKED = "signed session notes are locked (UPDATE refused); add an addendum"
ADDENDUM_WARNING = (
    "Integrity check failed This addendum does not match what was written: it was changed "
    "outside the application or cannot be decrypted. Do not rely on it. This has been recorded "
    "in the audit trail; tell the clinic's privacy officer."
)
REVIEW_WARNING = (
    "Integrity check failed This supervisor's review does not match what was recorded: it was "
    "changed outside the application or cannot be decrypted. Do not rely on it. This has been "
    "recorded in the audit trail; tell the clinic's privacy officer."
)


def _tamper(table: str, pk: int, assignment: str, params: list[Any]) -> None:
    """Rewrite a stored row beneath every guard, as someone with the database's superuser
    could (triggers off for this one statement); on SQLite there are none to switch off."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {table} SET {assignment} WHERE id = %s", [*params, pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def _alerts(html: str) -> dict[str, str]:
    """Each red integrity warning on the page by its id, its text with spaces collapsed."""
    page = lxml.html.fromstring(html)
    return {
        element.get("id"): " ".join(element.text_content().split())
        for element in page.xpath('//*[@role="alert"][contains(@class, "alert-danger")]')
    }


def _integrity_details() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="note.verify_failed")
        .order_by("id")
        .values_list("detail", flat=True)
    )


def _page(user: User, note: SessionNote) -> str:
    url = reverse("sessions:note", args=[note.client_id, note.pk])
    response = sign_in(HttpClient(), user).get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- The hash --------------------------------------------------------------------------------


def test_an_addendum_and_a_review_are_stored_with_a_hash_that_verifies() -> None:
    rows = [addendum(), returned_review()]

    stored = [type(row).objects.get(pk=row.pk) for row in rows]

    assert [(len(r.content_hash), r.content_hash == r.compute_hash()) for r in stored] == [
        (64, True),
        (64, True),
    ]
    assert [r.hash_verified() for r in stored] == [True, True]


@pytest.mark.parametrize(
    ("assignment", "params"),
    [
        ('"text" = %s', lambda: [crypto.encrypt("Nothing happened in this session.")]),
        ('"text" = %s', lambda: ["enc1:not-a-fernet-token"]),
        ('"author_id" = %s', lambda: [TherapistFactory().pk]),
    ],
    ids=["other-text", "garbage", "other-author"],
)
def test_a_tampered_addendum_shows_the_red_warning(
    assignment: str, params: Callable[[], list[Any]]
) -> None:
    row = addendum()
    untouched = addendum()
    note = row.note
    _tamper("therapy_sessions_noteaddendum", row.pk, assignment, params())

    html = _page(note.author, note)

    assert NoteAddendum.objects.get(pk=row.pk).hash_verified() is False
    assert _alerts(html) == {f"integrity-alert-addendum-{row.pk}": ADDENDUM_WARNING}
    assert _integrity_details() == [f"addendum {row.pk} hash mismatch"]
    assert untouched.hash_verified() is True


def test_a_tampered_review_shows_the_red_warning() -> None:
    review = returned_review()
    _tamper(
        "therapy_sessions_notereview",
        review.pk,
        '"comments" = %s',
        [crypto.encrypt("Looks fine to me.")],
    )

    html = _page(review.note.author, review.note)

    assert _alerts(html) == {f"integrity-alert-review-{review.pk}": REVIEW_WARNING}
    assert _integrity_details() == [f"review {review.pk} hash mismatch"]


def test_untouched_addenda_and_reviews_show_no_warning() -> None:
    review = returned_review()
    note = sign_note(SessionNote.objects.get(pk=review.note_id))
    services.note_add_addendum(actor=note.author, note=note, text="One more thing.")

    html = _page(note.author, note)

    assert _alerts(html) == {}
    assert _integrity_details() == []


# --- The signed-note trigger and the rotation door --------------------------------------------


def _stored(pk: int) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {NOTES} WHERE id = %s", [pk])
        return cursor.fetchone()


@postgres_only
@pytest.mark.parametrize(
    ("assignment", "params"),
    [
        ('"plan" = %s', [crypto.encrypt("Try the evening routine.")]),
        ('"rating_overall" = %s', [2]),
    ],
    ids=["ciphertext-only", "plain-column"],
)
def test_a_plain_session_cannot_change_a_signed_note_even_with_the_old_setting(
    assignment: str, params: list[Any]
) -> None:
    note = signed_note()
    before = _stored(note.pk)

    with plain_session() as cursor:
        cursor.execute("SET LOCAL hrp.note_reencrypt = 'on'")
        with pytest.raises(DatabaseError) as refused:
            execute(f"UPDATE {NOTES} SET {assignment} WHERE id = %s", [*params, note.pk])

    assert str(refused.value).splitlines()[0] == LOCKED
    assert _stored(note.pk) == before


@postgres_only
def test_a_plain_session_may_still_make_the_co_signature_moves(
    therapist: User, supervisor: User
) -> None:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    awaiting = sign_note(SessionNoteFactory(appointment__client__therapist=therapist))
    assert awaiting.status == SessionNote.Status.AWAITING_COSIGN

    with plain_session():
        touched = execute(
            f'UPDATE {NOTES} SET "status" = %s, "cosigned_at" = now(), "cosigned_by_id" = %s'
            " WHERE id = %s",
            ["cosigned", supervisor.pk, awaiting.pk],
        )

    stored = SessionNote.objects.get(pk=awaiting.pk)
    assert touched == 1
    assert (stored.status, stored.cosigned_by, stored.hash_verified()) == (
        "cosigned",
        supervisor,
        True,
    )


@postgres_only
def test_rotation_rewrites_a_signed_notes_ciphertext_and_the_hash_still_verifies() -> None:
    note = signed_note()
    new_token = crypto.encrypt(note.plan)

    with transaction.atomic(), key_rotation():
        touched = execute(f'UPDATE {NOTES} SET "plan" = %s WHERE id = %s', [new_token, note.pk])

    stored = SessionNote.objects.get(pk=note.pk)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "plan" FROM {NOTES} WHERE id = %s', [note.pk])
        assert cursor.fetchone()[0] == new_token
    assert (touched, stored.plan, stored.hash_verified()) == (1, "Try the evening routine.", True)


@postgres_only
@pytest.mark.parametrize(
    ("assignment", "params"),
    [
        ('"signed_at" = "signed_at" - interval \'1 day\'', []),
        ('"rating_overall" = %s', [2]),
        ('"plan" = %s, "status" = %s', [crypto.encrypt("Try the evening routine."), "draft"]),
    ],
    ids=["signed-at", "plain-column", "ciphertext-and-status"],
)
def test_rotation_may_not_change_anything_but_ciphertext(
    assignment: str, params: list[Any]
) -> None:
    note = signed_note()
    before = _stored(note.pk)

    with pytest.raises(DatabaseError) as refused, transaction.atomic(), key_rotation():
        execute(f"UPDATE {NOTES} SET {assignment} WHERE id = %s", [*params, note.pk])

    assert str(refused.value).splitlines()[0] == LOCKED
    assert _stored(note.pk) == before


@postgres_only
def test_rotation_may_not_delete_a_signed_note() -> None:
    note = signed_note()

    with pytest.raises(DatabaseError) as refused, transaction.atomic(), key_rotation():
        execute(f"DELETE FROM {NOTES} WHERE id = %s", [note.pk])

    assert str(refused.value).splitlines()[0] == f"permission denied for table {NOTES}"
    assert SessionNote.objects.filter(pk=note.pk).exists() is True


# --- Technique records locked with their note (hrp.immutability.LockedWithNote) ----------------

CHAINS = "techniques_useepisodechain"


def _chain_on_signed_note() -> Any:
    chain = UseEpisodeChainFactory()
    sign_note(chain.note)
    return chain


@postgres_only
def test_rotation_rewrites_a_locked_technique_records_ciphertext_and_its_hash_still_verifies() -> (
    None
):
    chain = _chain_on_signed_note()
    new_token = crypto.encrypt(chain.event)

    with transaction.atomic(), key_rotation():
        touched = execute(f'UPDATE {CHAINS} SET "event" = %s WHERE id = %s', [new_token, chain.pk])

    stored = type(chain).objects.get(pk=chain.pk)
    assert (touched, stored.event, stored.hash_verified()) == (1, chain.event, True)


@postgres_only
def test_rotation_may_not_change_a_locked_technique_record_beyond_ciphertext() -> None:
    chain = _chain_on_signed_note()

    with pytest.raises(DatabaseError) as refused, transaction.atomic(), key_rotation():
        execute(f'UPDATE {CHAINS} SET "session_at" = now() WHERE id = %s', [chain.pk])

    assert str(refused.value).splitlines()[0] == LOCKED


@postgres_only
def test_a_plain_session_cannot_rewrite_a_locked_technique_records_ciphertext() -> None:
    chain = _chain_on_signed_note()

    with plain_session(), pytest.raises(DatabaseError) as refused:
        execute(
            f'UPDATE {CHAINS} SET "event" = %s WHERE id = %s',
            [crypto.encrypt("Something else."), chain.pk],
        )

    assert str(refused.value).splitlines()[0] == LOCKED


def test_a_tampered_technique_record_shows_the_red_warning_on_the_note() -> None:
    chain = _chain_on_signed_note()
    _tamper(CHAINS, chain.pk, '"event" = %s', [crypto.encrypt("Nothing happened.")])

    html = _page(chain.note.author, chain.note)

    assert _alerts(html) == {
        f"integrity-alert-chains-{chain.pk}": (
            "Integrity check failed This record does not match what was written: it was "
            "changed outside the application or cannot be decrypted. Do not rely on it; tell "
            "the clinic's privacy officer."
        )
    }
