"""Demo appointments for `manage.py seed_demo` (DEMO_MODE only): about 12 weeks of weekly
appointments per active client (mostly attended, some cancelled or missed) and the next one
booked. Skips clients that already have appointments."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from sessions import services
from sessions.models import Appointment, Modality


@transaction.atomic
def seed_demo_appointments(*, clients: list[Client]) -> int:
    rng = random.Random(6)  # demo data, not security
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    seeded = 0
    for index, client in enumerate(clients):
        if client.appointments.exists() or client.status not in ("active", "on_hold"):
            continue
        therapist = client.therapist
        hour = 9 + index % 8
        first_day = today - datetime.timedelta(weeks=12) + datetime.timedelta(days=index % 5)
        starts = datetime.datetime.combine(first_day, datetime.time(hour), tzinfo=tz)
        booked = services.appointment_book(
            actor=therapist,
            request=None,
            client=client,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=50),
            modality=rng.choice([Modality.IN_PERSON, Modality.IN_PERSON, Modality.VIDEO]),
            location="Room 2" if index % 2 else "",
            frequency="weekly",
            occurrences=13,
        )
        now = timezone.now()
        for appointment in booked:
            if appointment.starts_at > now:
                continue
            roll = rng.random()
            if roll < 0.78:
                status, notice = Appointment.Status.ATTENDED, None
            elif roll < 0.88:
                status, notice = Appointment.Status.CANCELLED_CLIENT, rng.choice([2, 24, 48])
            elif roll < 0.92:
                status, notice = Appointment.Status.CANCELLED_CLINIC, 72
            else:
                status, notice = Appointment.Status.NO_SHOW, None
            services.appointment_record_attendance(
                actor=therapist,
                request=None,
                appointment=appointment,
                status=status,
                notice_hours=notice,
            )
        seeded += 1
    return seeded
