"""Text messages to clients go through an adapter named by settings.SMS_BACKEND, so a clinic
plugs in its provider (Twilio, Vonage, an email-to-SMS gateway) without touching the sender.
The console adapter writes to stdout like Django's console email backend: development only."""

from __future__ import annotations

import sys
from typing import Protocol


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None:
        """Deliver `text` to the phone number `to`, or raise."""


class ConsoleSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    """Keeps messages in memory (tests): `LocmemSmsBackend.outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        self.outbox.append((to, text))
