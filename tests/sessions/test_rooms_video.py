"""Rooms and video links on appointments: the database refuses two appointments still on the
calendar in one room at overlapping times (exclusion constraint, migration 0011), the services
say so first; a video link is an https URL, and reaches the client's reminder only when they
have not asked for discreet reminders. No reminder names a client or their chart number."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hrp.accounts.models import User
from notifications import services as notification_services
from notifications.models import Reminder
from notifications.sms import LocmemSmsBackend
from sessions import services
from sessions.models import Appointment, Room
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory, at

MONDAY = datetime.date(2030, 3, 4)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _sms_outbox(settings) -> None:
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []


@pytest.fixture
def room() -> Room:
    return Room.objects.create(name="Blue")


def test_the_database_refuses_two_sessions_in_one_room(
    therapist: User, other_therapist: User, room: Room
) -> None:
    AppointmentFactory(
        client=ClientFactory(therapist=therapist), starts_at=at(MONDAY, "10:00"), room=room
    )
    with pytest.raises(IntegrityError, match="appointment_room_no_overlap"), transaction.atomic():
        # Straight to the table, as a racing request past the service's check would.
        AppointmentFactory(
            client=ClientFactory(therapist=other_therapist),
            starts_at=at(MONDAY, "10:30"),
            room=room,
        )
    assert Appointment.objects.count() == 1


def test_back_to_back_and_freed_rooms_are_fine(therapist: User, room: Room) -> None:
    record = ClientFactory(therapist=therapist)
    first = AppointmentFactory(
        client=record, starts_at=at(MONDAY, "10:00"), ends_at=at(MONDAY, "11:00"), room=room
    )
    AppointmentFactory(client=record, starts_at=at(MONDAY, "11:00"), room=room)  # half-open
    first.status = Appointment.Status.CANCELLED_CLINIC
    first.save()
    AppointmentFactory(
        client=record, starts_at=at(MONDAY, "10:00"), ends_at=at(MONDAY, "10:30"), room=room
    )
    assert Appointment.objects.filter(room=room).count() == 3


def test_booking_a_taken_room_is_refused_with_nothing_stored(
    therapist: User, other_therapist: User, room: Room
) -> None:
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist), starts_at=at(MONDAY, "10:00"), room=room
    )
    record = ClientFactory(therapist=therapist)
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(
            actor=therapist,
            client=record,
            starts_at=at(MONDAY, "10:30"),
            ends_at=at(MONDAY, "11:20"),
            modality="in_person",
            room=room,
        )
    assert refused.value.message_dict == {"room": ["This room is already booked at that time."]}
    assert not Appointment.objects.filter(client=record).exists()
    # A series is checked whole: its first week (the Monday before, 10:00) is free, its second
    # (MONDAY 10:00) is taken, so none of it is booked.
    with pytest.raises(ValidationError):
        services.appointment_book(
            actor=therapist,
            client=record,
            starts_at=at(MONDAY - 7 * DAY, "10:00"),
            ends_at=at(MONDAY - 7 * DAY, "10:50"),
            modality="in_person",
            frequency="weekly",
            occurrences=2,
            room=room,
        )
    assert not Appointment.objects.filter(client=record).exists()


def test_moving_keeps_the_room_and_link_and_checks_the_room(
    therapist: User, other_therapist: User, room: Room
) -> None:
    record = ClientFactory(therapist=therapist)
    booked = AppointmentFactory(
        client=record,
        starts_at=at(MONDAY, "10:00"),
        room=room,
        video_link="https://meet.example.org/a",
    )
    moved = services.appointment_reschedule(
        actor=therapist,
        appointment=booked,
        starts_at=at(MONDAY, "10:30"),
        ends_at=at(MONDAY, "11:20"),
    )
    assert (moved.room, moved.video_link) == (room, "https://meet.example.org/a")
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist), starts_at=at(MONDAY, "14:00"), room=room
    )
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            actor=therapist,
            appointment=moved,
            starts_at=at(MONDAY, "14:30"),
            ends_at=at(MONDAY, "15:20"),
        )
    assert refused.value.message_dict == {"room": ["This room is already booked at that time."]}
    assert Appointment.objects.get(pk=moved.pk).status == "scheduled"


@pytest.mark.parametrize(
    "link",
    [
        "http://meet.example.org/a",
        "javascript:alert(1)",
        "https://user:pw@meet.example.org/",
        "meet",
    ],
)
def test_only_https_video_links(therapist: User, link: str) -> None:
    record = ClientFactory(therapist=therapist)
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(
            actor=therapist,
            client=record,
            starts_at=at(MONDAY, "09:00"),
            ends_at=at(MONDAY, "09:50"),
            modality="video",
            video_link=link,
        )
    assert refused.value.message_dict == {
        "video_link": ["Enter a video link starting with https://."]
    }
    assert not Appointment.objects.exists()


def _remind(therapist: User, **fields) -> tuple[str, object]:
    record = ClientFactory(
        therapist=therapist,
        may_contact=True,
        email="robin@example.org",
        phone="555-0100",
        preferred_name="Robin",
        chart_number="C-9191",
        **fields,
    )
    starts = at(MONDAY, "10:00")
    AppointmentFactory(
        client=record,
        starts_at=starts,
        created_at=starts - 7 * DAY,
        modality="video",
        video_link="https://meet.example.org/hrp-Zx81",
    )
    notification_services.plan_reminders(now=starts - 24 * HOUR)
    notification_services.send_due_reminders(now=starts - 24 * HOUR)
    return Reminder.objects.get(kind="client_session").text, record


def test_the_client_reminder_carries_the_video_link(therapist: User, settings) -> None:
    settings.CLINIC_DISPLAY_NAME = "Riverside Wellness"
    text, record = _remind(therapist, reminder_channel="email")
    assert text == (
        "Reminder: your appointment is on Mon 4 Mar 2030 at 10:00. Riverside Wellness "
        "Video link: https://meet.example.org/hrp-Zx81"
    )
    assert [m.body for m in mail.outbox] == [text]
    for private in ("Robin", "C-9191", record.legal_name, "9191"):
        assert private not in text


def test_a_discreet_reminder_leaves_the_link_out(therapist: User, settings) -> None:
    settings.CLINIC_DISPLAY_NAME = "Riverside Wellness"
    _remind(therapist, reminder_channel="sms", reminder_hide_clinic_name=True)
    assert LocmemSmsBackend.outbox == [
        ("555-0100", "Reminder: your appointment is on Mon 4 Mar 2030 at 10:00.")
    ]


def test_no_reminder_without_consent_to_be_contacted(therapist: User) -> None:
    record = ClientFactory(
        therapist=therapist, may_contact=False, email="r@example.org", reminder_channel="email"
    )
    starts = at(MONDAY, "10:00")
    AppointmentFactory(
        client=record,
        starts_at=starts,
        created_at=starts - 7 * DAY,
        video_link="https://m.example.org/x",
    )
    notification_services.plan_reminders(now=starts - 24 * HOUR)
    notification_services.send_due_reminders(now=starts - 24 * HOUR)
    assert not Reminder.objects.filter(kind="client_session").exists()
    assert mail.outbox == []
