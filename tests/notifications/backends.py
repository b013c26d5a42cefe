"""Email backends for the reminder tests. Real backends (Django calls them like any other), not
mocks of our code: one whose mail server is always down, one that is down a set number of times."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class UnreachableServerBackend(BaseEmailBackend):
    """Every send fails the way an SMTP server that hung up fails."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise smtplib.SMTPServerDisconnected("the mail server closed the connection")


class FlakyServerBackend(BaseEmailBackend):
    """Fails the first `FlakyServerBackend.failures_left` sends, then delivers to
    django.core.mail.outbox like the locmem backend."""

    failures_left = 0

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        if FlakyServerBackend.failures_left > 0:
            FlakyServerBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("the mail server closed the connection")
        mail.outbox.extend(email_messages)
        return len(email_messages)
