from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from clients.models import Client
from hrp.accounts.models import User
from notifications.sms import LocmemSmsBackend
from tests.clients.factories import ClientFactory


@pytest.fixture(autouse=True)
def _sms_and_fresh_throttle(settings: object) -> Iterator[None]:
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"  # type: ignore[attr-defined]
    LocmemSmsBackend.outbox.clear()
    # The test client's address is counted across tests: each test starts with its own window.
    cache.delete("selfreport:a:127.0.0.1")
    yield
    cache.delete("selfreport:a:127.0.0.1")


@pytest.fixture
def record(therapist: User) -> Client:
    """A client who agreed to be contacted and chose text messages."""
    return ClientFactory(
        therapist=therapist,
        preferred_name="Robin",
        may_contact=True,
        reminder_channel="sms",
        phone="555-0100",
    )
