"""Appointment dates and hrp/bounds.py: what may be booked, and what happens to a row stored
before the policy existed (year 10000 in UTC, 1850) on every page that lists it.

Out-of-range rows are written with raw SQL, as old data would be: the pages must show them,
never answer 500, and let the therapist move or cancel them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp import bounds
from hrp.accounts.models import User
from sessions import services
from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.sessions.factories import AppointmentFactory, at, days_from_today

ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin")


def _store(appointment: Appointment, starts_at: str, ends_at: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE therapy_sessions_appointment SET starts_at = %s::timestamptz,"
            " ends_at = %s::timestamptz WHERE id = %s",
            [starts_at, ends_at, appointment.pk],
        )


@pytest.fixture
def year_10000(record: Client) -> Appointment:
    """Booked for 31 December 9999 at 19:30 in New York: 10000-01-01 00:30 in UTC."""
    appointment = AppointmentFactory(client=record)
    _store(appointment, "10000-01-01 00:30+00", "10000-01-01 01:20+00")
    return appointment


@pytest.fixture
def year_1850(record: Client) -> Appointment:
    appointment = AppointmentFactory(client=record, status=Appointment.Status.ATTENDED)
    _store(appointment, "1850-03-01 15:00+00", "1850-03-01 15:50+00")
    return appointment


def test_a_year_10000_row_is_read_at_the_safe_edge(year_10000: Appointment):
    stored = Appointment.objects.get(pk=year_10000.pk)
    assert (stored.starts_at, stored.ends_at) == (bounds.SAFE_LATEST, bounds.SAFE_LATEST)
    assert bounds.implausible(stored.starts_at)


@pytest.mark.parametrize(
    "url",
    [
        lambda c: "/",
        lambda c: reverse("clients:caseload"),
        lambda c: reverse("scheduling:week", args=[c.therapist_id]),
        lambda c: reverse("sessions:section", args=[c.pk]),
        lambda c: reverse("clients:chart", args=[c.pk]),
    ],
    ids=["home", "caseload", "calendar", "chart-sessions", "chart"],
)
def test_pages_listing_out_of_range_rows_open(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    year_10000: Appointment,
    year_1850: Appointment,
    url: Callable[[Client], str],
):
    response = client_for(therapist).get(url(record), follow=True)
    assert response.status_code == 200


def test_the_supervisors_home_opens_with_them(
    client_for: ClientFor, supervisor: User, year_10000: Appointment, year_1850: Appointment
):
    response = client_for(supervisor).get("/", follow=True)
    assert response.status_code == 200
    sections = client_for(supervisor).get(reverse("sessions:section", args=[year_10000.client_id]))
    assert sections.status_code == 200


def test_the_chart_marks_them_and_offers_move_and_cancel(
    client_for: ClientFor, therapist: User, record: Client, year_10000: Appointment, year_1850
):
    page = text(client_for(therapist).get(reverse("sessions:section", args=[record.pk])))
    assert page.count("Date outside the clinic's range: move or cancel it") == 2
    assert reverse("sessions:reschedule", args=[record.pk, year_10000.pk]) in page


def test_the_calendar_points_to_them(
    client_for: ClientFor, therapist: User, record: Client, year_10000: Appointment, year_1850
):
    page = text(client_for(therapist).get(reverse("scheduling:week", args=[therapist.pk])))
    assert "2 appointments have dates outside the calendar's range" in page
    assert reverse("sessions:section", args=[record.pk]) in page


def test_a_year_10000_appointment_can_be_moved_into_range(
    client_for: ClientFor, therapist: User, record: Client, year_10000: Appointment
):
    move = reverse("sessions:reschedule", args=[record.pk, year_10000.pk])
    form = client_for(therapist).get(move)
    assert form.status_code == 200
    assert 'value="9999-11-30"' in text(form)  # the safe edge, in the clinic's time zone
    day = days_from_today(7)
    response = client_for(therapist).post(
        reverse("sessions:reschedule", args=[record.pk, year_10000.pk]),
        {"date": day.isoformat(), "start": "10:00", "end": "10:50"},
    )
    assert response.status_code == 302
    moved = Appointment.objects.get(rescheduled_from=year_10000)
    assert (moved.starts_at, moved.status) == (at(day, "10:00"), Appointment.Status.SCHEDULED)
    assert Appointment.objects.get(pk=year_10000.pk).status == Appointment.Status.RESCHEDULED
    with connection.cursor() as cursor:
        # The old row keeps what was stored: nothing wrote the clamped value back.
        cursor.execute(
            "SELECT starts_at::text FROM therapy_sessions_appointment WHERE id = %s",
            [year_10000.pk],
        )
        assert cursor.fetchone()[0] == "10000-01-01 00:30:00+00"


def test_a_year_10000_appointment_can_be_cancelled(
    client_for: ClientFor, therapist: User, record: Client, year_10000: Appointment
):
    response = client_for(therapist).post(
        reverse("sessions:attendance", args=[record.pk, year_10000.pk]),
        {"status": Appointment.Status.CANCELLED_CLINIC, "notice_hours": "24"},
    )
    assert response.status_code == 302
    assert Appointment.objects.get(pk=year_10000.pk).status == Appointment.Status.CANCELLED_CLINIC


# --- Going forward: what the forms and services accept ---------------------------------------


def _book(client_for: ClientFor, therapist: User, record: Client, **data: str):
    return client_for(therapist).post(
        reverse("sessions:book", args=[record.pk]),
        {"modality": "in_person", "start": "19:30", "end": "20:20", **data},
    )


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "Appointments can be booked up to"),
        ("1850-03-01", "Appointments can be recorded back to"),
    ],
)
def test_booking_far_outside_the_clinics_range_is_refused(
    client_for: ClientFor, therapist: User, record: Client, day: str, message: str
):
    response = _book(client_for, therapist, record, date=day)
    assert response.status_code == 200
    assert message in text(response)
    assert not Appointment.objects.filter(client=record).exists()


def test_a_weekly_series_from_9999_12_01_is_refused_not_a_500(
    client_for: ClientFor, therapist: User, record: Client
):
    response = _book(
        client_for, therapist, record, date="9999-12-01", frequency="weekly", occurrences="10"
    )
    assert response.status_code == 200
    assert "Appointments can be booked up to" in text(response)
    assert not Appointment.objects.filter(client=record).exists()


def test_a_series_that_would_run_past_the_range_is_refused(
    client_for: ClientFor, therapist: User, record: Client
):
    last_day = bounds.APPOINTMENT.latest()
    response = _book(
        client_for,
        therapist,
        record,
        date=(last_day - datetime.timedelta(weeks=2)).isoformat(),
        frequency="weekly",
        occurrences="4",
    )
    assert response.status_code == 200
    assert "The last appointment of this series would fall after" in text(response)
    assert not Appointment.objects.filter(client=record).exists()


def test_the_service_refuses_an_out_of_range_time_whatever_the_caller(
    therapist: User, record: Client
):
    start = datetime.datetime(1850, 3, 1, 15, tzinfo=timezone.get_current_timezone())
    with pytest.raises(ValidationError):
        services.appointment_book(
            actor=therapist,
            client=record,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=50),
            modality="in_person",
        )
    assert not Appointment.objects.filter(client=record).exists()


@pytest.mark.parametrize("raw", ["٢٠٣٠-03-04", "2030-03-04\u00a0", "+2030-03-04", "9999-12-31"])
def test_calendar_week_parameter_never_breaks_the_page(
    client_for: ClientFor, therapist: User, raw: str
):
    response = client_for(therapist).get(
        reverse("scheduling:week", args=[therapist.pk]), {"date": raw}
    )
    assert response.status_code == 200
