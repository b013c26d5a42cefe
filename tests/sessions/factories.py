"""Factories for appointments, built directly (not through the services) so that tests not about
the audit trail start from a quiet record.

`AppointmentFactory(client=c)` gives a scheduled, 50-minute, in-person appointment with `c`'s
therapist a week from today at 10:00 in the clinic's time zone. Pass `starts_at=at(day, "14:30")`
for another time; the end follows 50 minutes later unless `ends_at=` is given.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from sessions.models import (
    Appointment,
    AppointmentSeries,
    ClientSessionRating,
    Modality,
    OutsideContact,
    SessionNote,
)
from sessions.vocab import ContactKind, NoteFormat, RiskLevel
from tests.clients.factories import ClientFactory


def at(day: datetime.date, time: str) -> datetime.datetime:
    """`day` at `time` ("HH:MM") in the clinic's time zone."""
    return datetime.datetime.combine(
        day, datetime.time.fromisoformat(time), tzinfo=timezone.get_current_timezone()
    )


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class AppointmentSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentSeries

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SelfAttribute("client.therapist")
    frequency = AppointmentSeries.Frequency.WEEKLY
    occurrences = 4
    created_by = factory.SelfAttribute("client.therapist")


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SelfAttribute("client.therapist")
    starts_at = factory.LazyFunction(lambda: at(days_from_today(7), "10:00"))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(minutes=50))
    modality = Modality.IN_PERSON
    location = "Room 2"
    status = Appointment.Status.SCHEDULED
    created_by = factory.SelfAttribute("client.therapist")
    # What the services keep (late notes read it): attended and no signed note yet.
    note_pending = factory.LazyAttribute(lambda o: Appointment.is_note_pending(o.status, None))


class AttendedAppointmentFactory(AppointmentFactory):
    """An attended appointment two days ago at 10:00."""

    starts_at = factory.LazyFunction(lambda: at(days_from_today(-2), "10:00"))
    status = Appointment.Status.ATTENDED


class SessionNoteFactory(factory.django.DjangoModelFactory):
    """A draft DAP note on an attended appointment, written by the client's therapist. Use
    `sign_note(note)` for a signed one (it goes through the service, so the hash is real)."""

    class Meta:
        model = SessionNote
        skip_postgeneration_save = True  # a signed note refuses save(); the hook saves nothing

    appointment = factory.SubFactory(AttendedAppointmentFactory)
    client = factory.SelfAttribute("appointment.client")
    author = factory.SelfAttribute("appointment.therapist")
    format = NoteFormat.DAP
    agenda = "Talk about the weekend."
    data = "Described the week."
    assessment = "Engaged."
    plan = "Try the evening routine."
    overdose_risk = RiskLevel.NONE
    suicide_risk = RiskLevel.NONE

    @factory.post_generation
    def note_pending(obj: SessionNote, create: bool, extracted: object, **kwargs: object) -> None:
        # A note built already signed settles its appointment's flag, as signing does.
        if create:
            pending = Appointment.is_note_pending(obj.appointment.status, obj.status)
            Appointment.objects.filter(pk=obj.appointment_id).update(note_pending=pending)
            obj.appointment.note_pending = pending


def sign_note(note: SessionNote) -> SessionNote:
    """Sign `note` as its author through the service (no password check; hash stored)."""
    from django.db import transaction

    from sessions import services

    with transaction.atomic():
        locked = SessionNote.objects.select_for_update().get(pk=note.pk)
        return services.note_sign_verified(actor=note.author, note=locked)


class OutsideContactFactory(factory.django.DjangoModelFactory):
    """A draft phone call yesterday at 15:00 by the client's therapist. Use
    `sign_contact(contact)` for a signed one (through the service, so the hash is real)."""

    class Meta:
        model = OutsideContact
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    author = factory.SelfAttribute("client.therapist")
    kind = ContactKind.PHONE
    occurred_at = factory.LazyFunction(lambda: at(days_from_today(-1), "15:00"))
    duration_minutes = 10
    summary = "Called to check in about the week."


def sign_contact(contact: OutsideContact) -> OutsideContact:
    """Sign `contact` as its author through the service (no password check; hash stored)."""
    from django.db import transaction

    from sessions import services

    with transaction.atomic():
        locked = OutsideContact.objects.select_for_update().get(pk=contact.pk)
        return services.contact_sign_verified(actor=contact.author, contact=locked)


class ClientSessionRatingFactory(factory.django.DjangoModelFactory):
    """The client's own rating of an attended session, from their phone: 32 of 40."""

    class Meta:
        model = ClientSessionRating

    appointment = factory.SubFactory(AttendedAppointmentFactory)
    client = factory.SelfAttribute("appointment.client")
    rating_heard = 8
    rating_wanted = 8
    rating_approach = 8
    rating_overall = 8
    recorded_by = factory.SelfAttribute("appointment.therapist")
