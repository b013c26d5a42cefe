"""A staff reminder (inbox and email) is written in its recipient's interface language, whatever
language the worker or the request that sent it was in."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core import mail
from django.utils import translation

from hrp.accounts.models import User
from notifications import services
from notifications.models import Reminder
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory, at

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2030, 3, 4)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _english_around() -> Iterator[None]:
    translation.activate("en")
    yield
    translation.activate("en")


def _send_session_reminder(therapist: User) -> None:
    record = ClientFactory(therapist=therapist)
    starts = at(MONDAY, "10:00")
    AppointmentFactory(client=record, starts_at=starts, created_at=starts - 7 * 24 * HOUR)
    services.plan_reminders(now=starts - 24 * HOUR)
    services.send_due_reminders(now=starts - 24 * HOUR)


@pytest.mark.parametrize(
    ("language", "day"), [("es", "lunes 4 de marzo de 2030"), ("en", "Mon 4 Mar 2030")]
)
def test_a_staff_reminder_is_in_its_recipients_language(
    therapist: User, language: str, day: str
) -> None:
    User.objects.filter(pk=therapist.pk).update(email_reminders=True, language=language)
    translation.activate("es" if language == "en" else "en")  # the sender's, not the reader's

    _send_session_reminder(therapist)

    sent = Reminder.objects.filter(recipient=therapist, status=Reminder.Status.SENT)
    texts = list(sent.values_list("text", flat=True))
    assert len(texts) == 2  # in-app and email
    assert [day in text for text in texts] == [True, True]
    assert [day in message.body for message in mail.outbox] == [True]
    # The sender's language is left as it was.
    assert translation.get_language() == ("es" if language == "en" else "en")
