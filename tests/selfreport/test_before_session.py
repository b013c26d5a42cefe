"""Schedules timed before the client's booked sessions: "PHQ-9 two days before each session, at
most every 4 weeks". The scan reads the booked appointments each time, so these tests book, move
and cancel through the sessions app's own services and scan at chosen moments (`now=`), in the
clinic's zone (America/New_York), across both changes of clock."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from notifications.sms import LocmemSmsBackend
from selfreport import selectors, services, tasks
from selfreport.models import ClientLink, LinkSchedule
from sessions import services as session_services
from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.concurrency import run_at_once
from tests.htmltext import parse, words
from tests.selfreport.test_views import LINKS_PAGE_QUERIES
from tests.sessions.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
UTC = datetime.UTC
BEFORE = LinkSchedule.Timing.BEFORE_SESSION


def ny(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=NY)


def _before(
    therapist: User,
    record: Client,
    *,
    days_before: int = 2,
    every_weeks: int | None = None,
    made_at: datetime.datetime | None = None,
) -> LinkSchedule:
    schedule = services.schedule_create(
        actor=therapist,
        client=record,
        measure_code="PHQ9",
        language="en",
        timing=BEFORE,
        days_before=days_before,
        every_weeks=every_weeks,
    )
    if made_at is not None:
        # A schedule made before the moments a test scans at (the clock of the run is later).
        LinkSchedule.objects.filter(pk=schedule.pk).update(
            created_at=made_at, next_session_from=made_at
        )
        schedule.refresh_from_db()
    return schedule


def _book(record: Client, starts_at: datetime.datetime) -> Appointment:
    return AppointmentFactory(client=record, starts_at=starts_at)


def _sent() -> int:
    return ClientLink.objects.count()


# --- When the link goes out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_before", "session", "due"),
    [
        (2, ny(2027, 1, 12, 10, 0), ny(2027, 1, 10, 8, 0)),
        (1, ny(2027, 1, 12, 7, 0), ny(2027, 1, 11, 8, 0)),  # a session before the send hour
        (14, ny(2027, 1, 26, 18, 30), ny(2027, 1, 12, 8, 0)),
        (1, ny(2027, 1, 12, 0, 0), ny(2027, 1, 11, 8, 0)),  # at midnight: still that day
    ],
)
def test_the_link_goes_exactly_n_days_before_at_the_send_hour(
    therapist: User, record: Client, days_before: int, session: datetime.datetime, due: datetime
) -> None:
    _before(therapist, record, days_before=days_before)
    _book(record, session)
    minute = datetime.timedelta(minutes=1)

    assert selectors.session_link_due(session, days_before) == due
    assert services.send_scheduled_links(now=due - minute) == 0
    assert services.send_scheduled_links(now=due) == 1
    assert services.send_scheduled_links(now=due + minute) == 0  # one link per session
    assert services.send_scheduled_links(now=session - minute) == 0
    assert (_sent(), len(LocmemSmsBackend.outbox)) == (1, 1)
    schedule = LinkSchedule.objects.get()
    assert schedule.last_sent_at == due
    assert schedule.last_appointment.starts_at == session


def test_a_session_booked_late_gets_its_link_at_the_next_scan(
    therapist: User, record: Client
) -> None:
    # Two days before was yesterday: the link goes at the next scan while the session is ahead.
    _before(therapist, record, days_before=2)
    now = timezone.now()
    _book(record, now + datetime.timedelta(hours=20))

    assert services.send_scheduled_links(now=now) == 1
    assert services.send_scheduled_links(now=now) == 0
    assert _sent() == 1


def test_a_session_already_begun_gets_nothing(therapist: User, record: Client) -> None:
    _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    _book(record, ny(2027, 1, 12, 10, 0))

    # No scan ran before it (the workers were down): once it has begun it is too late.
    assert services.send_scheduled_links(now=ny(2027, 1, 12, 10, 0)) == 0
    assert services.send_scheduled_links(now=ny(2027, 1, 12, 10, 30)) == 0
    assert _sent() == 0


def test_sessions_booked_before_the_schedule_count(therapist: User, record: Client) -> None:
    now = timezone.now()
    _book(record, now + datetime.timedelta(days=1))
    _before(therapist, record, days_before=2)

    assert services.send_scheduled_links(now=now + datetime.timedelta(minutes=1)) == 1


def test_no_session_booked_nothing_sent(therapist: User, record: Client) -> None:
    _before(therapist, record)
    ClientFactory()  # someone else's session is not this client's
    AppointmentFactory(starts_at=timezone.now() + datetime.timedelta(days=1))

    assert services.send_scheduled_links() == 0
    assert _sent() == 0


def test_each_session_gets_its_own_link_once(therapist: User, record: Client) -> None:
    # Without "at most every", two sessions in one week get one link each.
    _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    tuesday = _book(record, ny(2027, 1, 12, 10, 0))
    wednesday = _book(record, ny(2027, 1, 13, 10, 0))

    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 1
    assert LinkSchedule.objects.get().last_appointment == tuesday
    assert services.send_scheduled_links(now=ny(2027, 1, 11, 7, 59)) == 0
    assert services.send_scheduled_links(now=ny(2027, 1, 11, 8, 0)) == 1
    assert LinkSchedule.objects.get().last_appointment == wednesday
    assert services.send_scheduled_links(now=ny(2027, 1, 12, 12, 0)) == 0
    assert _sent() == 2


def test_a_scan_after_a_pause_sends_each_due_session_s_link_once(
    therapist: User, record: Client
) -> None:
    # Both links are due at the same scan: the earlier session's first, then the later one's.
    _before(therapist, record, days_before=3, made_at=ny(2027, 1, 1, 9, 0))
    _book(record, ny(2027, 1, 12, 10, 0))
    _book(record, ny(2027, 1, 13, 10, 0))

    assert services.send_scheduled_links(now=ny(2027, 1, 11, 9, 0)) == 2
    assert services.send_scheduled_links(now=ny(2027, 1, 11, 9, 0)) == 0
    assert _sent() == 2


# --- At most every K weeks ---------------------------------------------------------------------


def _scan_daily(start: datetime.date, days: int) -> list[datetime.datetime]:
    """Scan at 07:59 and 08:00 local on each day; the moments a link went out."""
    sent = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for hour, minute in ((7, 59), (8, 0)):
            moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
            if services.send_scheduled_links(now=moment):
                sent.append(moment)
    return sent


def test_at_most_every_4_weeks_two_days_before_across_the_spring_change(
    therapist: User, record: Client
) -> None:
    # Weekly sessions on Mondays at 10:00 from 1 Feb to 26 Apr 2027 (clocks go forward 14 Mar).
    _before(therapist, record, days_before=2, every_weeks=4, made_at=ny(2027, 1, 20, 9, 0))
    for week in range(13):
        _book(record, ny(2027, 2, 1, 10, 0) + datetime.timedelta(weeks=week))

    sent = _scan_daily(datetime.date(2027, 1, 25), 100)

    # The first session, then the first one on or after the day 4 weeks after the last link,
    # each two days before at 08:00 local time on both sides of the change.
    assert sent == [ny(2027, 1, 30, 8, 0), ny(2027, 2, 27, 8, 0), ny(2027, 3, 27, 8, 0),
                    ny(2027, 4, 24, 8, 0)]  # fmt: skip
    assert [moment.astimezone(UTC).hour for moment in sent] == [13, 13, 12, 12]
    assert _sent() == 4


def test_at_most_every_4_weeks_with_sessions_every_three_weeks(
    therapist: User, record: Client
) -> None:
    _before(therapist, record, days_before=2, every_weeks=4, made_at=ny(2027, 1, 20, 9, 0))
    for week in (0, 3, 6, 9):
        _book(record, ny(2027, 2, 1, 10, 0) + datetime.timedelta(weeks=week))

    sent = _scan_daily(datetime.date(2027, 1, 25), 70)

    # 1 Feb; 22 Feb is under 4 weeks after the link of 30 Jan; 15 Mar is the next one.
    assert sent == [ny(2027, 1, 30, 8, 0), ny(2027, 3, 13, 8, 0)]


# --- Daylight saving time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_before", "session", "due_utc"),
    [
        # Autumn: clocks go back at 02:00 on Sun 1 Nov 2026 (EDT, UTC-4 -> EST, UTC-5).
        (1, ny(2026, 11, 2, 9, 0), datetime.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        (2, ny(2026, 11, 2, 9, 0), datetime.datetime(2026, 10, 31, 12, 0, tzinfo=UTC)),
        (1, ny(2026, 11, 1, 1, 30), datetime.datetime(2026, 10, 31, 12, 0, tzinfo=UTC)),
        # Spring: clocks go forward at 02:00 on Sun 14 Mar 2027 (EST -> EDT, UTC-4).
        (1, ny(2027, 3, 15, 10, 0), datetime.datetime(2027, 3, 14, 12, 0, tzinfo=UTC)),
        (2, ny(2027, 3, 15, 10, 0), datetime.datetime(2027, 3, 13, 13, 0, tzinfo=UTC)),
        (1, ny(2027, 3, 14, 3, 30), datetime.datetime(2027, 3, 13, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_send_hour_is_local_across_the_change_of_clock(
    therapist: User,
    record: Client,
    days_before: int,
    session: datetime.datetime,
    due_utc: datetime.datetime,
) -> None:
    _before(therapist, record, days_before=days_before, made_at=ny(2026, 10, 1, 9, 0))
    _book(record, session)
    minute = datetime.timedelta(minutes=1)

    assert selectors.session_link_due(session, days_before) == due_utc
    assert timezone.localtime(due_utc, NY).time() == datetime.time(8, 0)
    assert services.send_scheduled_links(now=due_utc - minute) == 0
    assert services.send_scheduled_links(now=due_utc) == 1
    assert services.send_scheduled_links(now=due_utc + datetime.timedelta(hours=1)) == 0
    assert _sent() == 1


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.datetimes(
        min_value=datetime.datetime(2026, 10, 1), max_value=datetime.datetime(2027, 4, 30)
    ),
    now=st.datetimes(
        min_value=datetime.datetime(2026, 9, 15), max_value=datetime.datetime(2027, 4, 30)
    ),
    days_before=st.integers(min_value=1, max_value=14),
)
def test_the_scan_s_cutoff_agrees_with_the_rule_at_every_moment(
    db: None, start: datetime.datetime, now: datetime.datetime, days_before: int
) -> None:
    # The scan's query compares starts with a cutoff per number of days; the page and the
    # rule say when the link is due. At any moment, around both changes of clock, they agree.
    start, now = start.replace(tzinfo=UTC), now.replace(tzinfo=UTC)

    due = selectors.session_link_due(start, days_before)

    assert (start < services.due_cutoffs(now)[days_before]) == (due <= now)


# --- Sessions moved or cancelled ---------------------------------------------------------------


def test_a_session_moved_before_its_link_gets_it_before_the_new_time(
    therapist: User, record: Client
) -> None:
    _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    session = _book(record, ny(2027, 1, 12, 10, 0))
    session_services.appointment_reschedule(
        actor=therapist,
        appointment=session,
        starts_at=ny(2027, 1, 19, 10, 0),
        ends_at=ny(2027, 1, 19, 10, 50),
    )

    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 0
    assert services.send_scheduled_links(now=ny(2027, 1, 17, 7, 59)) == 0
    assert services.send_scheduled_links(now=ny(2027, 1, 17, 8, 0)) == 1
    assert _sent() == 1


def test_a_session_moved_after_its_link_gets_no_second_one(therapist: User, record: Client) -> None:
    schedule = _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    session = _book(record, ny(2027, 1, 12, 10, 0))
    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 1
    # Moved twice (two new rows, each `rescheduled_from` the one before), then a new session.
    moved = session_services.appointment_reschedule(
        actor=therapist,
        appointment=session,
        starts_at=ny(2027, 1, 14, 10, 0),
        ends_at=ny(2027, 1, 14, 10, 50),
    )
    moved_again = session_services.appointment_reschedule(
        actor=therapist,
        appointment=moved,
        starts_at=ny(2027, 1, 15, 10, 0),
        ends_at=ny(2027, 1, 15, 10, 50),
    )
    following = _book(record, ny(2027, 1, 19, 10, 0))

    assert services.send_scheduled_links(now=ny(2027, 1, 13, 8, 0)) == 1  # passed over
    schedule.refresh_from_db()
    assert (schedule.last_appointment, _sent()) == (moved_again, 1)
    assert services.send_scheduled_links(now=ny(2027, 1, 17, 8, 0)) == 1
    schedule.refresh_from_db()
    assert (schedule.last_appointment, _sent()) == (following, 2)
    assert selectors.moved_from(moved_again.pk, session.pk) is True
    assert selectors.moved_from(following.pk, session.pk) is False


def test_a_cancelled_session_gets_no_link_and_the_next_one_does(
    therapist: User, record: Client
) -> None:
    _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    session = _book(record, ny(2027, 1, 12, 10, 0))
    _book(record, ny(2027, 1, 19, 10, 0))
    session_services.appointment_record_attendance(
        actor=therapist,
        appointment=session,
        status=Appointment.Status.CANCELLED_CLIENT,
        notice_hours=72,
    )

    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 0
    assert services.send_scheduled_links(now=ny(2027, 1, 17, 8, 0)) == 1
    assert LinkSchedule.objects.get().last_appointment.starts_at == ny(2027, 1, 19, 10, 0)


def test_a_session_cancelled_after_its_link_does_not_hold_back_the_next(
    therapist: User, record: Client
) -> None:
    _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    session = _book(record, ny(2027, 1, 12, 10, 0))
    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 1
    session_services.appointment_record_attendance(
        actor=therapist,
        appointment=session,
        status=Appointment.Status.CANCELLED_CLINIC,
        notice_hours=30,
    )
    _book(record, ny(2027, 1, 14, 10, 0))  # booked again, a new session

    assert services.send_scheduled_links(now=ny(2027, 1, 12, 8, 0)) == 1
    assert _sent() == 2


# --- Consent and access, as for every schedule -------------------------------------------------


def test_a_client_who_withdrew_their_channel_gets_nothing_for_that_session(
    therapist: User, record: Client
) -> None:
    schedule = _before(therapist, record, days_before=2, made_at=ny(2027, 1, 1, 9, 0))
    first = _book(record, ny(2027, 1, 12, 10, 0))
    _book(record, ny(2027, 1, 19, 10, 0))
    Client.objects.filter(pk=record.pk).update(reminder_channel="")

    assert services.send_scheduled_links(now=ny(2027, 1, 10, 8, 0)) == 1  # handled, not sent
    schedule.refresh_from_db()
    assert (_sent(), LocmemSmsBackend.outbox, schedule.stopped_at) == (0, [], None)
    assert (schedule.last_appointment, schedule.last_sent_at) == (first, None)

    Client.objects.filter(pk=record.pk).update(reminder_channel="sms")
    assert services.send_scheduled_links(now=ny(2027, 1, 17, 8, 0)) == 1
    assert (_sent(), len(LocmemSmsBackend.outbox)) == (1, 1)


def test_a_reassigned_client_s_session_schedule_stops(
    therapist: User, other_therapist: User, record: Client
) -> None:
    schedule = _before(therapist, record)
    _book(record, timezone.now() + datetime.timedelta(days=1))
    Client.objects.filter(pk=record.pk).update(therapist=other_therapist)

    services.send_scheduled_links()

    schedule.refresh_from_db()
    assert (schedule.stopped_at is not None, _sent()) == (True, 0)


# --- Two workers, the task, the queries --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_send_each_link_once(therapist: User) -> None:
    now = timezone.now()
    for number in range(4):
        record = ClientFactory(
            therapist=therapist, may_contact=True, reminder_channel="sms", phone=f"555-01{number}"
        )
        _before(therapist, record, days_before=2)
        _book(record, now + datetime.timedelta(days=1))
        services.schedule_create(
            actor=therapist, client=record, measure_code="GAD7", language="en", every_weeks=4
        )

    now = timezone.now()  # the every-few-weeks ones are due from their creation
    handled = run_at_once([lambda: services.send_scheduled_links(now=now)] * 2)

    # A worker may find a row the other has just served (and leave it): links are what count.
    assert sum(handled) >= 8
    assert sorted(ClientLink.objects.values_list("client_id", "measure_code")) == sorted(
        (record_id, code)
        for record_id in Client.objects.values_list("pk", flat=True)
        for code in ("GAD7", "PHQ9")
    )
    assert len(LocmemSmsBackend.outbox) == 8
    assert services.send_scheduled_links(now=now) == 0


def test_the_task_handles_both_timings(therapist: User, record: Client) -> None:
    _before(therapist, record, days_before=2)
    _book(record, timezone.now() + datetime.timedelta(days=1))
    services.schedule_create(
        actor=therapist, client=record, measure_code="GAD7", language="en", every_weeks=4
    )

    assert tasks.send_scheduled_links.delay().get() == 2
    assert sorted(ClientLink.objects.values_list("measure_code", flat=True)) == ["GAD7", "PHQ9"]


# The scan, per before-session schedule (inside the test's transaction, so savepoints): the
# claim, the client's next session, the link (savepoint pair twice, insert, audit event), the
# schedule's update, the claim's savepoint pair; then one claim that finds nothing (with its
# savepoint pair). Neither the number of schedules nor a client's history of sessions counts.
SCAN_QUERIES_PER_SCHEDULE = 11
SCAN_QUERIES_NOTHING_DUE = 3


@pytest.mark.parametrize("schedules", [1, 6])
def test_the_scan_costs_a_fixed_number_of_queries_per_schedule(
    therapist: User, schedules: int
) -> None:
    now = timezone.now()
    for number in range(schedules):
        record = ClientFactory(
            therapist=therapist, may_contact=True, reminder_channel="sms", phone=f"555-02{number}"
        )
        _before(therapist, record, days_before=2)
        for week in range(number + 1):  # a longer history for each client
            _book(record, now + datetime.timedelta(days=1, weeks=week))
            _book(record, now - datetime.timedelta(weeks=week + 1))

    with CaptureQueriesContext(connection) as queries:
        handled = services.send_scheduled_links(now=now)

    assert handled == schedules
    assert len(queries) == SCAN_QUERIES_PER_SCHEDULE * schedules + SCAN_QUERIES_NOTHING_DUE


# --- The form and the page ---------------------------------------------------------------------


def _post(web: WebClient, record: Client, **fields: str) -> object:
    data = {"schedule-measure_code": "PHQ9", "schedule-language": "en"}
    data.update({f"schedule-{name}": value for name, value in fields.items()})
    return web.post(reverse("selfreport:schedule", args=[record.pk]), data)


def test_the_form_makes_a_before_session_schedule(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    response = _post(client_for(therapist), record, timing=BEFORE, days_before="2", every_weeks="4")

    assert response.status_code == 302
    schedule = LinkSchedule.objects.get()
    assert (schedule.timing, schedule.days_before, schedule.every_weeks) == (BEFORE, 2, 4)
    assert schedule.next_send_at is None


def test_before_each_session_without_spacing(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    response = _post(client_for(therapist), record, timing=BEFORE, days_before="3", every_weeks="")

    assert response.status_code == 302
    assert LinkSchedule.objects.get().every_weeks is None


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"days_before": "0"}, {"days_before": ["Enter a whole number of days from 1 to 14."]}),
        ({"days_before": "15"}, {"days_before": ["Enter a whole number of days from 1 to 14."]}),
        ({"days_before": "٢"}, {"days_before": ["Enter a whole number of days from 1 to 14."]}),
        ({"days_before": ""}, {"days_before": ["Enter a whole number of days from 1 to 14."]}),
        (
            {"days_before": "2", "every_weeks": "53"},
            {
                "every_weeks": [
                    "Enter a whole number of weeks from 1 to 52, or leave it empty to send "
                    "before every session."
                ]
            },
        ),
        (
            {"timing": "sometimes", "days_before": "2"},
            {"timing": ["Select a valid choice. sometimes is not one of the available choices."]},
        ),
    ],
)
def test_bad_before_session_fields_are_refused_with_a_message(
    client_for: Callable[[User | None], WebClient],
    therapist: User,
    record: Client,
    fields: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    response = _post(client_for(therapist), record, **{"timing": BEFORE, **fields})

    assert response.status_code == 200
    assert response.context["schedule_form"].errors == errors
    assert LinkSchedule.objects.count() == 0


def test_the_every_weeks_timing_ignores_days_before(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    response = _post(
        client_for(therapist), record, timing="every_weeks", every_weeks="2", days_before="99"
    )

    assert response.status_code == 302
    schedule = LinkSchedule.objects.get()
    assert (schedule.every_weeks, schedule.days_before) == (2, None)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"timing": BEFORE, "days_before": 0},
            {"days_before": ["Use a number of days from 1 to 14."]},
        ),
        ({"timing": BEFORE}, {"days_before": ["Use a number of days from 1 to 14."]}),
        (
            {"timing": BEFORE, "days_before": 2, "every_weeks": 60},
            {"every_weeks": ["Use a number of weeks from 1 to 52, or leave it empty."]},
        ),
        ({"timing": "every_weeks"}, {"every_weeks": ["Use a number of weeks from 1 to 52."]}),
        ({"timing": "yearly", "every_weeks": 4}, {"timing": ["Choose one of the listed timings."]}),
    ],
)
def test_the_service_refuses_bad_timings_and_stores_nothing(
    therapist: User, record: Client, fields: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            actor=therapist, client=record, measure_code="PHQ9", language="en", **fields
        )

    assert refused.value.message_dict == errors
    assert LinkSchedule.objects.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"timing": BEFORE, "days_before": 15, "next_session_from": timezone.now()},
        {"timing": BEFORE, "days_before": 2},  # the scan would not know where to start
        {"timing": BEFORE, "days_before": 2, "next_session_from": timezone.now(), "every_weeks": 0},
        {"timing": "every_weeks", "next_send_at": timezone.now()},  # no interval
        {
            "timing": "every_weeks",
            "every_weeks": 4,
            "next_send_at": timezone.now(),
            "days_before": 2,
        },
    ],
)
def test_the_database_refuses_a_schedule_with_the_wrong_fields_for_its_timing(
    therapist: User, record: Client, fields: dict[str, object]
) -> None:
    with pytest.raises(IntegrityError):
        LinkSchedule.objects.create(
            client=record, measure_code="PHQ9", created_by=therapist, **fields
        )


def _schedule_lines(response: object) -> list[str]:
    page = parse(response)
    items = page.xpath("//section[@aria-labelledby='schedule-h']//li")
    return [words(item.text_content()).removesuffix(" Stop") for item in items]


def test_the_page_says_each_timing_in_words_with_the_next_link(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    now = timezone.now()
    session_day = timezone.localdate() + datetime.timedelta(days=10)
    _book(record, datetime.datetime.combine(session_day, datetime.time(10), tzinfo=NY))
    _before(therapist, record, days_before=2, every_weeks=4)
    _before(therapist, record, days_before=1)
    every = services.schedule_create(
        actor=therapist, client=record, measure_code="GAD7", language="es", every_weeks=1
    )
    other = ClientFactory(therapist=therapist, may_contact=True, reminder_channel="sms")
    _before(therapist, other, days_before=3)  # no session: nothing known
    services.send_scheduled_links(now=now)  # the every-week one moves on a week

    lines = _schedule_lines(
        client_for(therapist).get(reverse("selfreport:links", args=[record.pk]))
    )
    other_lines = _schedule_lines(
        client_for(therapist).get(reverse("selfreport:links", args=[other.pk]))
    )

    def at_eight(days: int) -> str:
        day = session_day - datetime.timedelta(days=days)
        return formats.datetime_(datetime.datetime.combine(day, datetime.time(8), tzinfo=NY))

    every.refresh_from_db()
    assert lines == [
        "PHQ-9, 2 days before each session, at most every 4 weeks (English): next link "
        f"expected {at_eight(2)}",
        f"PHQ-9, 1 day before each session (English): next link expected {at_eight(1)}",
        f"GAD-7, every week (Spanish): next link expected {formats.datetime_(every.next_send_at)}",
    ]
    assert other_lines == [
        "PHQ-9, 3 days before each session (English): no session booked yet: a link goes out "
        "once one is"
    ]


@pytest.mark.parametrize("rows", [1, 6])
def test_the_section_queries_stay_the_same_with_more_schedules(
    client_for: Callable[[User | None], WebClient],
    django_assert_num_queries: Callable,
    therapist: User,
    record: Client,
    rows: int,
) -> None:
    now = timezone.now()
    for week in range(rows):
        _book(record, now + datetime.timedelta(days=5, weeks=week))
    for number in range(rows):
        if number % 2:
            services.schedule_create(
                actor=therapist, client=record, measure_code="GAD7", language="en", every_weeks=4
            )
        else:
            _before(therapist, record, days_before=1 + number)
    web = client_for(therapist)

    with django_assert_num_queries(LINKS_PAGE_QUERIES):
        response = web.get(reverse("selfreport:links", args=[record.pk]))

    assert len(response.context["schedules"]) == rows
    assert all(s.next_send is not None for s in response.context["schedules"])


def test_the_form_offers_both_timings_with_clear_labels(
    client_for: Callable[[User | None], WebClient], therapist: User, record: Client
) -> None:
    page = parse(client_for(therapist).get(reverse("selfreport:links", args=[record.pk])))

    radios = page.xpath("//input[@name='schedule-timing']")
    labels = [
        words(page.xpath(f"//label[@for='{radio.get('id')}']")[0].text_content())
        for radio in radios
    ]
    assert [radio.get("value") for radio in radios] == ["every_weeks", "before_session"]
    assert labels == [
        "Every few weeks, starting now",
        "A few days before each session booked with the client",
    ]
    assert page.xpath("//input[@name='schedule-days_before']/@value") == ["2"]
