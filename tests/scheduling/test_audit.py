"""Hours, time off, rooms and feed addresses decide who can be booked when and where, and a feed
address is a secret: each change is on the audit trail, with nothing of a client and never the
feed's token."""

from __future__ import annotations

import datetime

import pytest

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from scheduling import services
from scheduling.models import CalendarFeed, TimeOff, WorkingHours
from sessions.models import Room

pytestmark = pytest.mark.django_db


def _events() -> list[tuple[str, str, int | None, str, str]]:
    return list(
        AuditEvent.objects.order_by("id").values_list(
            "action", "category", "actor_id", "object_type", "chart_number"
        )
    )


def test_working_hours_added_and_removed_are_audited(therapist: User) -> None:
    block = services.working_hours_add(
        clinician=therapist, weekday=0, starts=datetime.time(9), ends=datetime.time(12)
    )
    assert services.working_hours_remove(clinician=therapist, pk=block.pk) == 1
    # Already gone: nothing removed, nothing recorded.
    assert services.working_hours_remove(clinician=therapist, pk=block.pk) == 0

    assert _events() == [
        ("working_hours.add", "change", therapist.pk, "scheduling.workinghours", ""),
        ("working_hours.remove", "change", therapist.pk, "scheduling.workinghours", ""),
    ]
    added = AuditEvent.objects.get(action="working_hours.add")
    assert added.changes == {
        "weekday": [None, 0],
        "starts": [None, "09:00:00"],
        "ends": [None, "12:00:00"],
    }
    assert not WorkingHours.objects.exists()


def test_time_off_is_audited_once_even_when_sent_twice(therapist: User) -> None:
    days = {"first_day": datetime.date(2027, 7, 1), "last_day": datetime.date(2027, 7, 2)}
    first = services.time_off_add(clinician=therapist, kind="leave", **days)
    again = services.time_off_add(clinician=therapist, kind="leave", **days)
    assert first == again
    services.time_off_remove(clinician=therapist, pk=first.pk)

    assert [e[0] for e in _events()] == ["time_off.add", "time_off.remove"]
    assert not TimeOff.objects.exists()


def test_another_clinicians_block_is_neither_removed_nor_audited(
    therapist: User, other_therapist: User
) -> None:
    block = services.working_hours_add(
        clinician=therapist, weekday=1, starts=datetime.time(9), ends=datetime.time(10)
    )
    assert services.working_hours_remove(clinician=other_therapist, pk=block.pk) == 0
    assert [e[0] for e in _events()] == ["working_hours.add"]


def test_rooms_are_audited_only_when_something_changes(clinic_admin: User) -> None:
    room = services.room_create(actor=clinic_admin, name="Garden")
    services.room_set_active(actor=clinic_admin, room=room, active=False)
    services.room_set_active(actor=clinic_admin, room=room, active=False)  # no change
    services.room_set_active(actor=clinic_admin, room=room, active=True)

    assert [e[0] for e in _events()] == [
        "room.create",
        "room.set_active",
        "room.set_active",
    ]
    assert [
        e.changes for e in AuditEvent.objects.filter(action="room.set_active").order_by("id")
    ] == [
        {"active": [True, False]},
        {"active": [False, True]},
    ]
    assert Room.objects.get().active is True


def test_feed_addresses_are_security_events_without_the_token(therapist: User) -> None:
    token = services.feed_create(clinician=therapist)
    services.feed_create(clinician=therapist)  # a new address replaces the first
    services.feed_revoke(clinician=therapist)
    services.feed_revoke(clinician=therapist)  # nothing left: nothing recorded

    assert [(e[0], e[1]) for e in _events()] == [
        ("calendar_feed.create", "security"),
        ("calendar_feed.create", "security"),
        ("calendar_feed.revoke", "security"),
    ]
    stored = " ".join(
        str(v) for row in AuditEvent.objects.values_list("changes", "detail", "path") for v in row
    )
    assert token not in stored
    assert CalendarFeed.token_digest(token) not in stored
    assert not CalendarFeed.objects.exists()
