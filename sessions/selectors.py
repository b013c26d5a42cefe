"""Reads for appointments: a therapist's week, a client's appointments, and the caseload's
next-appointment and last-contact columns (one prefetch for the whole page)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from sessions.models import Appointment


def prefetch_for_clients(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Attach each client's next scheduled appointment and attended ones. Idempotent."""
    already = {
        getattr(lookup, "to_attr", None) for lookup in getattr(qs, "_prefetch_related_lookups", ())
    }
    if "prefetched_upcoming" in already:
        return qs
    now = timezone.now()
    return qs.prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.filter(
                status=Appointment.Status.SCHEDULED, starts_at__gte=now
            ).order_by("starts_at"),
            to_attr="prefetched_upcoming",
        ),
        Prefetch(
            "appointments",
            queryset=Appointment.objects.filter(status=Appointment.Status.ATTENDED).order_by(
                "-starts_at"
            ),
            to_attr="prefetched_attended",
        ),
    )


def next_appointment(client: Client) -> Appointment | None:
    upcoming = getattr(client, "prefetched_upcoming", None)
    if upcoming is None:
        upcoming = list(
            client.appointments.filter(
                status=Appointment.Status.SCHEDULED, starts_at__gte=timezone.now()
            ).order_by("starts_at")[:1]
        )
    return upcoming[0] if upcoming else None


def last_contact(client: Client) -> Appointment | None:
    attended = getattr(client, "prefetched_attended", None)
    if attended is None:
        attended = list(
            client.appointments.filter(status=Appointment.Status.ATTENDED).order_by("-starts_at")[
                :1
            ]
        )
    return attended[0] if attended else None


def week_start_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class CalendarDay:
    date: datetime.date
    appointments: list[Appointment]


def week_calendar(*, therapist: User, week: datetime.date) -> list[CalendarDay]:
    """The therapist's appointments Monday to Sunday of `week`, in the clinic's time zone, with
    `double_booked` set on those that overlap another one still on the calendar."""
    start = week_start_of(week)
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    appointments = list(
        Appointment.objects.filter(
            therapist=therapist,
            starts_at__gte=begin,
            starts_at__lt=begin + datetime.timedelta(days=7),
        )
        .select_related("client")
        .order_by("starts_at", "id")
    )
    active = [
        a
        for a in appointments
        if a.status in (Appointment.Status.SCHEDULED, Appointment.Status.ATTENDED)
    ]
    for appointment in appointments:
        appointment.double_booked = appointment in active and any(  # type: ignore[attr-defined]
            other is not appointment
            and other.starts_at < appointment.ends_at
            and other.ends_at > appointment.starts_at
            for other in active
        )
    days = []
    for offset in range(7):
        day = start + datetime.timedelta(days=offset)
        days.append(
            CalendarDay(
                day,
                [a for a in appointments if timezone.localtime(a.starts_at, tz).date() == day],
            )
        )
    return days


def appointments_for(client: Client) -> QuerySet[Appointment]:
    return client.appointments.select_related("therapist", "rescheduled_from").order_by(
        "-starts_at", "-id"
    )
