"""Planning reminders: each kind at its timing edges, who gets it, and the send-time check that
cancels a reminder whose reason has gone away.

Staff reminders come from the clinical data within the planning window (due from 12 hours ago
to 2 days ahead, never before the object existed); client reminders only for a client who may be
contacted, chose a channel and has an address for it. Planning twice adds nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import Supervision, User
from notifications import services
from notifications.models import Reminder
from notifications.sms import LocmemSmsBackend
from sessions.models import Appointment, RatingAlert, SessionNote
from tests.assessments.factories import AdministrationFactory
from tests.clients.factories import ClientFactory
from tests.factories import SupervisionFactory, SupervisorFactory
from tests.goals.factories import GoalFactory
from tests.notifications.helpers import planned, statuses
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    sign_note,
)

MONDAY = datetime.date(2030, 3, 4)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

pytestmark = pytest.mark.django_db

IN_APP = Reminder.Channel.IN_APP
EMAIL = Reminder.Channel.EMAIL
SMS = Reminder.Channel.SMS


@pytest.fixture(autouse=True)
def _clean_sms_outbox(settings) -> None:
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()


def _appointment(record: Client, *, starts_at: datetime.datetime, booked: datetime.datetime):
    return AppointmentFactory(client=record, starts_at=starts_at, created_at=booked)


# --- Sessions (staff) --------------------------------------------------------------------------


def test_session_reminders_day_before_and_hour_before(therapist: User, record: Client) -> None:
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)

    created = services.plan_reminders(now=starts - 24 * HOUR)

    assert created == 2
    assert planned() == {
        ("session_day", IN_APP, therapist.pk, appointment.pk, starts - 24 * HOUR),
        ("session_hour", IN_APP, therapist.pk, appointment.pk, starts - HOUR),
    }
    # The key names the kind, object, due minute in UTC, recipient and channel.
    day = Reminder.objects.get(kind="session_day")
    assert day.key == f"session_day:{appointment.pk}:20300303T1500:u{therapist.pk}:in_app"
    assert (day.status, day.attempts, day.text, day.client_id) == ("pending", 0, "", record.pk)


def test_email_rows_only_for_staff_who_chose_email(therapist: User, record: Client) -> None:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)

    assert services.plan_reminders(now=starts - 24 * HOUR) == 4

    assert planned() == {
        ("session_day", IN_APP, therapist.pk, appointment.pk, starts - 24 * HOUR),
        ("session_day", EMAIL, therapist.pk, appointment.pk, starts - 24 * HOUR),
        ("session_hour", IN_APP, therapist.pk, appointment.pk, starts - HOUR),
        ("session_hour", EMAIL, therapist.pk, appointment.pk, starts - HOUR),
    }


@pytest.mark.parametrize(
    ("now_before_start", "expected_kinds"),
    [
        # The day-before reminder enters the window exactly 2 days ahead of its due time.
        (24 * HOUR + 2 * DAY + MINUTE, set()),
        (24 * HOUR + 2 * DAY, {"session_day"}),
        # 12 hours late it is still planned; a minute later only the hour-before one is.
        (12 * HOUR, {"session_day", "session_hour"}),
        (12 * HOUR - MINUTE, {"session_hour"}),
        # The hour-before reminder 12 hours late would be after the start: the query stops
        # at the start, so nothing is planned once the session has begun.
        (MINUTE, {"session_hour"}),
        (datetime.timedelta(0), set()),
    ],
)
def test_session_planning_window_edges(
    record: Client, now_before_start: datetime.timedelta, expected_kinds: set[str]
) -> None:
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 7 * DAY)

    services.plan_reminders(now=starts - now_before_start)

    assert {row[0] for row in planned()} == expected_kinds
    assert Reminder.objects.count() == len(expected_kinds)


def test_session_booked_two_hours_ahead_gets_no_day_before_reminder(
    therapist: User, record: Client
) -> None:
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 2 * HOUR)

    assert services.plan_reminders(now=starts - 2 * HOUR) == 1

    assert planned() == {("session_hour", IN_APP, therapist.pk, appointment.pk, starts - HOUR)}


def test_session_booked_exactly_at_the_day_before_edge_gets_it(
    therapist: User, record: Client
) -> None:
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 24 * HOUR)

    services.plan_reminders(now=starts - 24 * HOUR)

    assert {row[0] for row in planned()} == {"session_day", "session_hour"}


def test_planning_twice_creates_nothing_new(therapist: User, record: Client) -> None:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    starts = at(MONDAY, "10:00")
    for hour in ("09:00", "10:00", "11:00"):
        _appointment(record, starts_at=at(MONDAY, hour), booked=starts - 7 * DAY)
    now = starts - 20 * HOUR

    first = services.plan_reminders(now=now)
    keys = set(Reminder.objects.values_list("key", flat=True))
    second = services.plan_reminders(now=now)
    third = services.plan_reminders(now=now + 10 * MINUTE)

    assert (first, second, third) == (12, 0, 0)
    assert Reminder.objects.count() == 12
    assert set(Reminder.objects.values_list("key", flat=True)) == keys


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.CANCELLED_CLIENT,
        Appointment.Status.CANCELLED_CLINIC,
        Appointment.Status.RESCHEDULED,
    ],
)
def test_cancelled_or_moved_appointment_cancels_its_pending_reminder(
    therapist: User, record: Client, status: str
) -> None:
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 30 * HOUR)
    Appointment.objects.filter(pk=appointment.pk).update(status=status)

    handled = services.send_due_reminders(now=starts - 24 * HOUR)

    assert handled == 1
    day = Reminder.objects.get(kind="session_day")
    assert (day.status, day.text, day.sent_at) == ("cancelled", "", None)
    assert Reminder.objects.get(kind="session_hour").status == "pending"


def test_moved_appointment_gets_reminders_for_its_new_time(therapist: User, record: Client) -> None:
    from sessions.services import appointment_reschedule

    starts = at(MONDAY, "10:00")
    old = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 30 * HOUR)
    new = appointment_reschedule(
        actor=therapist,
        appointment=old,
        starts_at=starts + 4 * HOUR,
        ends_at=starts + 5 * HOUR,
    )
    Appointment.objects.filter(pk=new.pk).update(created_at=starts - 30 * HOUR)

    services.plan_reminders(now=starts - 24 * HOUR)
    services.send_due_reminders(now=starts - 20 * HOUR)

    assert {(r.kind, r.object_id, r.status) for r in Reminder.objects.all()} == {
        ("session_day", old.pk, "cancelled"),
        ("session_hour", old.pk, "pending"),
        ("session_day", new.pk, "sent"),
        ("session_hour", new.pk, "pending"),
    }


def test_session_reminder_cancelled_when_the_client_moves_to_another_therapist(
    therapist: User, other_therapist: User, record: Client
) -> None:
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 30 * HOUR)
    Appointment.objects.filter(pk=appointment.pk).update(therapist=other_therapist)

    services.send_due_reminders(now=starts - 24 * HOUR)

    assert Reminder.objects.get(kind="session_day").status == "cancelled"


def _deactivate(user: User) -> None:
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])


def test_deactivated_staff_get_no_reminders(therapist: User, record: Client) -> None:
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    _deactivate(therapist)

    assert services.plan_reminders(now=starts - 24 * HOUR) == 0


def test_pending_reminders_of_a_deactivated_account_are_not_sent(
    therapist: User, record: Client
) -> None:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 24 * HOUR)
    _deactivate(therapist)

    services.send_due_reminders(now=starts - 24 * HOUR)

    assert sorted(Reminder.objects.filter(kind="session_day").values_list("channel", "status")) == [
        ("email", "cancelled"),
        ("in_app", "cancelled"),
    ]
    assert mail.outbox == []


def test_email_reminder_stops_when_the_user_turns_email_off(
    therapist: User, record: Client
) -> None:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 24 * HOUR)
    therapist.email_reminders = False
    therapist.save(update_fields=["email_reminders"])

    services.send_due_reminders(now=starts - 24 * HOUR)

    assert sorted(Reminder.objects.filter(kind="session_day").values_list("channel", "status")) == [
        ("email", "cancelled"),
        ("in_app", "sent"),
    ]
    assert mail.outbox == []


# --- Notes -------------------------------------------------------------------------------------


def test_note_unsigned_due_late_note_hours_after_the_end(therapist: User, record: Client) -> None:
    appointment = AttendedAppointmentFactory(client=record)
    due = appointment.ends_at + 24 * HOUR

    assert services.plan_reminders(now=due - 2 * DAY - MINUTE) == 0
    assert services.plan_reminders(now=due - 2 * DAY) == 1

    assert planned() == {("note_unsigned", IN_APP, therapist.pk, appointment.pk, due)}
    assert services.send_due_reminders(now=due - MINUTE) == 0
    assert services.send_due_reminders(now=due) == 1
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.text, reminder.url) == (
        "sent",
        "A session note is still unsigned 24 hours after the session.",
        "/notes/",
    )


def test_note_unsigned_planned_for_a_draft_but_not_for_a_signed_note(
    therapist: User, record: Client
) -> None:
    with_draft = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))
    signed = sign_note(SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record)))
    now = with_draft.appointment.ends_at + 24 * HOUR

    services.plan_reminders(now=now)

    assert planned() == {
        ("note_unsigned", IN_APP, therapist.pk, with_draft.appointment_id, now),
    }
    assert signed.status == SessionNote.Status.SIGNED


def test_note_signed_before_the_edge_cancels_the_reminder(therapist: User, record: Client) -> None:
    note = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))
    due = note.appointment.ends_at + 24 * HOUR
    services.plan_reminders(now=due - 20 * HOUR)
    sign_note(note)

    assert services.send_due_reminders(now=due) == 1

    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.status, reminder.text) == ("note_unsigned", "cancelled", "")


def test_note_unsigned_cancelled_when_attendance_is_corrected(
    therapist: User, record: Client
) -> None:
    """No note, and the session turns out not to have happened: nothing to sign."""
    appointment = AttendedAppointmentFactory(client=record)
    due = appointment.ends_at + 24 * HOUR
    services.plan_reminders(now=due - HOUR)
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.NO_SHOW)

    services.send_due_reminders(now=due)

    assert statuses() == {
        f"note_unsigned:{appointment.pk}:{_utc_minute(due)}:u{therapist.pk}:in_app": "cancelled"
    }


def _utc_minute(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M")


# --- Goal reviews ------------------------------------------------------------------------------


def test_review_due_at_send_hour_two_days_before_and_overdue_the_day_after(
    therapist: User, record: Client
) -> None:
    review = MONDAY + 14 * DAY  # Monday 18 March 2030, after the change to summer time
    goal = GoalFactory(client=record, review_date=review)
    due = at(review - 2 * DAY, "08:00")
    overdue = at(review + DAY, "08:00")

    assert services.plan_reminders(now=due - 2 * DAY - MINUTE) == 0
    assert services.plan_reminders(now=due - 2 * DAY) == 1
    assert services.plan_reminders(now=overdue - 2 * DAY) == 1

    assert planned() == {
        ("review_due", IN_APP, therapist.pk, goal.pk, due),
        ("review_overdue", IN_APP, therapist.pk, goal.pk, overdue),
    }
    assert due.astimezone(datetime.UTC).hour == 12  # 08:00 in New York, daylight time
    services.send_due_reminders(now=overdue)
    assert sorted(Reminder.objects.values_list("kind", "status", "text")) == [
        ("review_due", "sent", "A goal review is due in 2 days."),
        ("review_overdue", "sent", "A goal review is overdue."),
    ]
    assert Reminder.objects.get(kind="review_due").url == f"/clients/{record.pk}/goals/{goal.pk}/"


def test_review_reminders_not_planned_before_the_goal_existed(
    therapist: User, record: Client
) -> None:
    review = MONDAY + 14 * DAY
    due = at(review - 2 * DAY, "08:00")
    GoalFactory(client=record, review_date=review, created_at=due + MINUTE)

    assert services.plan_reminders(now=due + MINUTE) == 0


def test_review_reminder_cancelled_when_the_review_date_moves(
    therapist: User, record: Client
) -> None:
    review = MONDAY + 14 * DAY
    goal = GoalFactory(client=record, review_date=review)
    due = at(review - 2 * DAY, "08:00")
    services.plan_reminders(now=due - HOUR)
    goal.review_date = review + 28 * DAY
    goal.save(update_fields=["review_date"])

    services.send_due_reminders(now=due)

    assert list(Reminder.objects.values_list("kind", "status")) == [("review_due", "cancelled")]


# --- Measures ----------------------------------------------------------------------------------


def test_measure_due_on_the_day_its_interval_runs_out(therapist: User, record: Client) -> None:
    """A PHQ-9 (every 4 weeks) given 27 days ago at noon is due tomorrow at 08:00."""
    from tests.assessments.factories import local_noon

    last = AdministrationFactory(client=record, measure_code="PHQ9", administered_at=local_noon(27))
    tomorrow = timezone.localdate() + DAY

    services.plan_reminders()

    assert planned() == {("measure_due", IN_APP, therapist.pk, last.pk, at(tomorrow, "08:00"))}
    # A newer administration of the same measure makes the reminder unnecessary.
    AdministrationFactory(client=record, measure_code="PHQ9", administered_at=local_noon(0))
    services.send_due_reminders(now=at(tomorrow, "08:00"))
    assert list(Reminder.objects.values_list("status", flat=True)) == ["cancelled"]


# --- Co-signature, rating alerts, suicide risk -------------------------------------------------


@pytest.fixture
def trainee(therapist: User, supervisor: User) -> User:
    therapist.requires_cosign = True
    therapist.save(update_fields=["requires_cosign"])
    return therapist


def test_cosign_goes_to_the_current_supervisor_only(
    trainee: User, supervisor: User, other_supervisor: User, record: Client
) -> None:
    former = SupervisorFactory(full_name="Fay Former")
    SupervisionFactory(supervisor=former, supervisee=trainee, ended_at=timezone.now() - DAY)
    note = sign_note(SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record)))
    assert note.status == SessionNote.Status.AWAITING_COSIGN

    assert services.plan_reminders(now=note.signed_at) == 1

    assert planned() == {("cosign", IN_APP, supervisor.pk, note.pk, note.signed_at)}
    services.send_due_reminders(now=note.signed_at)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.text, reminder.url) == (
        "sent",
        "A note is waiting for your co-signature.",
        "/notes/cosign/",
    )


def test_cosign_reminder_cancelled_when_the_supervision_ends_first(
    trainee: User, supervisor: User, record: Client
) -> None:
    note = sign_note(SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record)))
    services.plan_reminders(now=note.signed_at - HOUR)
    Supervision.objects.filter(supervisor=supervisor).update(ended_at=timezone.now())

    services.send_due_reminders(now=note.signed_at)

    assert list(Reminder.objects.values_list("kind", "status")) == [("cosign", "cancelled")]


def test_rating_alert_to_therapist_and_supervisor(
    therapist: User, supervisor: User, record: Client
) -> None:
    note = SessionNoteFactory(appointment=AttendedAppointmentFactory(client=record))
    alert = RatingAlert.objects.create(note=note, client=record, reason="threshold", total=18)

    assert services.plan_reminders(now=alert.created_at) == 2

    assert planned() == {
        ("rating_alert", IN_APP, therapist.pk, alert.pk, alert.created_at),
        ("rating_alert", IN_APP, supervisor.pk, alert.pk, alert.created_at),
    }
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged_at"])
    services.send_due_reminders(now=alert.created_at)
    assert set(Reminder.objects.values_list("status", flat=True)) == {"cancelled"}


# Risk-flag reminders (an acute flag at once to therapist and supervisor, an unresolved one again
# after the clinic's delay) are tested with their rule, in tests/risk/test_reminders.py.


# --- Client appointment reminders --------------------------------------------------------------


def _contactable(therapist: User, **fields) -> Client:
    defaults = {
        "may_contact": True,
        "reminder_channel": "email",
        "email": "robin@example.org",
        "phone": "555-0100",
    }
    return ClientFactory(therapist=therapist, **(defaults | fields))


@pytest.mark.parametrize(
    ("fields", "expected_channel"),
    [
        ({}, "email"),
        ({"reminder_channel": "sms"}, "sms"),
        ({"may_contact": False}, None),
        ({"reminder_channel": ""}, None),
        ({"email": ""}, None),
        ({"reminder_channel": "sms", "phone": ""}, None),
        ({"status": Client.Status.ON_HOLD}, None),
        ({"status": Client.Status.INTAKE}, "email"),
    ],
)
def test_client_reminder_only_with_consent_channel_and_address(
    therapist: User, fields: dict, expected_channel: str | None
) -> None:
    record = _contactable(therapist, **fields)
    starts = at(MONDAY, "10:00")
    appointment = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)

    services.plan_reminders(now=starts - 24 * HOUR)

    client_rows = {row for row in planned() if row[0] == "client_session"}
    expected = (
        {("client_session", expected_channel, None, appointment.pk, starts - 24 * HOUR)}
        if expected_channel
        else set()
    )
    assert client_rows == expected


def test_client_reminder_not_planned_for_an_appointment_booked_later(therapist: User) -> None:
    record = _contactable(therapist)
    starts = at(MONDAY, "10:00")
    _appointment(record, starts_at=starts, booked=starts - 23 * HOUR)

    services.plan_reminders(now=starts - 23 * HOUR)

    assert {row[0] for row in planned()} == {"session_hour"}


def test_no_client_reminder_after_opt_out(therapist: User) -> None:
    record = _contactable(therapist, reminder_channel="sms")
    starts = at(MONDAY, "10:00")
    first = _appointment(record, starts_at=starts, booked=starts - 7 * DAY)
    services.plan_reminders(now=starts - 30 * HOUR)
    services.client_reminders_set(
        actor=therapist, client=record, channel="", hide_clinic_name=False
    )
    second = _appointment(record, starts_at=starts + 2 * HOUR, booked=starts - 7 * DAY)

    services.plan_reminders(now=starts - 24 * HOUR)
    services.send_due_reminders(now=starts - 22 * HOUR)

    record.refresh_from_db()
    assert record.reminders_opted_out_at is not None
    client_rows = Reminder.objects.filter(kind="client_session")
    assert list(client_rows.values_list("object_id", "channel", "status")) == [
        (first.pk, "sms", "cancelled")
    ]
    assert second.pk not in client_rows.values_list("object_id", flat=True)
    assert LocmemSmsBackend.outbox == []
    assert mail.outbox == []
