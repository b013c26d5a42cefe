"""The therapist's week calendar (scheduling's week view, which superseded sessions' week page:
/calendar/?week= now redirects here): Monday to Sunday in the clinic's time zone
(America/New_York unless CLINIC_TIME_ZONE says otherwise), the double-booking marks, and the
?date= parameter.

The fixed week is 4-10 March 2030; the clinic's clocks go forward on Sunday the 10th.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client
from hrp import bounds
from hrp.accounts.models import User
from scheduling import selectors
from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.sessions.factories import AppointmentFactory, at

ClientFor = Callable[[User | None], HttpClient]

MONDAY = datetime.date(2030, 3, 4)


def _day(offset: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=offset)


def this_monday() -> datetime.date:
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin")


def _make(record: Client, day: datetime.date, start: str, end: str, **kw: str) -> Appointment:
    return AppointmentFactory(client=record, starts_at=at(day, start), ends_at=at(day, end), **kw)


def _calendar(therapist: User) -> str:
    return reverse("scheduling:week", args=[therapist.pk])


def _week(days: list[selectors.Day]) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Each day as (date, [(local start, status, double-booked)])."""
    return [
        (
            day.date.isoformat(),
            [
                (
                    f"{timezone.localtime(a.starts_at):%H:%M}",
                    a.status,
                    a.double_booked,  # type: ignore[attr-defined]
                )
                for a in day.appointments
            ],
        )
        for day in days
    ]


def test_the_week_runs_monday_to_sunday_in_the_clinics_time_zone(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _make(record, _day(-1), "23:30", "23:55")  # the Sunday before: 04:30 UTC on Monday
    _make(record, _day(0), "00:30", "01:20")  # 05:30 UTC on Monday
    _make(record, _day(0), "19:30", "20:20")  # 00:30 UTC on Tuesday: still Monday here
    _make(record, _day(6), "23:30", "23:55")  # 03:30 UTC on the next Monday (after the change)
    _make(record, _day(7), "00:15", "01:00")  # the next Monday

    response = client_for(therapist).get(_calendar(therapist), {"date": "2030-03-06"})

    assert response.status_code == 200
    assert response.context["days"][0].date == MONDAY
    assert _week(response.context["days"]) == [
        ("2030-03-04", [("00:30", "scheduled", False), ("19:30", "scheduled", False)]),
        ("2030-03-05", []),
        ("2030-03-06", []),
        ("2030-03-07", []),
        ("2030-03-08", []),
        ("2030-03-09", []),
        ("2030-03-10", [("23:30", "scheduled", False)]),
    ]
    page = text(response)
    assert "My calendar: week of 4 Mar 2030" in page
    assert f'href="{_calendar(therapist)}?date=2030-02-25">Previous week' in page
    assert f'href="{_calendar(therapist)}?date=2030-03-11">Next week' in page
    assert page.count("No appointments") == 5
    assert response.context["double_booked"] == 0
    assert "overlap" not in page


def test_double_booked_marks_exactly_the_overlapping_appointments(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    second_client = ClientFactory(therapist=therapist, preferred_name="Sam")
    _make(record, _day(1), "10:00", "11:00")
    _make(second_client, _day(1), "10:30", "11:30", status="attended")
    _make(record, _day(1), "11:30", "12:00")  # starts as the one before ends
    _make(record, _day(1), "10:00", "11:00", status="cancelled_client")
    _make(record, _day(1), "10:15", "11:00", status="rescheduled")
    _make(record, _day(1), "10:45", "11:15", status="no_show")
    _make(record, _day(2), "09:00", "09:50")
    _make(ClientFactory(therapist=other_therapist), _day(2), "09:00", "09:50")
    _make(record, _day(3), "14:00", "15:00")
    _make(second_client, _day(3), "14:59", "15:30")

    response = client_for(therapist).get(_calendar(therapist), {"date": "2030-03-04"})

    assert _week(response.context["days"])[1:4] == [
        (
            "2030-03-05",
            [
                ("10:00", "scheduled", True),
                ("10:00", "cancelled_client", False),
                ("10:15", "rescheduled", False),
                ("10:30", "attended", True),
                ("10:45", "no_show", False),
                ("11:30", "scheduled", False),
            ],
        ),
        ("2030-03-06", [("09:00", "scheduled", False)]),
        ("2030-03-07", [("14:00", "scheduled", True), ("14:59", "scheduled", True)]),
    ]
    assert response.context["double_booked"] == 4
    page = text(response)
    assert "4 appointments here overlap another." in page
    assert page.count("overlaps another appointment") == 4


def test_one_overlap_pair_reads_in_the_plural(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _make(record, _day(4), "10:00", "11:00")
    _make(record, _day(4), "10:00", "11:00", modality="video")

    page = text(client_for(therapist).get(_calendar(therapist), {"date": "2030-03-08"}))

    assert "2 appointments here overlap another." in page


def test_the_calendar_links_to_each_clients_sessions(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    _make(record, _day(0), "10:00", "10:50", modality="phone")

    page = text(client_for(therapist).get(_calendar(therapist), {"date": "2030-03-04"}))

    section = reverse("sessions:section", kwargs={"pk": record.pk})
    assert f'<a href="{section}">Robin</a>' in page
    assert "10:00–10:50" in page
    assert "Phone · Scheduled" in page


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2030-03-04", MONDAY),
        ("2030-03-10", MONDAY),  # a Sunday belongs to the week before it
        ("2030-03-11", datetime.date(2030, 3, 11)),
        ("20300306", MONDAY),  # ISO 8601's compact form is a date too
        ("2030-W10-3", MONDAY),  # and so is an ISO week date
        ("1900-01-03", datetime.date(1900, 1, 1)),  # the calendar's first week (hrp/bounds.py)
    ],
)
def test_week_picks_the_week_of_that_date(
    client_for: ClientFor, therapist: User, week: str, expected: datetime.date
) -> None:
    response = client_for(therapist).get(_calendar(therapist), {"date": week})

    assert response.status_code == 200
    assert [d.date for d in response.context["days"]] == [
        expected + datetime.timedelta(days=n) for n in range(7)
    ]


@pytest.mark.parametrize(
    "week",
    [
        None,
        "",
        "next",
        "2030-02-30",
        "2030-3-4",
        "2030-03-06T10:00",
        "0001-01-01",
        "1899-12-31",  # before the calendar's range (hrp/bounds.py)
        "9998-12-31",
        "9999-12-31",
        "٢٠٣٠-٠٣-٠٤",  # Arabic-Indic digits: Python's parser would read them
    ],
)
def test_a_missing_or_bad_week_shows_this_week(
    client_for: ClientFor, therapist: User, week: str | None
) -> None:
    params = {} if week is None else {"date": week}

    response = client_for(therapist).get(_calendar(therapist), params)

    assert response.status_code == 200
    assert response.context["days"][0].date == this_monday()
    assert response.context["today"] == timezone.localdate()
    assert text(response).count('<span class="badge flag-info">today</span>') == 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(week=st.one_of(st.text(max_size=30), st.dates().map(datetime.date.isoformat)))
def test_any_week_value_gives_a_week_starting_on_a_monday(
    client_for: ClientFor, therapist: User, week: str
) -> None:
    response = client_for(therapist).get(_calendar(therapist), {"date": week})

    assert response.status_code == 200
    start = response.context["days"][0].date
    assert start.weekday() == 0
    try:
        asked = datetime.date.fromisoformat(week)
    except ValueError:
        asked = None
    if asked is None or not week.isascii() or not bounds.CALENDAR.contains(asked):
        assert start == this_monday()
    else:
        assert start <= asked < start + datetime.timedelta(days=7)


def test_week_calendar_reads_only_the_therapists_appointments(
    therapist: User, other_therapist: User, record: Client
) -> None:
    mine = _make(record, _day(2), "09:00", "09:50")
    _make(ClientFactory(therapist=other_therapist), _day(2), "09:00", "09:50")

    (calendar,) = selectors.calendars(
        clinicians=[therapist], dates=selectors.span_dates("week", _day(5)), with_clients=True
    )
    days = calendar.days

    assert [d.date for d in days] == [_day(n) for n in range(7)]
    assert [a for d in days for a in d.appointments] == [mine]


@pytest.mark.parametrize(
    ("week", "location"),
    [
        ({"week": "2030-03-06"}, "?date=2030-03-06"),
        ({}, ""),
        ({"week": "٢٠٣٠-٠٣-٠٤"}, ""),
        ({"week": "9999-12-31"}, ""),
    ],
)
def test_the_old_week_page_redirects_here(
    client_for: ClientFor, therapist: User, week: dict[str, str], location: str
) -> None:
    response = client_for(therapist).get(reverse("sessions:calendar"), week)

    assert response.status_code == 302
    assert response["Location"] == _calendar(therapist) + location


@pytest.mark.parametrize("role", ["supervisor", "clinic_admin"])
def test_the_old_week_page_is_a_therapists(
    request: pytest.FixtureRequest, client_for: ClientFor, role: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse("sessions:calendar"))
    assert response.status_code == 404
