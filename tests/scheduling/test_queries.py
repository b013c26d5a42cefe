"""Query counts of the calendars, pinned at 1 and 30 clinicians over a month (each with
working hours, a day off and appointments every weekday): the same number either way.

A signed-in request starts with 3 queries (session, user, authenticator)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from hrp.accounts.models import User
from scheduling.models import TimeOff, WorkingHours
from sessions.models import Room
from tests.clients.factories import ClientFactory
from tests.factories import TherapistFactory
from tests.sessions.factories import AppointmentFactory

ClientFor = Callable[[User | None], HttpClient]
MARCH = datetime.date(2027, 3, 1)

# + clinicians on the view, appointments (with rooms), working hours, time off, group meetings
# (scheduling.extensions' busy sources: one query each).
CLINIC_MONTH_QUERIES = 8
# A supervisor's clinic view: the same, the supervisee filter is part of the clinicians' query.
SUPERVISOR_CLINIC_MONTH_QUERIES = 8
# A clinician's own month: + appointments (with clients and rooms), working hours, time off,
# appointments stored with dates no view reaches (hrp/bounds.py), group meetings.
OWN_MONTH_QUERIES = 8
# A supervisee's month seen by the supervisor: + the supervisee check.
SUPERVISEE_MONTH_QUERIES = 9


def _clinic(therapist: User, supervisor: User | None, size: int) -> list[User]:
    """`therapist` and size-1 more clinicians, each with hours Monday to Friday, a day off,
    and an appointment (some in a room) on every weekday of March 2027."""
    room = Room.objects.create(name="Blue")
    clinicians = [therapist] + [TherapistFactory() for _ in range(size - 1)]
    tz = timezone.get_current_timezone()
    for index, clinician in enumerate(clinicians):
        for weekday in range(5):
            WorkingHours.objects.create(
                clinician=clinician,
                weekday=weekday,
                starts=datetime.time(9),
                ends=datetime.time(17),
            )
        TimeOff.objects.create(clinician=clinician, first_day=MARCH, last_day=MARCH)
        record = ClientFactory(therapist=clinician)
        for day in range(1, 32):
            date = MARCH.replace(day=day)
            if date.weekday() < 5:
                AppointmentFactory(
                    client=record,
                    starts_at=datetime.datetime(2027, 3, day, 9 + index % 8, tzinfo=tz),
                    room=room if day == 2 and index == 0 else None,
                )
    return clinicians


@pytest.mark.parametrize("size", [1, 30])
def test_clinic_month_queries(
    client_for: ClientFor, therapist: User, clinic_admin: User, size: int, django_assert_num_queries
) -> None:
    _clinic(therapist, None, size)
    web = client_for(clinic_admin)

    with django_assert_num_queries(CLINIC_MONTH_QUERIES):
        response = web.get(reverse("scheduling:clinic_month"), {"date": "2027-03-15"})

    assert response.status_code == 200
    days = response.context["by_day"]
    assert len(days) == 31
    assert len(days[1][1]) == size  # every clinician on 2 March
    assert sum(len(entry.appointments) for _, rows in days for _, entry in rows) == 23 * size
    # 7 working-hour slots a weekday (9:00-17:00 minus the booked hour), none on the day off.
    assert [len(entry.slots) for _, entry in days[1][1]] == [7] * size
    assert [len(entry.slots) for _, entry in days[0][1]] == [0] * size


@pytest.mark.parametrize("size", [1, 30])
def test_own_month_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _clinic(therapist, None, size)
    web = client_for(therapist)

    with django_assert_num_queries(OWN_MONTH_QUERIES):
        response = web.get(reverse("scheduling:month", args=[therapist.pk]), {"date": "2027-03-15"})

    assert response.status_code == 200
    assert sum(len(day.appointments) for day in response.context["days"]) == 23


@pytest.mark.parametrize("size", [1, 30])
def test_supervisee_month_and_clinic_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    _clinic(therapist, supervisor, size)
    web = client_for(supervisor)

    with django_assert_num_queries(SUPERVISEE_MONTH_QUERIES):
        month = web.get(reverse("scheduling:month", args=[therapist.pk]), {"date": "2027-03-15"})
    with django_assert_num_queries(SUPERVISOR_CLINIC_MONTH_QUERIES):
        clinic = web.get(reverse("scheduling:clinic_week"), {"date": "2027-03-15"})

    assert month.status_code == clinic.status_code == 200
    # Only the supervisee is on the supervisor's clinic view, however large the clinic.
    assert [c.pk for c, _ in clinic.context["by_day"][0][1]] == [therapist.pk]
