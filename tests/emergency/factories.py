"""Emergency grants built directly (the service checks a password and notifies people)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from hrp.accounts.models import EmergencyGrant
from tests.clients.factories import ClientFactory
from tests.factories import TherapistFactory


class EmergencyGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmergencyGrant

    user = factory.SubFactory(TherapistFactory)
    client = factory.SubFactory(ClientFactory)
    reason = "On call overnight: the client phoned in crisis and their therapist is away."
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda grant: grant.granted_at + datetime.timedelta(hours=4))
