from __future__ import annotations

import factory
from django.utils import timezone

from clients.models import Consent
from linkage.models import ReferralStatusChange, Service, ServiceReferral, Status
from tests.clients.factories import ClientFactory, ConsentFactory

PROGRAM = "Eastside Opioid Treatment Program"


class ServiceReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceReferral
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    service = Service.METHADONE
    provider = PROGRAM
    status = Status.SUGGESTED
    created_by = factory.SelfAttribute("client.therapist")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
    first_step = factory.RelatedFactory(
        "tests.linkage.factories.StatusChangeFactory",
        factory_related_name="referral",
        status=factory.SelfAttribute("..status"),
    )


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralStatusChange

    referral = factory.SubFactory(ServiceReferralFactory, first_step=None)
    status = Status.SUGGESTED
    changed_by = factory.SelfAttribute("referral.created_by")
    changed_at = factory.LazyFunction(timezone.now)


class ProgramConsentFactory(ConsentFactory):
    """A consent in force to share a treatment summary with the methadone program."""

    recipient = f"{PROGRAM}, intake team"
    purpose = "Referral for methadone treatment"
    scope = Consent.Scope.SUMMARY
