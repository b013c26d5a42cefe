"""Sending reminders: exactly once, retried with backoff when the mail server is down, never a
word of PHI in any text, email or SMS, and client reminders that say only date, time and
(unless hidden) the clinic's display name. Beat's tasks carry no arguments at all.
"""

from __future__ import annotations

import datetime
import inspect

import pytest
from django.core import mail
from django.utils import timezone

from assessments.measures import MEASURES
from clients.models import Client, Intake, SubstanceUse
from groups import services as group_services
from hrp.accounts.models import User
from hrp.celery import app as celery_app
from notifications import services, tasks
from notifications.models import Reminder
from notifications.sms import LocmemSmsBackend
from safety.models import ToleranceWindow
from sessions.models import RatingAlert
from tests.assessments.factories import AdministrationFactory, answers_for, local_noon
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.goals.factories import GoalFactory
from tests.groups.factories import group_consent
from tests.linkage.factories import ServiceReferralFactory
from tests.notifications.backends import FlakyServerBackend
from tests.risk.factories import RiskFlagFactory
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionNoteFactory,
    at,
    sign_note,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2030, 3, 4)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _sms_outbox(settings) -> None:
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def emailed_therapist(therapist: User) -> User:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    return therapist


def _flagged_administration(therapist: User) -> tuple[datetime.datetime, int]:
    """A PHQ-9 with a suicide-risk answer an hour ago: reminders due at once, whatever `now`."""
    record = ClientFactory(therapist=therapist)
    administered = timezone.now() - HOUR
    flagged = AdministrationFactory(
        client=record, answers=answers_for(MEASURES["PHQ9"], 27), administered_at=administered
    )
    return administered, flagged.pk


def _message_id(reminder: Reminder) -> str:
    return f"<{reminder.key.replace(':', '.')}@hrp-reminders>"


# --- Exactly once ------------------------------------------------------------------------------


def test_sent_exactly_once(emailed_therapist: User) -> None:
    administered, _pk = _flagged_administration(emailed_therapist)
    services.plan_reminders(now=administered)

    first = services.send_due_reminders(now=administered)
    second = services.send_due_reminders(now=administered + HOUR)

    assert (first, second) == (2, 0)
    email = Reminder.objects.get(channel="email")
    assert [(m.to, m.extra_headers["Message-ID"]) for m in mail.outbox] == [
        ([emailed_therapist.email], _message_id(email))
    ]
    assert list(Reminder.objects.values_list("status", flat=True)) == ["sent", "sent"]
    assert email.sent_at is not None


def test_planning_and_sending_again_adds_no_second_email(emailed_therapist: User) -> None:
    administered, _pk = _flagged_administration(emailed_therapist)
    for _run in range(3):
        services.plan_reminders(now=administered)
        services.send_due_reminders(now=administered)

    assert Reminder.objects.count() == 2
    assert len(mail.outbox) == 1


def test_send_limit_leaves_the_rest_for_the_next_run(emailed_therapist: User) -> None:
    for _index in range(3):
        _flagged_administration(emailed_therapist)
    services.plan_reminders()

    assert services.send_due_reminders(limit=4) == 4
    assert Reminder.objects.filter(status="pending").count() == 2
    assert services.send_due_reminders(limit=4) == 2
    assert Reminder.objects.filter(status="sent").count() == 6
    assert len(mail.outbox) == 3


# --- Failure and backoff -----------------------------------------------------------------------


def test_failed_delivery_is_retried_with_backoff_then_marked_failed(
    emailed_therapist: User, settings
) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": "tests.notifications.backends.UnreachableServerBackend"}
    }
    administered, _pk = _flagged_administration(emailed_therapist)
    services.plan_reminders(now=administered)
    email = Reminder.objects.get(channel="email")
    now = administered

    history = []
    for _attempt in range(5):
        assert services.send_due_reminders(now=now) == (2 if now == administered else 1)
        email.refresh_from_db()
        history.append((email.attempts, email.status, email.due_at - now, email.last_error))
        now = email.due_at

    assert history == [
        (1, "pending", 2 * MINUTE, "SMTPServerDisconnected"),
        (2, "pending", 4 * MINUTE, "SMTPServerDisconnected"),
        (3, "pending", 8 * MINUTE, "SMTPServerDisconnected"),
        (4, "pending", 16 * MINUTE, "SMTPServerDisconnected"),
        (5, "failed", datetime.timedelta(0), "SMTPServerDisconnected"),
    ]
    assert (email.text, email.sent_at) == ("", None)
    # Failed is final: nothing more is tried, and the in-app copy was not held back.
    assert services.send_due_reminders(now=now + DAY) == 0
    assert Reminder.objects.get(channel="in_app").status == "sent"
    assert mail.outbox == []


def test_not_retried_before_its_backoff_runs_out(emailed_therapist: User, settings) -> None:
    settings.MAILERS = {
        "default": {"BACKEND": "tests.notifications.backends.UnreachableServerBackend"}
    }
    administered, _pk = _flagged_administration(emailed_therapist)
    services.plan_reminders(now=administered)
    services.send_due_reminders(now=administered)

    assert (
        services.send_due_reminders(now=administered + 2 * MINUTE - datetime.timedelta(seconds=1))
        == 0
    )
    assert Reminder.objects.get(channel="email").attempts == 1


def test_delivered_once_the_mail_server_is_back(emailed_therapist: User, settings) -> None:
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.backends.FlakyServerBackend"}}
    FlakyServerBackend.failures_left = 2
    administered, _pk = _flagged_administration(emailed_therapist)
    services.plan_reminders(now=administered)

    now = administered
    for _run in range(3):
        services.send_due_reminders(now=now)
        now += 10 * MINUTE

    email = Reminder.objects.get(channel="email")
    assert (email.status, email.attempts, email.last_error) == (
        "sent",
        2,
        "SMTPServerDisconnected",
    )
    assert len(mail.outbox) == 1


# --- No PHI ------------------------------------------------------------------------------------

LEGAL = "Zebulon Quackenbush-Legal"
PREFERRED = "Quillfeather"
CHART = "C-PHI977"
SMS_LEGAL = "Marigold Xanthippe-Legal"
SMS_PREFERRED = "Thistledown"
SMS_CHART = "C-PHI978"
GOAL_WORDS = "Periwinkle marker goal: fewer lagoon evenings"
NOTE_WORDS = "Tangerine marker diagnosis: severe stimulant use disorder"
SUBSTANCE_AMOUNT = "Xylophone marker amount"
FORBIDDEN = [
    LEGAL,
    "Zebulon",
    "Quackenbush",
    PREFERRED,
    CHART,
    SMS_LEGAL,
    "Marigold",
    SMS_PREFERRED,
    SMS_CHART,
    "Periwinkle",
    "lagoon",
    "Tangerine",
    "diagnosis",
    "disorder",
    "stimulant",
    "methamphetamine",
    "Xylophone",
    "PHQ",
    "suicid",
    "1990",
    "methadone",
    "Kumquat",
]


def test_no_phi_in_any_reminder_text_email_or_sms(
    emailed_therapist: User, supervisor: User, settings
) -> None:
    """Every kind of reminder is planned and sent for clients whose record is full of unique
    marker words; none of them reaches a reminder's text, an email or a text message."""
    settings.SITE_URL = "https://clinic.example.org"
    supervisor.email_reminders = True
    supervisor.save(update_fields=["email_reminders"])
    emailed_therapist.requires_cosign = True
    emailed_therapist.save(update_fields=["requires_cosign"])
    start = timezone.now()
    record = ClientFactory(
        therapist=emailed_therapist,
        legal_name=LEGAL,
        preferred_name=PREFERRED,
        chart_number=CHART,
        date_of_birth=datetime.date(1990, 5, 17),
        may_contact=True,
        reminder_channel="email",
        email="client977@example.org",
        intake__reason_for_coming=NOTE_WORDS,
    )
    by_sms = ClientFactory(
        therapist=emailed_therapist,
        legal_name=SMS_LEGAL,
        preferred_name=SMS_PREFERRED,
        chart_number=SMS_CHART,
        may_contact=True,
        reminder_channel="sms",
        phone="555-0199",
    )
    substance = SubstanceUseFactory(
        client=record,
        substance=SubstanceUse.Substance.METHAMPHETAMINE,
        amount=SUBSTANCE_AMOUNT,
    )
    # Sessions: one in 30 minutes (the hour-before reminder is due), one in 13 hours (the
    # day-before reminders, staff and client, are due), for each client.
    for client in (record, by_sms):
        for ahead in (30 * MINUTE, 13 * HOUR):
            AppointmentFactory(client=client, starts_at=start + ahead, created_at=start - 7 * DAY)
    # An unsigned note an hour past the 24-hour edge, and a signed one awaiting co-signature
    # with a low session rating.
    SessionNoteFactory(
        appointment=AttendedAppointmentFactory(
            client=record, starts_at=start - 25 * HOUR - 50 * MINUTE
        ),
        data=NOTE_WORDS,
        assessment=NOTE_WORDS,
    )
    signed = sign_note(
        SessionNoteFactory(
            appointment=AttendedAppointmentFactory(client=record),
            data=NOTE_WORDS,
            plan=NOTE_WORDS,
        )
    )
    RatingAlert.objects.create(note=signed, client=record, reason="threshold", total=12)
    AdministrationFactory(
        client=record, answers=answers_for(MEASURES["PHQ9"], 27), administered_at=start - HOUR
    )
    # A risk flag from a note two days ago, still unresolved: reminded again now.
    RiskFlagFactory(client=record, kind="overdose", opened_at=start - 2 * DAY - HOUR)
    AdministrationFactory(client=record, measure_code="GAD7", administered_at=local_noon(27))
    review = timezone.localdate() + 10 * DAY
    GoalFactory(client=record, substance=substance, client_words=GOAL_WORDS, review_date=review)
    # Lower tolerance: one period around the sessions, another that starts tomorrow.
    for first, last in ((-1, 3), (1, 28)):
        ToleranceWindow.objects.create(
            client=record,
            reason=ToleranceWindow.Reason.RELEASE,
            start_date=timezone.localdate() + first * DAY,
            end_date=timezone.localdate() + last * DAY,
            note=NOTE_WORDS,
            created_by=emailed_therapist,
        )
    # An intake completed 13 days ago with the medical evaluation still outstanding: reminded
    # tomorrow at the send hour (medical_evaluation_days = 14).
    Intake.objects.filter(client=record).update(
        completed_at=timezone.now() - 13 * DAY,
        medical_evaluation=Intake.MedicalDecision.RECOMMENDED,
        medical_not_needed_reason="",
    )
    # A methadone referral to follow up tomorrow.
    ServiceReferralFactory(
        client=record,
        service="methadone",
        provider="Kumquat marker treatment program",
        status="referred",
        follow_up_on=timezone.localdate() + DAY,
    )
    # A group meeting in 13 hours with both clients as members: each gets the group reminder.
    meets = timezone.localtime(start + 13 * HOUR)
    group = group_services.group_create(
        actor=emailed_therapist,
        name=f"{SUBSTANCE_AMOUNT} methamphetamine group",
        label="Group",
        kind="closed",
        weekday=meets.weekday(),
        start_time=meets.time().replace(second=0, microsecond=0),
        duration_minutes=60,
        starts_on=meets.date(),
        ends_on=meets.date(),
    )
    for member in (record, by_sms):
        group_consent(member)
        group_services.member_add(
            actor=emailed_therapist,
            group=group,
            chart_number=member.chart_number,
            joined_on=meets.date(),
        )
    moments = [
        timezone.now(),
        at(timezone.localdate() + DAY, "08:00"),  # the GAD-7 falls due
        at(review - 2 * DAY, "08:00"),
        at(review + DAY, "08:00"),
    ]

    for now in moments:
        services.plan_reminders(now=now)
        services.send_due_reminders(now=now)

    sent_kinds = set(Reminder.objects.filter(status="sent").values_list("kind", flat=True))
    # Emergency-access reminders come from a grant, not from the planners (tests/accounts);
    # suicide_risk rows are no longer planned (risk flags replaced them).
    assert sent_kinds == set(Reminder.Kind.values) - {"emergency_access", "suicide_risk"}
    assert {r.channel for r in Reminder.objects.filter(kind="client_session")} == {"email", "sms"}
    texts = [r.text for r in Reminder.objects.all()]
    texts += [f"{m.subject}\n{m.body}\n{m.to}" for m in mail.outbox]
    texts += [f"{to}\n{text}" for to, text in LocmemSmsBackend.outbox]
    assert len(mail.outbox) == Reminder.objects.filter(channel="email", status="sent").count()
    # The appointment and the group meeting, to the client who chose text messages.
    assert len(LocmemSmsBackend.outbox) == 2
    leaks = [(word, text) for text in texts for word in FORBIDDEN if word.lower() in text.lower()]
    assert leaks == []


# --- Client reminders --------------------------------------------------------------------------


def _client_reminder(therapist: User, **fields) -> Client:
    record = ClientFactory(
        therapist=therapist,
        may_contact=True,
        email="robin@example.org",
        phone="555-0100",
        **fields,
    )
    starts = at(MONDAY, "10:00")
    AppointmentFactory(client=record, starts_at=starts, created_at=starts - 7 * DAY)
    services.plan_reminders(now=starts - 24 * HOUR)
    services.send_due_reminders(now=starts - 24 * HOUR)
    return record


def test_client_email_says_date_time_and_clinic_display_name(therapist: User, settings) -> None:
    settings.CLINIC_DISPLAY_NAME = "Riverside Wellness"

    record = _client_reminder(therapist, reminder_channel="email")

    reminder = Reminder.objects.get(kind="client_session")
    expected = "Reminder: your appointment is on Mon 4 Mar 2030 at 10:00. Riverside Wellness"
    assert (reminder.status, reminder.text, reminder.url, reminder.recipient_id) == (
        "sent",
        expected,
        "",
        None,
    )
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        ([record.email], "Appointment reminder", expected)
    ]


def test_client_sms_without_the_clinic_name_when_hidden(therapist: User, settings) -> None:
    settings.CLINIC_DISPLAY_NAME = "Riverside Wellness"

    _client_reminder(therapist, reminder_channel="sms", reminder_hide_clinic_name=True)

    assert LocmemSmsBackend.outbox == [
        ("555-0100", "Reminder: your appointment is on Mon 4 Mar 2030 at 10:00.")
    ]
    assert mail.outbox == []


def test_staff_email_links_to_the_page_without_naming_anyone(
    emailed_therapist: User, settings
) -> None:
    settings.SITE_URL = "https://clinic.example.org"
    record = ClientFactory(therapist=emailed_therapist)
    starts = at(MONDAY, "10:00")
    AppointmentFactory(client=record, starts_at=starts, created_at=starts - 7 * DAY)
    services.plan_reminders(now=starts - 24 * HOUR)

    services.send_due_reminders(now=starts - 24 * HOUR)

    assert [(m.subject, m.body) for m in mail.outbox] == [
        (
            "Reminder from HRP Clinic",
            "You have a session on Mon 4 Mar 2030 at 10:00.\n\n"
            f"https://clinic.example.org/clients/{record.pk}/sessions/",
        )
    ]


# --- Tasks and beat ----------------------------------------------------------------------------


def test_beat_entries_carry_no_arguments() -> None:
    schedule = celery_app.conf.beat_schedule

    assert {
        name: (entry["task"], entry.get("args", ()), entry.get("kwargs", {}))
        for name, entry in schedule.items()
        if name.startswith("reminders-")
    } == {
        "reminders-plan": ("notifications.tasks.plan_reminders", (), {}),
        "reminders-send": ("notifications.tasks.send_due_reminders", (), {}),
    }
    assert [
        name for name, entry in schedule.items() if entry.get("args") or entry.get("kwargs")
    ] == []


@pytest.mark.parametrize("task", [tasks.plan_reminders, tasks.send_due_reminders])
def test_reminder_tasks_take_no_arguments_and_are_safe_to_redeliver(task) -> None:
    assert list(inspect.signature(task.run).parameters) == []
    assert (task.acks_late, task.soft_time_limit, task.time_limit, task.max_retries) == (
        True,
        50,
        60,
        3,
    )


def test_tasks_plan_and_send(emailed_therapist: User) -> None:
    _flagged_administration(emailed_therapist)

    planned = tasks.plan_reminders.delay().get()
    sent = tasks.send_due_reminders.delay().get()

    assert (planned, sent) == (2, 2)
    assert len(mail.outbox) == 1
