"""Supply records built directly (not through the services), for tests not about writing."""

from __future__ import annotations

import factory
from django.utils import timezone

from supplies.models import SupplyRecord, SupplyVoid
from tests.clients.factories import ClientFactory


class SupplyRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyRecord

    client = factory.SubFactory(ClientFactory)
    item = SupplyRecord.Item.NALOXONE
    quantity = 1
    given_on = factory.LazyFunction(timezone.localdate)
    how = SupplyRecord.How.GIVEN
    note = ""
    recorded_by = factory.SelfAttribute("client.therapist")


class SupplyVoidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyVoid

    record = factory.SubFactory(SupplyRecordFactory)
    reason = "Entered twice."
    voided_by = factory.SelfAttribute("record.recorded_by")
