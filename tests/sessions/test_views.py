"""Appointment pages: who may open and change what, booking (with the double-booking warning),
moving and recording attendance through the pages, and the chart's Sessions section.

The assigned therapist books, moves and records attendance; their supervisor reads the Sessions
section (403 on every write); everyone else gets 404, because a client's existence is itself
private. The calendar is a therapist's own page: any therapist has one, nobody else does.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse
from django.utils import timezone

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from sessions import urls as session_urls
from sessions.models import Appointment, AppointmentSeries, Room
from tests.clients.factories import ClientFactory
from tests.clients.helpers import text
from tests.conftest import STAFF_ROLES
from tests.goals.helpers import form_values, table
from tests.sessions.factories import AppointmentFactory, at
from tests.sessions.test_contacts_views import GET as CONTACT_GET
from tests.sessions.test_note_views import NOTE_GET

ClientFor = Callable[[User | None], HttpClient]

MONDAY = datetime.date(2030, 3, 4)
OVERLAP_WARNING = (
    "This overlaps another appointment on the calendar. Tick “Book anyway” to keep it."
)


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin", chart_number="C-SES02")


@pytest.fixture
def appointment(record: Client) -> Appointment:
    """Scheduled for Monday 4 March 2030, 10:00-10:50, in Room 2."""
    return AppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"))


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything an appointment write could change: appointments, series, change events."""
    return (
        [model_to_dict(a) for a in Appointment.objects.order_by("pk")],
        [model_to_dict(s) for s in AppointmentSeries.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _messages(response: HttpResponse) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _book_post(**overrides: str) -> dict[str, str]:
    return {
        "date": "2030-03-05",
        "start": "14:00",
        "end": "14:50",
        "modality": "phone",
        "location": "",
        "frequency": "",
        "occurrences": "",
        **overrides,
    }


def _move_post(**overrides: str) -> dict[str, str]:
    return {"date": "2030-03-06", "start": "09:00", "end": "09:50", **overrides}


# --- Access matrix -----------------------------------------------------------------------------


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


EXPECTED_GET: dict[str, dict[str, int]] = {
    # The old week page sends a therapist to their own week in scheduling (another therapist
    # to theirs, without this client on it); a supervisor who is not a therapist has none.
    "calendar": {**_statuses(302, 404), "other_therapist": 302},
    "section": _statuses(200, 200),
    "book": _statuses(200, 403),
    "reschedule": _statuses(200, 403),
    # The outcome of one appointment, linked from each row of the Sessions section.
    "attendance": _statuses(200, 403),
}
EXPECTED_POST: dict[str, dict[str, int]] = {
    "book": _statuses(302, 403),
    "reschedule": _statuses(302, 403),
    "attendance": _statuses(302, 403),
}
POST_DATA: dict[str, dict[str, str]] = {
    "book": _book_post(),
    "reschedule": _move_post(),
    "attendance": {"status": "cancelled_client", "notice_hours": "24"},
}


def page_url(name: str, appointment: Appointment) -> str:
    if name == "calendar":
        return reverse("sessions:calendar")
    kwargs: dict[str, Any] = {"pk": appointment.client_id}
    if name in ("reschedule", "attendance"):
        kwargs["appointment_pk"] = appointment.pk
    return reverse(f"sessions:{name}", kwargs=kwargs)


def test_the_matrix_covers_every_sessions_url() -> None:
    """Appointment URLs here, note URLs in test_note_views.py, contact URLs in
    test_contacts_views.py: together, every URL."""
    names = {p.name for p in session_urls.urlpatterns if isinstance(p, URLPattern)}
    assert set(EXPECTED_GET).isdisjoint(NOTE_GET)
    assert names == set(EXPECTED_GET) | set(NOTE_GET) | set(CONTACT_GET)
    assert set(EXPECTED_POST) == {"book", "reschedule", "attendance"}


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    appointment: Appointment,
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).get(page_url(name, appointment))

    assert response.status_code == EXPECTED_GET[name][role]
    assert _state() == before


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED_POST))
def test_post_status_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    appointment: Appointment,
    name: str,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).post(page_url(name, appointment), POST_DATA[name])

    assert response.status_code == EXPECTED_POST[name][role]
    if role == "therapist":
        assert response["Location"] == page_url("section", appointment)
        assert _state() != before
    else:
        assert _state() == before


@pytest.mark.parametrize("name", list(EXPECTED_GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, appointment: Appointment, name: str, method: str
) -> None:
    url = page_url(name, appointment)
    before = _state()

    web = client_for(None)

    response = web.post(url, POST_DATA.get(name, {})) if method == "post" else web.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


def test_another_therapists_calendar_does_not_show_this_client(
    client_for: ClientFor, other_therapist: User, appointment: Appointment
) -> None:
    response = client_for(other_therapist).get(
        reverse("scheduling:week", args=[other_therapist.pk]), {"date": "2030-03-04"}
    )

    assert response.status_code == 200
    assert [len(day.appointments) for day in response.context["days"]] == [0] * 7
    assert "Robin" not in text(response)


@pytest.mark.parametrize("name", ["reschedule", "attendance"])
def test_an_appointment_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client, name: str
) -> None:
    elsewhere = AppointmentFactory(client=ClientFactory(therapist=therapist))
    url = reverse(f"sessions:{name}", kwargs={"pk": record.pk, "appointment_pk": elsewhere.pk})
    before = _state()

    response = client_for(therapist).post(url, POST_DATA[name])

    assert response.status_code == 404
    assert _state() == before


# --- Booking -----------------------------------------------------------------------------------


def test_booking_one_appointment(client_for: ClientFor, therapist: User, record: Client) -> None:
    web = client_for(therapist)

    response = web.post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(modality="in_person", location="Room 4"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:section", kwargs={"pk": record.pk})
    assert _messages(response) == [("success", "1 appointment booked.")]
    booked = Appointment.objects.get()
    assert (
        booked.client,
        booked.therapist,
        booked.starts_at,
        booked.ends_at,
        booked.modality,
        booked.location,
        booked.status,
        booked.series,
        booked.created_by,
    ) == (
        record,
        therapist,
        at(datetime.date(2030, 3, 5), "14:00"),
        at(datetime.date(2030, 3, 5), "14:50"),
        "in_person",
        "Room 4",
        "scheduled",
        None,
        therapist,
    )
    event = AuditEvent.objects.get(action="appointment.book")
    assert (event.actor, event.object_id, event.chart_number, event.path) == (
        therapist,
        str(booked.pk),
        "C-SES02",
        reverse("sessions:book", kwargs={"pk": record.pk}),
    )


@pytest.mark.parametrize(
    ("frequency", "occurrences", "dates"),
    [
        ("weekly", "3", ["2030-03-05", "2030-03-12", "2030-03-19"]),
        ("fortnightly", "3", ["2030-03-05", "2030-03-19", "2030-04-02"]),
    ],
)
def test_booking_a_series(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    frequency: str,
    occurrences: str,
    dates: list[str],
) -> None:
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(frequency=frequency, occurrences=occurrences),
    )

    assert response.status_code == 302
    assert _messages(response) == [("success", "3 appointments booked.")]
    series = AppointmentSeries.objects.get()
    assert (series.frequency, series.occurrences, series.created_by) == (
        frequency,
        3,
        therapist,
    )
    stored = list(Appointment.objects.order_by("starts_at"))
    assert [timezone.localtime(a.starts_at) for a in stored] == [
        at(datetime.date.fromisoformat(d), "14:00") for d in dates
    ]
    assert [a.series for a in stored] == [series] * 3
    assert AuditEvent.objects.filter(action="appointment.book").count() == 3


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"end": "13:59"}, {"end": ["The end must be after the start."]}),
        ({"end": "14:00"}, {"end": ["The end must be after the start."]}),
        (
            {"frequency": "weekly", "occurrences": "1"},
            {"occurrences": ["Ensure this value is greater than or equal to 2."]},
        ),
        (
            {"frequency": "weekly", "occurrences": "53"},
            {"occurrences": ["Ensure this value is less than or equal to 52."]},
        ),
        (
            {"frequency": "fortnightly", "occurrences": ""},
            {"occurrences": ["How many appointments in the series?"]},
        ),
        (
            {"frequency": "monthly", "occurrences": "3"},
            {"frequency": ["Select a valid choice. monthly is not one of the available choices."]},
        ),
        (
            {"date": "", "start": "", "end": ""},
            {
                "date": ["This field is required."],
                "start": ["This field is required."],
                "end": ["This field is required."],
            },
        ),
        (
            {"start": "08:00", "end": "16:01"},
            {"__all__": ["An appointment lasts at most 8 hours."]},
        ),
    ],
    ids=[
        "end-before-start",
        "end-at-start",
        "series-of-1",
        "series-of-53",
        "series-without-count",
        "unknown-frequency",
        "no-times",
        "over-8-hours",
    ],
)
def test_bad_bookings_are_refused_and_keep_what_was_typed(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    overrides: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    post = _book_post(location="Room 4", **overrides)
    before = _state()

    response = client_for(therapist).post(reverse("sessions:book", kwargs={"pk": record.pk}), post)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert _state() == before
    values = form_values(response)
    assert {k: values[k] for k in ("date", "start", "end", "location")} == {
        k: post[k] for k in ("date", "start", "end", "location")
    }


def test_an_overlap_is_a_warning_that_stores_nothing(
    client_for: ClientFor, therapist: User, record: Client, appointment: Appointment
) -> None:
    before = _state()

    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(date="2030-03-04", start="10:30", end="11:20"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OVERLAP_WARNING]
    assert response.context["overlaps"] == [appointment]
    page = text(response)
    overlap = '<ul class="mb-0"><li>Mon 4 Mar 2030, 10:00–10:50</li></ul>'
    assert f"{OVERLAP_WARNING}\n    {overlap}" in page
    assert _state() == before


def test_book_anyway_stores_the_overlapping_appointment(
    client_for: ClientFor, therapist: User, record: Client, appointment: Appointment
) -> None:
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(date="2030-03-04", start="10:30", end="11:20", confirm_overlap="on"),
    )

    assert response.status_code == 302
    booked = Appointment.objects.exclude(pk=appointment.pk).get()
    assert (booked.starts_at, booked.ends_at) == (
        at(MONDAY, "10:30"),
        at(MONDAY, "11:20"),
    )
    assert AuditEvent.objects.filter(action="appointment.book").count() == 1


def test_back_to_back_is_not_an_overlap(
    client_for: ClientFor, therapist: User, record: Client, appointment: Appointment
) -> None:
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(date="2030-03-04", start="10:50", end="11:40"),
    )

    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_a_series_warns_of_an_overlap_in_a_later_week(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    """The third week of the series meets another client's appointment."""
    other = AppointmentFactory(
        client=ClientFactory(therapist=therapist), starts_at=at(datetime.date(2030, 3, 19), "14:30")
    )
    before = _state()

    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(frequency="weekly", occurrences="4"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OVERLAP_WARNING]
    assert response.context["overlaps"] == [other]
    assert "<li>Tue 19 Mar 2030, 14:30–15:20</li>" in text(response)
    assert _state() == before


def test_appointments_no_longer_on_the_calendar_do_not_warn(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    for status in ("cancelled_client", "no_show", "rescheduled"):
        AppointmentFactory(client=record, starts_at=at(MONDAY, "10:00"), status=status)
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist), starts_at=at(MONDAY, "10:00")
    )

    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(date="2030-03-04", start="10:00", end="10:50"),
    )

    assert response.status_code == 302
    assert Appointment.objects.filter(status="scheduled", therapist=therapist).count() == 1


def test_the_book_page_starts_in_person(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("sessions:book", kwargs={"pk": record.pk}))

    assert response.status_code == 200
    assert form_values(response) == {
        "date": "",
        "start": "",
        "end": "",
        "modality": "in_person",
        "location": "",
        "room": "",
        "video": "none",
        "video_link": "",
        "frequency": "",
        "occurrences": "",
    }


# --- Moving ------------------------------------------------------------------------------------


def test_the_move_page_shows_the_current_time(
    client_for: ClientFor, therapist: User, appointment: Appointment
) -> None:
    response = client_for(therapist).get(page_url("reschedule", appointment))

    assert response.status_code == 200
    assert form_values(response) == {"date": "2030-03-04", "start": "10:00", "end": "10:50"}
    assert "Now: Mon 4 Mar 2030, 10:00 with Robin. The earlier time stays in the history." in text(
        response
    )


def test_moving_keeps_the_history(
    client_for: ClientFor, therapist: User, appointment: Appointment
) -> None:
    web = client_for(therapist)

    response = web.post(page_url("reschedule", appointment), _move_post())

    assert response.status_code == 302
    assert response["Location"] == page_url("section", appointment)
    assert _messages(response) == [
        ("success", "Appointment moved. The earlier time stays in the history.")
    ]
    appointment.refresh_from_db()
    new = Appointment.objects.get(rescheduled_from=appointment)
    assert appointment.status == "rescheduled"
    assert (new.status, new.starts_at, new.ends_at, new.location) == (
        "scheduled",
        at(datetime.date(2030, 3, 6), "09:00"),
        at(datetime.date(2030, 3, 6), "09:50"),
        "Room 2",
    )
    event = AuditEvent.objects.get(action="appointment.reschedule")
    assert (event.actor, event.object_id, event.chart_number) == (
        therapist,
        str(new.pk),
        "C-SES02",
    )


@pytest.mark.parametrize("status", ["attended", "no_show", "cancelled_clinic", "rescheduled"])
def test_moving_an_appointment_that_is_not_scheduled_is_refused(
    client_for: ClientFor, therapist: User, record: Client, status: str
) -> None:
    appointment = AppointmentFactory(client=record, status=status)
    before = _state()

    response = client_for(therapist).post(page_url("reschedule", appointment), _move_post())

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only a scheduled appointment can be moved."
    ]
    assert form_values(response) == _move_post()
    assert _state() == before


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"end": "08:59"}, {"end": ["The end must be after the start."]}),
        (
            {"start": "08:00", "end": "16:30"},
            {"__all__": ["An appointment lasts at most 8 hours."]},
        ),
    ],
    ids=["end-before-start", "over-8-hours"],
)
def test_moving_to_bad_times_is_refused(
    client_for: ClientFor,
    therapist: User,
    appointment: Appointment,
    overrides: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    before = _state()

    response = client_for(therapist).post(
        page_url("reschedule", appointment), _move_post(**overrides)
    )

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert _state() == before


# --- Attendance --------------------------------------------------------------------------------


def _attendance(web: HttpClient, appointment: Appointment, **post: str) -> HttpResponse:
    return web.post(page_url("attendance", appointment), post)


def test_recording_attended(client_for: ClientFor, therapist: User, record: Client) -> None:
    appointment = AppointmentFactory(
        client=record, starts_at=timezone.now() - datetime.timedelta(minutes=30)
    )

    response = _attendance(client_for(therapist), appointment, status="attended")

    assert response.status_code == 302
    assert response["Location"] == page_url("section", appointment)
    assert _messages(response) == [("success", "Attendance recorded.")]
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    event = AuditEvent.objects.get(action="appointment.attendance")
    assert (event.actor, event.object_id, event.changes) == (
        therapist,
        str(appointment.pk),
        {"status": ["scheduled", "attended"]},
    )


@pytest.mark.parametrize(
    ("post", "message"),
    [
        (
            {"status": "attended"},
            "Attendance can be recorded once the appointment has started.",
        ),
        (
            {"status": "no_show"},
            "Attendance can be recorded once the appointment has started.",
        ),
        ({"status": "cancelled_client"}, "Say how many hours' notice was given."),
        (
            {"status": "cancelled_clinic", "notice_hours": ""},
            "Say how many hours' notice was given.",
        ),
        (
            {"status": "cancelled_client", "notice_hours": "-1"},
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"status": "rescheduled"},
            "Select a valid choice. rescheduled is not one of the available choices.",
        ),
    ],
    ids=["attended-early", "no-show-early", "no-notice", "empty-notice", "negative", "moved"],
)
def test_refused_attendance_changes_nothing_and_says_why(
    client_for: ClientFor,
    therapist: User,
    appointment: Appointment,
    post: dict[str, str],
    message: str,
) -> None:
    before = _state()

    response = _attendance(client_for(therapist), appointment, **post)

    assert response.status_code == 302
    # Back to the appointment's outcome page, which shows the message.
    assert response["Location"] == page_url("attendance", appointment)
    assert _messages(response) == [("error", message)]
    assert _state() == before


def test_a_cancellation_stores_the_notice(
    client_for: ClientFor, therapist: User, appointment: Appointment
) -> None:
    response = _attendance(
        client_for(therapist), appointment, status="cancelled_client", notice_hours="18"
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.notice_hours) == ("cancelled_client", 18)


def test_a_moved_appointment_refuses_attendance(
    client_for: ClientFor, therapist: User, appointment: Appointment
) -> None:
    web = client_for(therapist)
    web.post(page_url("reschedule", appointment), _move_post(), follow=True)
    before = _state()

    response = _attendance(web, appointment, status="cancelled_clinic", notice_hours="30")

    assert response.status_code == 302
    assert _messages(response) == [
        ("error", "This appointment was moved; record attendance on the new one.")
    ]
    assert _state() == before


def test_the_outcome_page_shows_the_appointment_and_its_recorded_outcome(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    appointment = AppointmentFactory(
        client=record,
        starts_at=at(datetime.date(2030, 3, 4), "10:00"),
        status="cancelled_client",
        notice_hours=6,
    )
    before = _state()

    response = client_for(therapist).get(page_url("attendance", appointment))

    assert response.status_code == 200
    page = text(response)
    assert "Mon 4 Mar 2030, 10:00 with Robin. Recorded now: Cancelled by the client." in page
    form = response.context["form"]
    assert (form["status"].value(), form["notice_hours"].value()) == ("cancelled_client", 6)
    assert page.count(f'action="{page_url("attendance", appointment)}"') == 0  # posts to itself
    assert page.count('<form method="post" novalidate') == 1
    assert _state() == before


def test_the_outcome_page_of_a_moved_appointment_offers_no_form(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    moved = AppointmentFactory(client=record, status="rescheduled")

    response = client_for(therapist).get(page_url("attendance", moved))

    assert response.status_code == 200
    page = text(response)
    assert "This appointment was moved; record attendance on the new one." in page
    assert '<form method="post" novalidate' not in page


# --- The chart's Sessions section --------------------------------------------------------------


@pytest.fixture
def history(record: Client, appointment: Appointment) -> dict[str, Appointment]:
    """Coming up: `appointment` (4 March 2030) and one moved to 6 March; in the past: attended,
    cancelled with notice and a past one never marked."""
    now = timezone.now()
    moved = AppointmentFactory(
        client=record, starts_at=at(MONDAY, "15:00"), status="rescheduled", modality="video"
    )
    return {
        "upcoming": appointment,
        "moved": moved,
        "new": AppointmentFactory(
            client=record,
            starts_at=at(datetime.date(2030, 3, 6), "15:00"),
            rescheduled_from=moved,
            modality="video",
            location="",
        ),
        "attended": AppointmentFactory(
            client=record, starts_at=now - datetime.timedelta(days=7), status="attended"
        ),
        "cancelled": AppointmentFactory(
            client=record,
            starts_at=now - datetime.timedelta(days=14),
            status="cancelled_client",
            notice_hours=4,
            modality="phone",
        ),
        "unmarked": AppointmentFactory(client=record, starts_at=now - datetime.timedelta(days=1)),
    }


def test_the_section_lists_upcoming_and_history(
    client_for: ClientFor, therapist: User, history: dict[str, Appointment]
) -> None:
    response = client_for(therapist).get(page_url("section", history["upcoming"]))

    assert response.status_code == 200
    assert response.context["upcoming"] == [history["upcoming"], history["new"]]
    assert response.context["past"] == [
        history["moved"],
        history["unmarked"],
        history["attended"],
        history["cancelled"],
    ]
    page = text(response)
    assert "Mon 4 Mar 2030, 10:00–10:50 · In person · Room 2" in page
    assert "Wed 6 Mar 2030, 15:00–15:50 · Video <span" in page
    assert "(moved)</span>" in page
    header, rows = table(response)
    assert header == ["When", "How", "Attendance", "Note", "Actions"]
    attended_on = formats.day_month(history["attended"].starts_at)
    assert [row[1:4] for row in rows] == [
        ["Video", "Moved to another time", "—"],
        ["In person", "Scheduled", "—"],
        ["In person", "Attended", f"Write note: {attended_on}"],
        ["Phone", "Cancelled by the client (4 h notice)", "—"],
    ]
    # One link per row to record its outcome (none for a moved one), no form per row.
    assert page.count(f'href="{page_url("attendance", history["moved"])}"') == 0
    for name in ("upcoming", "new", "attended", "cancelled", "unmarked"):
        assert page.count(f'href="{page_url("attendance", history[name])}"') == 1
    assert 'name="status"' not in page
    assert page.count('href="{}"'.format(page_url("reschedule", history["upcoming"]))) == 1
    assert page.count('href="{}"'.format(page_url("book", history["upcoming"]))) == 1
    assert AuditEvent.objects.filter(action="client.view.sessions", actor=therapist).count() == 1


def test_the_supervisor_reads_without_the_buttons_to_change(
    client_for: ClientFor, supervisor: User, history: dict[str, Appointment]
) -> None:
    response = client_for(supervisor).get(page_url("section", history["upcoming"]))

    assert response.status_code == 200
    assert response.context["upcoming"] == [history["upcoming"], history["new"]]
    page = text(response)
    header, rows = table(response)
    assert header == ["When", "How", "Attendance", "Note"]
    assert [row[2:] for row in rows] == [
        ["Moved to another time", "—"],
        ["Scheduled", "—"],
        ["Attended", "No note yet"],
        ["Cancelled by the client (4 h notice)", "—"],
    ]
    assert "/note/" not in page
    assert "/attendance/" not in page
    assert "/move/" not in page
    assert "Book an appointment" not in page
    assert AuditEvent.objects.filter(action="client.view.sessions", actor=supervisor).count() == 1


def test_the_section_shows_twenty_appointments_a_page_coming_up_first(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    """25 appointments: 3 still to come, 22 in the past (one a day). Page 1 holds the three to
    come, soonest first, then the 17 latest of the past, newest first; page 2 the 5 oldest."""
    now = timezone.now()
    ahead = [
        AppointmentFactory(client=record, starts_at=now + datetime.timedelta(days=d))
        for d in (9, 2, 5)
    ]
    behind = [
        AppointmentFactory(
            client=record, starts_at=now - datetime.timedelta(days=d), status="attended"
        )
        for d in range(1, 23)
    ]
    web = client_for(therapist)
    url = reverse("sessions:section", kwargs={"pk": record.pk})

    first = web.get(url)
    second = web.get(url, {"page": "2"})
    third = web.get(url, {"page": "3"})

    assert first.context["upcoming"] == [ahead[1], ahead[2], ahead[0]]
    assert first.context["past"] == behind[:17]
    assert (first.context["page"].has_previous, first.context["page"].has_next) == (False, True)
    assert 'href="?page=2"' in text(first)
    assert second.context["upcoming"] == []
    assert second.context["past"] == behind[17:]
    assert (second.context["page"].has_previous, second.context["page"].has_next) == (True, False)
    assert 'href="?page=1"' in text(second)
    assert "Coming up" not in text(second)
    assert (third.context["upcoming"], third.context["past"]) == ([], [])
    assert table(third)[1] == [["No appointments on this page."]]


@pytest.mark.parametrize("raw", ["0", "-1", "x", "²", "1.5", "99999999999999999999999"])
def test_a_page_number_that_is_not_one_shows_the_first_page(
    client_for: ClientFor, therapist: User, record: Client, raw: str
) -> None:
    appointment = AppointmentFactory(client=record)

    response = client_for(therapist).get(
        reverse("sessions:section", kwargs={"pk": record.pk}), {"page": raw}
    )

    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert response.context["upcoming"] == [appointment]


def test_an_empty_section(client_for: ClientFor, therapist: User, record: Client) -> None:
    response = client_for(therapist).get(reverse("sessions:section", kwargs={"pk": record.pk}))

    page = text(response)
    assert "No appointment booked." in page
    assert table(response)[1] == [["No appointments yet."]]


def test_booking_from_the_chart_with_a_room_and_a_pasted_video_link(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    room = Room.objects.create(name="Blue")
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(
            modality="video",
            room=str(room.pk),
            video="paste",
            video_link="https://meet.example.org/abc",
        ),
    )

    assert response.status_code == 302
    booked = Appointment.objects.get()
    assert (booked.room, booked.video_link) == (room, "https://meet.example.org/abc")


def test_booking_from_the_chart_makes_a_link_with_the_clinics_provider(
    client_for: ClientFor, therapist: User, record: Client, settings
) -> None:
    settings.VIDEO_LINK_PATTERN = "https://meet.example.org/hrp-{code}"
    page = client_for(therapist).get(reverse("sessions:book", kwargs={"pk": record.pk}))
    assert "Make one with the clinic’s video provider" in text(page) or (
        "Make one with the clinic's video provider" in text(page)
    )

    client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}),
        _book_post(modality="video", video="provider"),
    )

    assert Appointment.objects.get().video_link.startswith("https://meet.example.org/hrp-")


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"video": "paste"}, {"video_link": ["Paste the video link, or choose “No video link”."]}),
        (
            {"video": "paste", "video_link": "http://meet.example.org/abc"},
            {"video_link": ["Enter a video link starting with https://."]},
        ),
        (
            {"room": "999999"},
            {"room": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
    ],
)
def test_booking_from_the_chart_refuses_a_bad_link_or_room_and_keeps_the_form(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    overrides: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}), _book_post(**overrides)
    )

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert response.context["form"]["date"].value() == "2030-03-05"
    assert not Appointment.objects.exists()


def test_a_room_taken_at_that_time_is_refused_on_the_chart_too(
    client_for: ClientFor, therapist: User, other_therapist: User, record: Client
) -> None:
    room = Room.objects.create(name="Blue")
    AppointmentFactory(
        client=ClientFactory(therapist=other_therapist),
        starts_at=at(datetime.date(2030, 3, 5), "14:30"),
        ends_at=at(datetime.date(2030, 3, 5), "15:20"),
        room=room,
    )
    response = client_for(therapist).post(
        reverse("sessions:book", kwargs={"pk": record.pk}), _book_post(room=str(room.pk))
    )

    assert response.status_code == 200
    assert "This room is already booked at that time." in text(response)
    assert Appointment.objects.filter(client=record).count() == 0
