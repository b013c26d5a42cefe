from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from selfreport.models import PracticeLog, UseDiary
from tests.clients.factories import ClientFactory


class PracticeLogFactory(factory.django.DjangoModelFactory):
    """Ten minutes of slow breathing yesterday, from 4 to 7 of 10."""

    class Meta:
        model = PracticeLog

    client = factory.SubFactory(ClientFactory)
    days = factory.LazyFunction(
        lambda: [(timezone.localdate() - datetime.timedelta(days=1)).isoformat()]
    )
    minutes = 10
    practice = PracticeLog.Practice.BREATHING
    feeling_before = 4
    feeling_after = 7


class UseDiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UseDiary

    client = factory.SubFactory(ClientFactory)
    week_start = datetime.date(2026, 11, 23)
    entries = factory.LazyFunction(
        lambda: [{"substance": 0, "name": "Alcohol", "use_days": 2, "amount": "", "unit": ""}]
    )
