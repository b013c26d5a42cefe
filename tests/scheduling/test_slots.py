"""Free slots from working hours in the clinic's wall-clock time (America/New_York), across the
2026 daylight-saving changes: clocks go forward on Sunday 8 March (02:00 EST -> 03:00 EDT) and
back on Sunday 1 November (02:00 EDT -> 01:00 EST)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from hrp.accounts.models import User
from scheduling import selectors
from scheduling.models import TimeOff, WorkingHours
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory

UTC = datetime.UTC
LONG_AGO = datetime.datetime(2000, 1, 1, tzinfo=UTC)


def _hours(therapist: User, weekday: int, starts: str, ends: str) -> WorkingHours:
    return WorkingHours.objects.create(
        clinician=therapist,
        weekday=weekday,
        starts=datetime.time.fromisoformat(starts),
        ends=datetime.time.fromisoformat(ends),
    )


def _utc(slots: list[selectors.Slot]) -> list[tuple[str, str]]:
    return [
        (f"{s.starts_at.astimezone(UTC):%H:%M}", f"{s.ends_at.astimezone(UTC):%H:%M}")
        for s in slots
    ]


def _slots(therapist: User, *days: datetime.date, now=LONG_AGO, minutes=60, busy=()):
    return selectors.free_slots(
        dates=days,
        hours=WorkingHours.objects.filter(clinician=therapist),
        time_off=TimeOff.objects.filter(clinician=therapist),
        busy=busy,
        now=now,
        minutes=minutes,
    )


@pytest.mark.django_db
def test_the_same_local_hours_move_in_utc_when_the_clocks_go_forward(therapist: User) -> None:
    for weekday in (5, 6):  # Saturday 7 and Sunday 8 March 2026
        _hours(therapist, weekday, "09:00", "12:00")
    slots = _slots(therapist, datetime.date(2026, 3, 7), datetime.date(2026, 3, 8))

    assert _utc(slots[datetime.date(2026, 3, 7)]) == [
        ("14:00", "15:00"),
        ("15:00", "16:00"),
        ("16:00", "17:00"),
    ]
    assert _utc(slots[datetime.date(2026, 3, 8)]) == [
        ("13:00", "14:00"),
        ("14:00", "15:00"),
        ("15:00", "16:00"),
    ]
    local = [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots[datetime.date(2026, 3, 8)]]
    assert local == ["09:00", "10:00", "11:00"]


@pytest.mark.django_db
def test_the_same_local_hours_move_in_utc_when_the_clocks_go_back(therapist: User) -> None:
    _hours(therapist, 5, "09:00", "11:00")  # Saturday 31 October
    _hours(therapist, 6, "09:00", "11:00")  # Sunday 1 November
    slots = _slots(therapist, datetime.date(2026, 10, 31), datetime.date(2026, 11, 1))

    assert _utc(slots[datetime.date(2026, 10, 31)]) == [("13:00", "14:00"), ("14:00", "15:00")]
    assert _utc(slots[datetime.date(2026, 11, 1)]) == [("14:00", "15:00"), ("15:00", "16:00")]


@pytest.mark.django_db
def test_a_block_across_the_spring_change_is_an_hour_shorter_that_night(therapist: User) -> None:
    # 01:00 to 04:00 local on 8 March is two real hours: 01:00 EST (06:00Z) to 04:00 EDT (08:00Z).
    _hours(therapist, 6, "01:00", "04:00")
    slots = _slots(therapist, datetime.date(2026, 3, 8))[datetime.date(2026, 3, 8)]

    assert _utc(slots) == [("06:00", "07:00"), ("07:00", "08:00")]
    assert [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots] == ["01:00", "03:00"]


@pytest.mark.django_db
def test_a_block_across_the_autumn_change_is_an_hour_longer_that_night(therapist: User) -> None:
    # 01:00 (first, EDT: 05:00Z) to 03:00 EST (08:00Z) on 1 November is three real hours.
    _hours(therapist, 6, "01:00", "03:00")
    slots = _slots(therapist, datetime.date(2026, 11, 1))[datetime.date(2026, 11, 1)]

    assert _utc(slots) == [("05:00", "06:00"), ("06:00", "07:00"), ("07:00", "08:00")]
    assert [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots] == [
        "01:00",
        "01:00",
        "02:00",
    ]


@pytest.mark.django_db
def test_days_off_booked_time_and_the_past_leave_no_slot(therapist: User) -> None:
    monday = datetime.date(2026, 3, 9)
    _hours(therapist, 0, "09:00", "13:00")
    _hours(therapist, 1, "09:00", "10:00")
    TimeOff.objects.create(
        clinician=therapist,
        first_day=monday + datetime.timedelta(days=1),
        last_day=monday + datetime.timedelta(days=1),
    )
    record = ClientFactory(therapist=therapist)
    tz = timezone.get_current_timezone()
    booked = AppointmentFactory(
        client=record,
        starts_at=datetime.datetime(2026, 3, 9, 10, 30, tzinfo=tz),
        ends_at=datetime.datetime(2026, 3, 9, 11, 20, tzinfo=tz),
    )
    cancelled = AppointmentFactory(
        client=record,
        starts_at=datetime.datetime(2026, 3, 9, 12, 0, tzinfo=tz),
        status="cancelled_client",
    )
    now = datetime.datetime(2026, 3, 9, 9, 5, tzinfo=tz)  # the 09:00 slot has begun

    slots = _slots(
        therapist, monday, monday + datetime.timedelta(days=1), now=now, busy=[booked, cancelled]
    )

    local = [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots[monday]]
    assert local == ["12:00"]  # 10:00 and 11:00 overlap the booking; a cancellation frees 12:00
    assert slots[monday + datetime.timedelta(days=1)] == []


@pytest.mark.django_db
def test_slot_length_cuts_the_block_and_drops_a_short_remainder(therapist: User) -> None:
    _hours(therapist, 0, "09:00", "10:40")
    slots = _slots(therapist, datetime.date(2026, 3, 9), minutes=45)[datetime.date(2026, 3, 9)]

    assert [f"{timezone.localtime(s.starts_at):%H:%M}" for s in slots] == ["09:00", "09:45"]


def test_span_dates_and_steps() -> None:
    day = datetime.date(2026, 2, 18)  # a Wednesday
    assert selectors.span_dates("day", day) == [day]
    week = selectors.span_dates("week", day)
    assert (week[0], week[-1]) == (datetime.date(2026, 2, 16), datetime.date(2026, 2, 22))
    month = selectors.span_dates("month", day)
    assert (month[0], month[-1], len(month)) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
        28,
    )
    assert selectors.step("month", datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 1)
    assert selectors.step("month", datetime.date(2026, 1, 31), -1) == datetime.date(2025, 12, 1)
    assert selectors.step("week", day, -1) == datetime.date(2026, 2, 9)
    assert selectors.step("week", day, 1) == datetime.date(2026, 2, 23)
