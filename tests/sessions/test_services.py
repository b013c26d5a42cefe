"""Appointment writes: booking (one, or a weekly or fortnightly series), moving with its history
kept, and recording attendance by its rules. Each change writes one audit event.

Fixed dates are in March 2030, whose second Sunday (the 10th) is when the clinic's clocks go
forward: a series keeps its local time across it.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from sessions import services
from sessions.models import Appointment, AppointmentSeries, Modality
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory, at

MONDAY = datetime.date(2030, 3, 4)
Status = Appointment.Status


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-SES01")


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything an appointment write could change: appointments, series, change events."""
    return (
        [model_to_dict(a) for a in Appointment.objects.order_by("pk")],
        [model_to_dict(s) for s in AppointmentSeries.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _events(action: str) -> list[tuple[Any, ...]]:
    return [
        (e.category, e.actor_id, e.object_type, e.object_id, e.chart_number, e.changes)
        for e in AuditEvent.objects.filter(action=action).order_by("id")
    ]


def _book(therapist: User, record: Client, **kwargs: Any) -> list[Appointment]:
    arguments: dict[str, Any] = {
        "actor": therapist,
        "client": record,
        "starts_at": at(MONDAY, "10:00"),
        "ends_at": at(MONDAY, "10:50"),
        "modality": Modality.VIDEO,
        "location": "Video link in the reminder",
        **kwargs,
    }
    return services.appointment_book(**arguments)


def _local_starts(appointments: list[Appointment]) -> list[str]:
    return [f"{timezone.localtime(a.starts_at):%Y-%m-%d %H:%M %Z}" for a in appointments]


# --- Booking -----------------------------------------------------------------------------------


def test_booking_one_appointment_stores_it_and_audits(therapist: User, record: Client) -> None:
    [booked] = _book(therapist, record)

    stored = Appointment.objects.get()
    assert stored == booked
    assert (
        stored.client,
        stored.therapist,
        stored.starts_at,
        stored.ends_at,
        stored.modality,
        stored.location,
        stored.status,
        stored.series,
        stored.rescheduled_from,
        stored.created_by,
    ) == (
        record,
        therapist,
        at(MONDAY, "10:00"),
        at(MONDAY, "10:50"),
        "video",
        "Video link in the reminder",
        "scheduled",
        None,
        None,
        therapist,
    )
    assert AppointmentSeries.objects.count() == 0
    assert _events("appointment.book") == [
        (
            "change",
            therapist.pk,
            "therapy_sessions.appointment",
            str(stored.pk),
            "C-SES01",
            {"starts_at": [None, "2030-03-04 10:00:00-05:00"], "status": [None, "scheduled"]},
        )
    ]


def test_a_weekly_series_keeps_its_local_time_across_the_clock_change(
    therapist: User, record: Client
) -> None:
    booked = _book(therapist, record, frequency="weekly", occurrences=4)

    series = AppointmentSeries.objects.get()
    assert (series.client, series.therapist, series.frequency, series.occurrences) == (
        record,
        therapist,
        "weekly",
        4,
    )
    stored = list(Appointment.objects.order_by("starts_at"))
    assert stored == booked
    assert _local_starts(stored) == [
        "2030-03-04 10:00 EST",
        "2030-03-11 10:00 EDT",
        "2030-03-18 10:00 EDT",
        "2030-03-25 10:00 EDT",
    ]
    assert [a.duration_minutes for a in stored] == [50, 50, 50, 50]
    assert [a.series_id for a in stored] == [series.pk] * 4
    assert {(a.status, a.modality, a.location) for a in stored} == {
        ("scheduled", "video", "Video link in the reminder")
    }
    assert [e[3] for e in _events("appointment.book")] == [str(a.pk) for a in stored]


def test_a_fortnightly_series_is_every_two_weeks(therapist: User, record: Client) -> None:
    _book(therapist, record, frequency="fortnightly", occurrences=3)

    stored = list(Appointment.objects.order_by("starts_at"))
    assert _local_starts(stored) == [
        "2030-03-04 10:00 EST",
        "2030-03-18 10:00 EDT",
        "2030-04-01 10:00 EDT",
    ]
    assert AppointmentSeries.objects.get().frequency == "fortnightly"
    assert len(_events("appointment.book")) == 3


@pytest.mark.parametrize("occurrences", [2, 52])
def test_a_series_has_two_to_fifty_two_appointments(
    therapist: User, record: Client, occurrences: int
) -> None:
    _book(therapist, record, frequency="weekly", occurrences=occurrences)

    stored = list(Appointment.objects.order_by("starts_at"))
    assert len(stored) == occurrences
    assert timezone.localtime(stored[-1].starts_at) == at(
        MONDAY + datetime.timedelta(weeks=occurrences - 1), "10:00"
    )
    assert AppointmentSeries.objects.get().occurrences == occurrences


@pytest.mark.parametrize("occurrences", [-1, 0, 1, 53])
def test_a_series_outside_two_to_fifty_two_is_refused(
    therapist: User, record: Client, occurrences: int
) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _book(therapist, record, frequency="fortnightly", occurrences=occurrences)

    assert refused.value.message_dict == {"occurrences": ["A series has 2 to 52 appointments."]}
    assert _state() == before


def test_occurrences_without_a_frequency_book_one(therapist: User, record: Client) -> None:
    _book(therapist, record, frequency="", occurrences=5)

    assert Appointment.objects.count() == 1
    assert AppointmentSeries.objects.count() == 0


@pytest.mark.parametrize(
    ("end", "message"),
    [
        ("09:59", "The end must be after the start."),
        ("10:00", "The end must be after the start."),
        ("18:01", "An appointment lasts at most 8 hours."),
    ],
)
def test_times_out_of_order_or_too_long_are_refused(
    therapist: User, record: Client, end: str, message: str
) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _book(therapist, record, ends_at=at(MONDAY, end), frequency="weekly", occurrences=3)

    assert refused.value.message_dict == {"ends_at": [message]}
    assert _state() == before


def test_eight_hours_exactly_is_allowed(therapist: User, record: Client) -> None:
    [booked] = _book(therapist, record, ends_at=at(MONDAY, "18:00"))

    assert booked.duration_minutes == 480


def test_the_database_refuses_an_end_before_the_start(record: Client) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(
            client=record, starts_at=at(MONDAY, "10:00"), ends_at=at(MONDAY, "09:00")
        )

    assert Appointment.objects.count() == 0


# --- Overlaps ----------------------------------------------------------------------------------


def test_overlapping_finds_only_the_therapists_appointments_still_on_the_calendar(
    therapist: User, other_therapist: User, record: Client
) -> None:
    def make(start: str, end: str, status: str = Status.SCHEDULED, **kw: Any) -> Appointment:
        return AppointmentFactory(
            starts_at=at(MONDAY, start), ends_at=at(MONDAY, end), status=status, **kw
        )

    overlapping_start = make("09:30", "10:10", client=record)
    overlapping_attended = make("10:40", "11:00", Status.ATTENDED, client=record)
    make("09:00", "10:00", client=record)  # ends as the new one starts
    make("11:00", "11:30", client=record)  # starts as the new one ends
    make("10:00", "11:00", Status.CANCELLED_CLIENT, client=record, notice_hours=24)
    make("10:00", "11:00", Status.CANCELLED_CLINIC, client=record, notice_hours=2)
    make("10:00", "11:00", Status.NO_SHOW, client=record)
    make("10:00", "11:00", Status.RESCHEDULED, client=record)
    make("10:00", "11:00", client=ClientFactory(therapist=other_therapist))

    found = services.overlapping(
        therapist=therapist, starts_at=at(MONDAY, "10:00"), ends_at=at(MONDAY, "11:00")
    )

    assert list(found) == [overlapping_start, overlapping_attended]
    assert list(
        services.overlapping(
            therapist=therapist,
            starts_at=at(MONDAY, "10:00"),
            ends_at=at(MONDAY, "11:00"),
            exclude=overlapping_start,
        )
    ) == [overlapping_attended]


def test_booking_over_another_appointment_is_allowed_by_the_service(
    therapist: User, record: Client
) -> None:
    AppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))

    _book(therapist, record)

    assert Appointment.objects.filter(starts_at=at(MONDAY, "10:00")).count() == 2


# --- Rescheduling ------------------------------------------------------------------------------


def test_moving_keeps_the_old_appointment_as_history(therapist: User, record: Client) -> None:
    old, _second = _book(therapist, record, frequency="weekly", occurrences=2)
    old_starts = Appointment.objects.get(pk=old.pk).starts_at

    new = services.appointment_reschedule(
        actor=therapist,
        appointment=old,
        starts_at=at(MONDAY + datetime.timedelta(days=2), "15:00"),
        ends_at=at(MONDAY + datetime.timedelta(days=2), "16:00"),
    )

    old.refresh_from_db()
    assert old.status == "rescheduled"
    assert (old.starts_at, old.ends_at) == (at(MONDAY, "10:00"), at(MONDAY, "10:50"))
    new = Appointment.objects.get(pk=new.pk)
    assert new.rescheduled_from == old
    assert old.rescheduled_to == new
    assert (
        new.client,
        new.therapist,
        timezone.localtime(new.starts_at),
        timezone.localtime(new.ends_at),
        new.modality,
        new.location,
        new.series,
        new.status,
        new.created_by,
    ) == (
        record,
        therapist,
        at(MONDAY + datetime.timedelta(days=2), "15:00"),
        at(MONDAY + datetime.timedelta(days=2), "16:00"),
        "video",
        "Video link in the reminder",
        old.series,
        "scheduled",
        therapist,
    )
    assert Appointment.objects.count() == 3
    assert _events("appointment.reschedule") == [
        (
            "change",
            therapist.pk,
            "therapy_sessions.appointment",
            str(new.pk),
            "C-SES01",
            {"starts_at": [str(old_starts), "2030-03-06 15:00:00-05:00"]},
        )
    ]


def test_a_moved_appointment_can_be_moved_again_through_its_new_row(
    therapist: User, record: Client
) -> None:
    first = AppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))
    second = services.appointment_reschedule(
        actor=therapist,
        appointment=first,
        starts_at=at(MONDAY, "12:00"),
        ends_at=at(MONDAY, "13:00"),
    )

    third = services.appointment_reschedule(
        actor=therapist,
        appointment=second,
        starts_at=at(MONDAY, "14:00"),
        ends_at=at(MONDAY, "15:00"),
    )

    chain = list(Appointment.objects.order_by("pk").values_list("status", "rescheduled_from"))
    assert chain == [
        ("rescheduled", None),
        ("rescheduled", first.pk),
        ("scheduled", second.pk),
    ]
    assert third.rescheduled_from_id == second.pk


@pytest.mark.parametrize(
    "status",
    [
        Status.ATTENDED,
        Status.NO_SHOW,
        Status.CANCELLED_CLIENT,
        Status.CANCELLED_CLINIC,
        Status.RESCHEDULED,
    ],
)
def test_only_a_scheduled_appointment_can_be_moved(
    therapist: User, record: Client, status: str
) -> None:
    appointment = AppointmentFactory(client=record, status=status)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            actor=therapist,
            appointment=appointment,
            starts_at=at(MONDAY, "12:00"),
            ends_at=at(MONDAY, "13:00"),
        )

    assert refused.value.messages == ["Only a scheduled appointment can be moved."]
    assert _state() == before


def test_moving_to_an_end_before_the_start_changes_nothing(therapist: User, record: Client) -> None:
    appointment = AppointmentFactory(client=record)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            actor=therapist,
            appointment=appointment,
            starts_at=at(MONDAY, "12:00"),
            ends_at=at(MONDAY, "11:00"),
        )

    assert refused.value.message_dict == {"ends_at": ["The end must be after the start."]}
    assert _state() == before


# --- Attendance --------------------------------------------------------------------------------


def _record(therapist: User, appointment: Appointment, status: str, **kw: Any) -> Appointment:
    return services.appointment_record_attendance(
        actor=therapist, appointment=appointment, status=status, **kw
    )


def _started(record: Client, minutes_ago: int = 1) -> Appointment:
    starts_at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return AppointmentFactory(client=record, starts_at=starts_at)


def _future(record: Client) -> Appointment:
    return AppointmentFactory(
        client=record, starts_at=timezone.now() + datetime.timedelta(minutes=5)
    )


@pytest.mark.parametrize("status", [Status.ATTENDED, Status.NO_SHOW])
def test_attendance_is_recorded_once_the_appointment_has_started(
    therapist: User, record: Client, status: str
) -> None:
    appointment = _started(record)

    _record(therapist, appointment, status)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == (status, None)
    assert _events("appointment.attendance") == [
        (
            "change",
            therapist.pk,
            "therapy_sessions.appointment",
            str(appointment.pk),
            "C-SES01",
            {"status": ["scheduled", status]},
        )
    ]


@pytest.mark.parametrize("status", [Status.ATTENDED, Status.NO_SHOW])
def test_attendance_before_the_start_is_refused(
    therapist: User, record: Client, status: str
) -> None:
    appointment = _future(record)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _record(therapist, appointment, status)

    assert refused.value.message_dict == {
        "status": ["Attendance can be recorded once the appointment has started."]
    }
    assert _state() == before


@pytest.mark.parametrize("status", [Status.CANCELLED_CLIENT, Status.CANCELLED_CLINIC])
@pytest.mark.parametrize("notice_hours", [0, 36])
def test_a_cancellation_stores_the_notice_given(
    therapist: User, record: Client, status: str, notice_hours: int
) -> None:
    appointment = _future(record)

    _record(therapist, appointment, status, notice_hours=notice_hours)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == (status, notice_hours)
    assert appointment.is_cancelled is True
    assert [e[5] for e in _events("appointment.attendance")] == [
        {"status": ["scheduled", status], "notice_hours": [None, notice_hours]}
    ]


@pytest.mark.parametrize("status", [Status.CANCELLED_CLIENT, Status.CANCELLED_CLINIC])
def test_a_cancellation_without_the_notice_is_refused(
    therapist: User, record: Client, status: str
) -> None:
    appointment = _future(record)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _record(therapist, appointment, status)

    assert refused.value.message_dict == {"notice_hours": ["Say how many hours' notice was given."]}
    assert _state() == before


def test_correcting_the_notice_of_a_cancellation_is_audited(
    therapist: User, record: Client
) -> None:
    appointment = _future(record)
    _record(therapist, appointment, Status.CANCELLED_CLIENT, notice_hours=48)

    _record(therapist, appointment, Status.CANCELLED_CLIENT, notice_hours=6)

    appointment.refresh_from_db()
    assert appointment.notice_hours == 6
    assert [e[5] for e in _events("appointment.attendance")] == [
        {"status": ["scheduled", "cancelled_client"], "notice_hours": [None, 48]},
        {"notice_hours": [48, 6]},
    ]


def test_recording_the_same_outcome_again_writes_no_event(therapist: User, record: Client) -> None:
    appointment = _started(record)
    _record(therapist, appointment, Status.ATTENDED)

    _record(therapist, appointment, Status.ATTENDED, notice_hours=5)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == ("attended", None)
    assert len(_events("appointment.attendance")) == 1


def test_back_to_scheduled_clears_the_notice(therapist: User, record: Client) -> None:
    appointment = _future(record)
    _record(therapist, appointment, Status.CANCELLED_CLINIC, notice_hours=12)

    _record(therapist, appointment, Status.SCHEDULED)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == ("scheduled", None)
    assert [e[5] for e in _events("appointment.attendance")][-1] == {
        "status": ["cancelled_clinic", "scheduled"],
        "notice_hours": [12, None],
    }


@pytest.mark.parametrize(
    "status",
    [Status.ATTENDED, Status.NO_SHOW, Status.CANCELLED_CLIENT, Status.SCHEDULED],
)
def test_a_moved_appointment_refuses_attendance(
    therapist: User, record: Client, status: str
) -> None:
    appointment = _started(record, minutes_ago=60)
    appointment.status = Status.RESCHEDULED
    appointment.save()
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _record(therapist, appointment, status, notice_hours=3)

    assert refused.value.messages == [
        "This appointment was moved; record attendance on the new one."
    ]
    assert _state() == before


@pytest.mark.parametrize("status", [Status.RESCHEDULED, "", "cancelled"])
def test_an_outcome_not_in_the_list_is_refused(
    therapist: User, record: Client, status: str
) -> None:
    appointment = _started(record)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        _record(therapist, appointment, status)

    assert refused.value.message_dict == {"status": ["Choose one of the listed outcomes."]}
    assert _state() == before
