from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from billing.models import Diagnosis, DiagnosisChange, Fee
from clients.models import Consent
from tests.clients.factories import ClientFactory, ConsentFactory

PAYER = "Empire Health Plan, claims"


class PayerConsentFactory(ConsentFactory):
    """A consent in force to disclose diagnoses and services to the client's health plan."""

    recipient = PAYER
    purpose = "Payment for treatment"
    scope = Consent.Scope.OTHER
    scope_details = "Diagnoses, dates of service, service codes and fees"


def fee_schedule(on: datetime.date) -> None:
    """The fees the tests use, in force from `on`; an older, lower 90834 fee is left behind."""
    Fee.objects.create(code="90834", amount=Decimal("100.00"), effective_on=on.replace(year=2000))
    for code, amount in {
        "90834": "150.00",
        "90837": "180.00",
        "90839": "200.00",
        "90840": "95.50",
        "H0004": "31.25",
    }.items():
        Fee.objects.create(code=code, amount=Decimal(amount), effective_on=on)


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    client = factory.SubFactory(ClientFactory)
    code = "F10.10"
    status = Diagnosis.Status.ACTIVE
    created_by = factory.SelfAttribute("client.therapist")


class DiagnosisChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiagnosisChange

    diagnosis = factory.SubFactory(DiagnosisFactory)
    status = Diagnosis.Status.ACTIVE
    reason = "First noted at intake."
    changed_by = factory.SelfAttribute("diagnosis.created_by")
