"""Fixtures for the client record tests."""

from __future__ import annotations

import pytest

from clients.models import Client, Consent
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, ConsentFactory


@pytest.fixture
def record(therapist: User) -> Client:
    """A client on the assigned therapist's caseload (active, intake completed)."""
    return ClientFactory(
        therapist=therapist,
        legal_name="Robin Example",
        preferred_name="Robin",
        phone="+1 555 010 2030",
    )


@pytest.fixture
def consent(record: Client) -> Consent:
    return ConsentFactory(client=record, recipient="County Probation Department")
