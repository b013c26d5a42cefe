"""`Appointment.note_pending`, the maintained flag late notes are read from: set by the
services that change attendance or a note's status, filled for existing rows by the migration,
and what `late_notes` filters on (its partial index), so the list does not scan history."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from sessions import selectors, services
from sessions.models import Appointment, SessionNote
from sessions.vocab import RiskLevel
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory, sign_note


def _pending(appointment: Appointment) -> bool:
    return Appointment.objects.values_list("note_pending", flat=True).get(pk=appointment.pk)


def _past(record: Client) -> Appointment:
    starts = timezone.now() - datetime.timedelta(days=3)
    return AppointmentFactory(
        client=record, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=50)
    )


def test_attendance_and_signing_keep_the_flag(therapist: User, record: Client) -> None:
    appointment = _past(record)
    assert _pending(appointment) is False  # scheduled: nothing to write yet

    services.appointment_record_attendance(
        actor=therapist, appointment=appointment, status=Appointment.Status.ATTENDED
    )
    assert _pending(appointment) is True
    assert list(selectors.late_notes(therapist_ids=[therapist.pk])) == [appointment]

    note = services.note_start(actor=therapist, appointment=appointment)
    assert _pending(appointment) is True  # a draft is not a signed note
    SessionNote.objects.filter(pk=note.pk).update(
        agenda="Talk.",
        data="Described the week.",
        assessment="Engaged.",
        plan="Walk.",
        overdose_risk=RiskLevel.NONE,
        suicide_risk=RiskLevel.NONE,
    )
    sign_note(SessionNote.objects.get(pk=note.pk))
    assert _pending(appointment) is False
    assert list(selectors.late_notes(therapist_ids=[therapist.pk])) == []


def test_attendance_corrected_before_a_note_clears_the_flag(
    therapist: User, record: Client
) -> None:
    appointment = _past(record)
    services.appointment_record_attendance(
        actor=therapist, appointment=appointment, status=Appointment.Status.ATTENDED
    )
    services.appointment_record_attendance(
        actor=therapist, appointment=appointment, status=Appointment.Status.NO_SHOW
    )

    assert _pending(appointment) is False


def test_a_returned_note_is_pending_again_and_co_signed_is_not(
    therapist: User, supervisor: User, record: Client
) -> None:
    User.objects.filter(pk=therapist.pk).update(requires_cosign=True)
    therapist.refresh_from_db()
    note = SessionNoteFactory(appointment=_past_attended(record))
    appointment = note.appointment
    assert _pending(appointment) is True

    note = sign_note(note)
    assert (note.status, _pending(appointment)) == (SessionNote.Status.AWAITING_COSIGN, False)
    with transaction.atomic():
        note = services.note_return(actor=supervisor, note=note, comments="Add the plan.")
    assert _pending(appointment) is True
    note = sign_note(note)
    with transaction.atomic():
        services.note_cosign_verified(actor=supervisor, note=note)
    assert _pending(appointment) is False


def _past_attended(record: Client) -> Appointment:
    appointment = _past(record)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.ATTENDED, note_pending=True
    )
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize("fill", ["migration", "service"])
def test_the_migration_and_the_refill_set_the_flag_from_the_rule(
    therapist: User, record: Client, fill: str
) -> None:
    no_note = _past_attended(record)
    draft = SessionNoteFactory(appointment=_past_attended(record)).appointment
    signed = sign_note(SessionNoteFactory(appointment=_past_attended(record))).appointment
    cancelled = _past(record)
    # As rows stood before the flag existed (or as a bulk load leaves them).
    Appointment.objects.update(note_pending=False)
    Appointment.objects.filter(pk=signed.pk).update(note_pending=True)

    if fill == "migration":
        migration = importlib.import_module("sessions.migrations.0007_appointment_note_pending")
        migration.fill(apps, None)
    else:
        assert services.appointments_note_pending_refill() == 3

    assert {a: _pending(a) for a in (no_note, draft, signed, cancelled)} == {
        no_note: True,
        draft: True,
        signed: False,
        cancelled: False,
    }


def test_late_notes_read_the_flag_not_the_history(therapist: User) -> None:
    sql = str(selectors.late_notes(therapist_ids=[therapist.pk]).query)

    assert '"note_pending"' in sql
    assert "sessionnote" not in sql.split("WHERE", 1)[1].lower()  # no join on notes to filter
