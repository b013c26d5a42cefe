"""Factories for attendance reports and disclosures, built directly (not through the services)
so that tests not about the audit trail start from a quiet record.

`MandatedClientFactory(therapist=t)` is a client mandated by the "County Probation" agency;
`AgencyConsentFactory(client=c)` is a consent in force (signed ten days ago, for 300 days) to
disclose attendance to "Kings County Probation Department", which names that agency.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from clients.models import Consent, Referral
from disclosures.models import Disclosure
from tests.clients.factories import ClientFactory, ConsentFactory

AGENCY = "County Probation"
RECIPIENT = "Kings County Probation Department, Officer Lee"


class MandatedClientFactory(ClientFactory):
    referral__source = Referral.Source.MANDATED
    referral__mandate_kind = Referral.MandateKind.CRIMINAL_JUSTICE
    referral__agency = AGENCY


class AgencyConsentFactory(ConsentFactory):
    client = factory.SubFactory(MandatedClientFactory)
    recipient = RECIPIENT
    purpose = "Confirm attendance for the court order"
    scope = Consent.Scope.ATTENDANCE


class DisclosureFactory(factory.django.DjangoModelFactory):
    """A recorded attendance report of the last 30 days: 4 scheduled, 3 attended, 1 missed."""

    class Meta:
        model = Disclosure

    consent = factory.SubFactory(AgencyConsentFactory)
    client = factory.SelfAttribute("consent.client")
    recipient = factory.SelfAttribute("consent.recipient")
    what = Disclosure.What.ATTENDANCE_REPORT
    period_start = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    period_end = factory.LazyFunction(timezone.localdate)
    scheduled = 4
    attended = 3
    cancelled_by_client = 0
    cancelled_by_clinic = 0
    missed = 1
    not_recorded = 0
    moved = 0
    disclosed_by = factory.SelfAttribute("client.therapist")
    sha256 = "0" * 64
