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

from sessions.models import Appointment, AppointmentSeries, Modality
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
