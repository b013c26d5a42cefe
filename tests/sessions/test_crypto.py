"""Note text is encrypted at rest, survives key rotation, and says so when it cannot be read.

- Every free-text column of a note (and addenda and review comments) holds an "enc1:" Fernet
  token in the database, never the plaintext, and reads back as the plaintext.
- The first key in FIELD_ENCRYPTION_KEYS encrypts and every key decrypts, so text written under
  an old key reads while that key is still listed; a value no key opens reads as Unreadable.
- `manage.py rotate_keys` moves every note row (drafts, signed and co-signed notes, addenda,
  review comments) onto the first key without changing what was signed, and a second run
  rewrites nothing; with a key missing it stops and changes nothing. (Every other encrypted
  table: tests/crypto/.)
- The deploy check warns (hrp.W001) without keys and errors (hrp.E001) on an invalid key.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from clients.models import Client
from hrp import crypto
from hrp.accounts.models import User
from sessions import services
from sessions.models import NoteAddendum, NoteReview, SessionNote
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory, TherapistFactory
from tests.sessions.factories import SessionNoteFactory, sign_note

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
# One distinct text per encrypted text column of a note.
TEXTS = {
    name: f"{name}: talked about the weekend, café “quotes” ünïcode {index}"
    for index, name in enumerate(SessionNote.TEXT_FIELDS)
}
CHECKINS = [{"goal": 7, "note": "Kept to three drinks at the wedding", "score": 6}]
ENCRYPTED_COLUMNS: dict[str, list[str]] = {
    "therapy_sessions_sessionnote": [*SessionNote.TEXT_FIELDS, "goal_checkins"],
    "therapy_sessions_noteaddendum": ["text"],
    "therapy_sessions_notereview": ["comments"],
}


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-ENC01")


def _raw(table: str, columns: list[str], pk: int) -> dict[str, str]:
    """The stored values of `columns`, as the database holds them."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [pk])
        return dict(zip(columns, cursor.fetchone(), strict=True))


def _raw_all() -> dict[tuple[str, int, str], str]:
    """Every stored encrypted value in the database, by (table, row, column)."""
    values = {}
    for table, columns in ENCRYPTED_COLUMNS.items():
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, {names} FROM {table} ORDER BY id")
            for pk, *stored in cursor.fetchall():
                for column, value in zip(columns, stored, strict=True):
                    values[(table, pk, column)] = value
    return values


def _set_raw(column: str, value: str, note: SessionNote) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE therapy_sessions_sessionnote SET {connection.ops.quote_name(column)} = %s "
            "WHERE id = %s",
            [value, note.pk],
        )


def _full_note(record: Client) -> SessionNote:
    return SessionNoteFactory(appointment__client=record, goal_checkins=CHECKINS, **TEXTS)


# --- At rest -----------------------------------------------------------------------------------


def test_every_note_text_column_is_stored_encrypted(record: Client) -> None:
    note = _full_note(record)

    stored = _raw("therapy_sessions_sessionnote", [*TEXTS, "goal_checkins"], note.pk)

    plaintexts = {**TEXTS, "goal_checkins": "Kept to three drinks at the wedding"}
    for column, plaintext in plaintexts.items():
        assert stored[column].startswith("enc1:"), column
        assert stored[column] != plaintext
        assert plaintext not in stored[column]
        assert "weekend" not in stored[column]
    assert sorted(stored) == sorted(plaintexts)


def test_addendum_and_review_text_are_stored_encrypted(
    therapist: User, supervisor: User, record: Client
) -> None:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    note = sign_note(SessionNoteFactory(appointment__client=record))
    services.note_return(actor=supervisor, note=note, comments="Say more about the overdose risk.")
    note = sign_note(SessionNote.objects.get(pk=note.pk))
    addendum = services.note_add_addendum(
        actor=therapist, note=note, text="Client phoned to add the naloxone kit."
    )
    review = NoteReview.objects.get()

    addendum_text = _raw("therapy_sessions_noteaddendum", ["text"], addendum.pk)["text"]
    review_text = _raw("therapy_sessions_notereview", ["comments"], review.pk)["comments"]

    assert addendum_text.startswith("enc1:")
    assert "naloxone" not in addendum_text
    assert review_text.startswith("enc1:")
    assert "overdose" not in review_text
    assert NoteAddendum.objects.get().text == "Client phoned to add the naloxone kit."
    assert NoteReview.objects.get().comments == "Say more about the overdose risk."


def test_the_same_text_encrypts_differently_each_time(record: Client) -> None:
    first = SessionNoteFactory(appointment__client=record, data="Same words.")
    second = SessionNoteFactory(appointment__client=record, data="Same words.")

    columns = ["data"]
    assert (
        _raw("therapy_sessions_sessionnote", columns, first.pk)["data"]
        != _raw("therapy_sessions_sessionnote", columns, second.pk)["data"]
    )
    assert crypto.encrypt("Same words.") != crypto.encrypt("Same words.")


def test_an_empty_text_is_stored_empty(record: Client) -> None:
    note = SessionNoteFactory(appointment__client=record, objective="", narrative="")

    assert _raw(
        "therapy_sessions_sessionnote", ["objective", "narrative", "goal_checkins"], note.pk
    ) == {
        "objective": "",
        "narrative": "",
        "goal_checkins": "",
    }
    stored = SessionNote.objects.get(pk=note.pk)
    assert (stored.objective, stored.narrative, stored.goal_checkins) == ("", "", [])


def test_note_text_reads_back_as_written(record: Client) -> None:
    note = _full_note(record)

    stored = SessionNote.objects.get(pk=note.pk)

    assert {name: getattr(stored, name) for name in TEXTS} == TEXTS
    assert stored.goal_checkins == CHECKINS


@pytest.mark.parametrize(
    "text", ["x", "Plain words.", "Café — “quoted” 🙂\nnew line\ttab", "a" * 20_000]
)
def test_encrypt_and_decrypt_round_trip(text: str) -> None:
    token = crypto.encrypt(text)

    assert token.startswith("enc1:")
    assert crypto.decrypt(token) == text
    assert crypto.is_current(token) is True


# --- Keys --------------------------------------------------------------------------------------


def test_text_under_an_old_key_reads_while_the_old_key_is_listed_second(record: Client) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        note = SessionNoteFactory(appointment__client=record, data="Written under the old key.")
        token = crypto.encrypt("An old token.")

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert SessionNote.objects.get(pk=note.pk).data == "Written under the old key."
        assert crypto.decrypt(token) == "An old token."
        assert crypto.is_current(token) is False
        rotated = crypto.rotate(token)
        assert crypto.is_current(rotated) is True
        assert crypto.decrypt(rotated) == "An old token."

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert isinstance(SessionNote.objects.get(pk=note.pk).data, crypto.Unreadable)
        assert isinstance(crypto.decrypt(token), crypto.Unreadable)
        assert crypto.decrypt(rotated) == "An old token."


def test_a_signed_note_under_a_key_no_longer_listed_fails_its_check(record: Client) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        note = sign_note(SessionNoteFactory(appointment__client=record))
        assert SessionNote.objects.get(pk=note.pk).hash_verified() is True

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        stored = SessionNote.objects.get(pk=note.pk)
        assert stored.compute_hash() == "unreadable"
        assert services.note_verify(note=stored) is False


@pytest.mark.parametrize(
    "stored",
    [
        "enc1:garbage",
        "enc1:",
        "Plain text someone wrote into the column.",
        "enc1:" + Fernet(Fernet.generate_key()).encrypt(b"another key").decode(),
    ],
    ids=["garbage-token", "empty-token", "no-prefix", "unknown-key"],
)
def test_a_value_that_does_not_decrypt_reads_as_unreadable(record: Client, stored: str) -> None:
    note = SessionNoteFactory(appointment__client=record)
    _set_raw("data", stored, note)

    data = SessionNote.objects.get(pk=note.pk).data

    assert isinstance(data, crypto.Unreadable)
    assert isinstance(crypto.decrypt(stored), crypto.Unreadable)
    # It is shown as nothing, but never equals a real text, not even the empty one.
    assert (str.__str__(data), data == "", data == stored, bool(data)) == ("", False, False, True)


def test_an_unreadable_value_is_never_saved_back(record: Client) -> None:
    note = SessionNoteFactory(appointment__client=record)
    _set_raw("data", "enc1:garbage", note)
    _set_raw("goal_checkins", "enc1:garbage", note)
    stored = SessionNote.objects.get(pk=note.pk)

    with pytest.raises(ValueError, match="unreadable encrypted value"), transaction.atomic():
        stored.save()

    assert _raw("therapy_sessions_sessionnote", ["data", "goal_checkins"], note.pk) == {
        "data": "enc1:garbage",
        "goal_checkins": "enc1:garbage",
    }


# --- Rotation ----------------------------------------------------------------------------------


def _reencrypt() -> str:
    """The rotation command's counts for the note tables, and its total."""
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    lines = out.getvalue().splitlines()
    return "".join(
        f"{line}\n" for line in lines if line.startswith(("therapy_sessions.", "Checked"))
    )


@pytest.fixture
def written_under_the_old_key(therapist: User, record: Client) -> dict[str, Any]:
    """A draft, a signed note with an addendum, and a trainee's note returned with comments,
    signed again and co-signed: 3 notes, 1 addendum, 2 reviews (the co-signature without
    comments), all under OLD_KEY."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        draft = _full_note(record)
        signed = sign_note(_full_note(record))
        addendum = services.note_add_addendum(
            actor=therapist, note=signed, text="Added the next appointment."
        )
        trainee = TherapistFactory(requires_cosign=True)
        supervisor = SupervisorFactory()
        SupervisionFactory(supervisor=supervisor, supervisee=trainee)
        cosigned = sign_note(_full_note(ClientFactory(therapist=trainee)))
        services.note_return(actor=supervisor, note=cosigned, comments="Name the risk actions.")
        cosigned = sign_note(SessionNote.objects.get(pk=cosigned.pk))
        cosigned = services.note_cosign_verified(actor=supervisor, note=cosigned)
    return {"draft": draft, "signed": signed, "cosigned": cosigned, "addendum": addendum}


def test_reencrypt_moves_every_row_onto_the_new_key(
    written_under_the_old_key: dict[str, Any],
) -> None:
    notes = written_under_the_old_key
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        before = _raw_all()
        assert [key for key, value in before.items() if not crypto.is_current(value)] == [
            key for key, value in before.items() if value
        ]

        assert _reencrypt() == (
            "therapy_sessions.ContactAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteAddendum: checked 1, re-encrypted 1\n"
            "therapy_sessions.NoteReview: checked 2, re-encrypted 1\n"
            "therapy_sessions.OutsideContact: checked 0, re-encrypted 0\n"
            "therapy_sessions.SessionNote: checked 3, re-encrypted 3\n"
            # + the two clients' intakes (their strengths are empty: nothing to re-encrypt)
            "Checked 8 rows; re-encrypted 5.\n"
        )

        after = _raw_all()
        assert sorted(after) == sorted(before)
        assert [key for key, value in after.items() if not crypto.is_current(value)] == []
        assert [key for key, value in after.items() if value and value == before[key]] == []

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        for name in ("draft", "signed", "cosigned"):
            stored = SessionNote.objects.get(pk=notes[name].pk)
            assert {field: getattr(stored, field) for field in TEXTS} == TEXTS
            assert stored.goal_checkins == CHECKINS
        assert NoteAddendum.objects.get().text == "Added the next appointment."
        assert [(r.decision, r.comments) for r in NoteReview.objects.order_by("id")] == [
            ("returned", "Name the risk actions."),
            ("cosigned", ""),
        ]


def test_signed_notes_still_verify_after_rotation(
    written_under_the_old_key: dict[str, Any],
) -> None:
    notes = written_under_the_old_key
    hashes = {
        name: SessionNote.objects.get(pk=notes[name].pk).content_hash
        for name in ("signed", "cosigned")
    }
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        _reencrypt()

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        for name in ("signed", "cosigned"):
            stored = SessionNote.objects.get(pk=notes[name].pk)
            assert stored.content_hash == hashes[name]
            assert stored.hash_verified() is True
            assert services.note_verify(note=stored) is True
        assert SessionNote.objects.get(pk=notes["cosigned"].pk).status == "cosigned"


def test_a_second_run_rewrites_nothing(written_under_the_old_key: dict[str, Any]) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        _reencrypt()
        after_first = _raw_all()

        assert _reencrypt() == (
            "therapy_sessions.ContactAddendum: checked 0, re-encrypted 0\n"
            "therapy_sessions.ContactReview: checked 0, re-encrypted 0\n"
            "therapy_sessions.NoteAddendum: checked 1, re-encrypted 0\n"
            "therapy_sessions.NoteReview: checked 2, re-encrypted 0\n"
            "therapy_sessions.OutsideContact: checked 0, re-encrypted 0\n"
            "therapy_sessions.SessionNote: checked 3, re-encrypted 0\n"
            "Checked 8 rows; re-encrypted 0.\n"
        )

        assert _raw_all() == after_first


def test_reencrypt_stops_and_changes_nothing_when_no_key_opens_a_row(
    written_under_the_old_key: dict[str, Any],
) -> None:
    before = _raw_all()

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]), pytest.raises(CommandError) as error:
        _reencrypt()

    # Tables go in label order: the addendum is the first row under the missing key.
    addendum = written_under_the_old_key["addendum"]
    assert str(error.value) == (
        f"therapy_sessions.NoteAddendum {addendum.pk}: no configured key opens it. Batches "
        "before it are saved (therapy_sessions.NoteAddendum: checked 0, re-encrypted 0); fix "
        "that row or add its key, then run rotate_keys again."
    )
    assert _raw_all() == before


# --- The deploy check --------------------------------------------------------------------------


def _messages() -> list[tuple[str | None, int]]:
    return [(m.id, m.level) for m in crypto.check_encryption_keys(None)]


@override_settings(FIELD_ENCRYPTION_KEYS=[])
def test_the_deploy_check_warns_without_keys() -> None:
    assert _messages() == [("hrp.W001", checks.WARNING)]


@pytest.mark.parametrize(
    "keys",
    [["not-a-fernet-key"], [NEW_KEY, "c2hvcnQ="], [NEW_KEY[:-2]]],
    ids=["garbage", "second-invalid", "truncated"],
)
def test_the_deploy_check_errors_on_an_invalid_key(keys: list[str]) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=keys):
        assert _messages() == [("hrp.E001", checks.ERROR)]


@override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
def test_the_deploy_check_passes_with_valid_keys() -> None:
    assert _messages() == []


@override_settings(FIELD_ENCRYPTION_KEYS=[])
def test_the_check_runs_with_deploy_checks_only() -> None:
    def ours(include_deployment_checks: bool) -> list[str | None]:
        found = checks.run_checks(include_deployment_checks=include_deployment_checks)
        return [m.id for m in found if (m.id or "").startswith("hrp.")]

    assert ours(include_deployment_checks=True) == ["hrp.W001"]
    assert ours(include_deployment_checks=False) == []
