"""Appointment pages issue a fixed number of queries, whatever the number of appointments or
clients.

Each count is pinned at one row and at many, with the same number: a query per row would make
the larger case fail. Every count includes the three queries of any signed-in request (session,
user, two-factor device).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from tests.budgets import CALENDAR_QUERIES, CASELOAD_QUERIES, SESSIONS_SECTION_QUERIES
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory, at

ClientFor = Callable[[User | None], HttpClient]


MONDAY = datetime.date(2030, 3, 4)
STATUSES = ["scheduled", "attended", "no_show", "cancelled_client", "rescheduled"]


@pytest.mark.parametrize("size", [1, 20])
def test_calendar_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    """`size` appointments with as many clients over the week, some overlapping."""
    for index in range(size):
        AppointmentFactory(
            client=ClientFactory(therapist=therapist),
            starts_at=at(MONDAY + datetime.timedelta(days=index % 7), f"{9 + index % 4:02d}:30"),
            status=STATUSES[index % 3],
        )
    web = client_for(therapist)

    with django_assert_num_queries(CALENDAR_QUERIES):
        response = web.get(reverse("scheduling:week", args=[therapist.pk]), {"date": "2030-03-04"})

    assert response.status_code == 200
    assert sum(len(day.appointments) for day in response.context["days"]) == size


@pytest.fixture
def sessions_record(therapist: User, request: pytest.FixtureRequest) -> Client:
    """A client with one appointment, or 30: past and upcoming, every status, moved ones
    pointing at the appointments they replaced."""
    client = ClientFactory(therapist=therapist)
    now = timezone.now()
    previous = None
    for index in range(request.param):
        status = STATUSES[index % len(STATUSES)]
        appointment = AppointmentFactory(
            client=client,
            starts_at=now + datetime.timedelta(days=index - 15, hours=1),
            status=status,
            notice_hours=6 if status == "cancelled_client" else None,
            rescheduled_from=previous,
        )
        previous = appointment if status == "rescheduled" else None
    return client


@pytest.mark.parametrize("sessions_record", [1, 30], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_chart_section_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    sessions_record: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("sessions:section", kwargs={"pk": sessions_record.pk})

    with django_assert_num_queries(SESSIONS_SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    shown = len(response.context["upcoming"]) + len(response.context["past"])
    # A page of at most SESSIONS_PAGE_SIZE (20), whatever the history.
    assert shown == min(sessions_record.appointments.count(), 20)

    with django_assert_num_queries(SESSIONS_SECTION_QUERIES):
        response = web.get(url, {"page": "2"})

    assert response.status_code == 200
    shown = len(response.context["upcoming"]) + len(response.context["past"])
    assert shown == max(sessions_record.appointments.count() - 20, 0)


@pytest.mark.parametrize("size", [1, 25])
def test_caseload_queries_with_appointments(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    """`size` clients, each with an attended appointment and two ahead."""
    now = timezone.now()
    for _ in range(size):
        client = ClientFactory(therapist=therapist)
        AppointmentFactory(
            client=client, starts_at=now - datetime.timedelta(days=3), status="attended"
        )
        AppointmentFactory(client=client, starts_at=now + datetime.timedelta(days=4))
        AppointmentFactory(client=client, starts_at=now + datetime.timedelta(days=11))
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert response.content.decode().count("None booked") == 0
