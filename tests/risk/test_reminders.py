"""Reminders about risk flags (risk/reminders.py): an acute flag reminds the therapist and the
supervisor at once; an unresolved flag reminds again after the clinic's delay; the texts name
nobody and nothing clinical."""

from __future__ import annotations

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from notifications import services
from notifications.models import Reminder
from risk import services as risk_services
from risk.models import RiskFlag
from tests.notifications.helpers import planned
from tests.risk.factories import RiskFlagFactory, resolve

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
IN_APP = Reminder.Channel.IN_APP
EMAIL = Reminder.Channel.EMAIL


def test_an_acute_flag_reminds_the_therapist_and_the_supervisor_at_once(
    therapist: User, supervisor: User, other_supervisor: User, record: Client
) -> None:
    supervisor.email_reminders = True
    supervisor.save(update_fields=["email_reminders"])
    opened = timezone.now() - HOUR
    flag = RiskFlagFactory(client=record, level="acute", opened_at=opened)

    assert services.plan_reminders(now=opened + MINUTE) == 3

    assert planned() == {
        ("risk_acute", IN_APP, therapist.pk, flag.pk, opened),
        ("risk_acute", IN_APP, supervisor.pk, flag.pk, opened),
        ("risk_acute", EMAIL, supervisor.pk, flag.pk, opened),
    }
    assert services.send_due_reminders(now=opened + MINUTE) == 3
    assert set(Reminder.objects.values_list("status", "text", "url")) == {
        (
            "sent",
            "A client's chart needs a look today.",
            reverse("risk:flag", args=[record.pk, flag.pk]),
        )
    }
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([supervisor.email], "Reminder from HRP Clinic")
    ]
    assert record.preferred_name not in mail.outbox[0].body


def test_a_flag_that_is_not_acute_does_not_remind_at_once(
    therapist: User, supervisor: User, record: Client
) -> None:
    opened = timezone.now() - HOUR
    RiskFlagFactory(client=record, level="some", opened_at=opened)

    services.plan_reminders(now=opened + MINUTE)

    assert planned() == set()


def test_an_unresolved_flag_reminds_again_after_the_clinics_delay(
    therapist: User, supervisor: User, record: Client
) -> None:
    now = timezone.now()
    opened = now - 2 * DAY - HOUR
    flag = RiskFlagFactory(client=record, level="some", opened_at=opened)

    assert services.plan_reminders(now=now - 2 * HOUR) == 0
    services.plan_reminders(now=now)
    services.plan_reminders(now=now + 2 * DAY)

    # REMINDER_TIMINGS["risk_open_days"] is 2: every 2 days since it was opened while nothing
    # is recorded; the therapist only.
    assert planned() == {
        ("risk_open", IN_APP, therapist.pk, flag.pk, opened + 2 * DAY),
        ("risk_open", IN_APP, therapist.pk, flag.pk, opened + 4 * DAY),
    }


def test_an_acute_flag_reminds_the_supervisor_again_too(
    therapist: User, supervisor: User, record: Client
) -> None:
    opened = timezone.now() - 2 * DAY - HOUR
    flag = RiskFlagFactory(client=record, level="acute", opened_at=opened)

    services.plan_reminders(now=timezone.now())

    assert planned() == {
        ("risk_open", IN_APP, therapist.pk, flag.pk, opened + 2 * DAY),
        ("risk_open", IN_APP, supervisor.pk, flag.pk, opened + 2 * DAY),
    }


def test_a_follow_up_moves_the_next_reminder_and_cancels_the_planned_one(
    therapist: User, record: Client
) -> None:
    now = timezone.now()
    opened = now - 2 * DAY - HOUR
    flag = RiskFlagFactory(client=record, opened_at=opened)
    services.plan_reminders(now=now - 30 * MINUTE)
    done_at = now - 10 * MINUTE
    risk_services.risk_flag_follow_up(actor=therapist, flag=flag, action="Called.", done_at=done_at)

    services.send_due_reminders(now=now)
    services.plan_reminders(now=now)
    assert planned() == {("risk_open", IN_APP, therapist.pk, flag.pk, opened + 2 * DAY)}
    services.plan_reminders(now=done_at + 2 * DAY)

    assert set(Reminder.objects.values_list("due_at", "status")) == {
        (opened + 2 * DAY, "cancelled"),
        (done_at + 2 * DAY, "pending"),
    }


def test_a_resolved_flag_reminds_no_more(therapist: User, supervisor: User, record: Client) -> None:
    opened = timezone.now() - HOUR
    flag = RiskFlagFactory(client=record, level="acute", opened_at=opened)
    services.plan_reminders(now=opened)
    resolve(flag)

    assert services.plan_reminders(now=opened) == 0
    services.send_due_reminders(now=opened + MINUTE)

    assert set(Reminder.objects.values_list("status", flat=True)) == {"cancelled"}
    assert RiskFlag.objects.get().state == "resolved"
