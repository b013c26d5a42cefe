"""The embedded default (no Redis): `manage.py run_reminders` plans and sends due reminders in
its own process, the same scan beat and a worker run."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from assessments.measures import MEASURES
from hrp.accounts.models import User
from notifications.models import Reminder
from tests.assessments.factories import AdministrationFactory, answers_for
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("run_reminders", stdout=out)
    return out.getvalue()


def test_run_reminders_once_plans_and_sends_what_is_due(therapist: User, supervisor: User) -> None:
    therapist.email_reminders = True
    therapist.save(update_fields=["email_reminders"])
    record = ClientFactory(therapist=therapist)
    AdministrationFactory(
        client=record,
        answers=answers_for(MEASURES["PHQ9"], 27),
        administered_at=timezone.now() - datetime.timedelta(hours=1),
    )
    # An appointment in 30 hours: its reminders are planned now but not yet due.
    starts = timezone.now() + datetime.timedelta(hours=30)
    AppointmentFactory(
        client=record, starts_at=starts, created_at=starts - datetime.timedelta(days=7)
    )

    first = _run()
    second = _run()

    # risk_acute (question 9 at 3 opens an acute flag): therapist in the app and by email,
    # supervisor in the app (due now);
    # session_day and session_hour: the therapist in the app and by email (due in 6 and 29 hours).
    assert first == "Reminders planned: 7; handled: 3\n"
    assert second == "Reminders planned: 0; handled: 0\n"
    assert sorted(Reminder.objects.values_list("kind", "channel", "status")) == [
        ("risk_acute", "email", "sent"),
        ("risk_acute", "in_app", "sent"),
        ("risk_acute", "in_app", "sent"),
        ("session_day", "email", "pending"),
        ("session_day", "in_app", "pending"),
        ("session_hour", "email", "pending"),
        ("session_hour", "in_app", "pending"),
    ]
    assert [m.to for m in mail.outbox] == [[therapist.email]]


def test_run_reminders_with_nothing_to_do(db: None) -> None:
    assert _run() == "Reminders planned: 0; handled: 0\n"
