"""Factories for harm assessments, built directly (not through the service) so that tests not
about the audit trail start from a quiet record."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from assessments.models import HarmAssessment, SubstancePattern
from tests.clients.factories import ClientFactory


class HarmAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HarmAssessment

    client = factory.SubFactory(ClientFactory)
    assessed_by = factory.SelfAttribute("client.therapist")
    assessed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    physical_rating = 1
    physical_words = "Hangovers most Sundays."
    mental_rating = 2
    mental_words = "Low for days after a big weekend."
    benefits_of_use = "I relax\nEasier to talk to people"
    costs_of_use = "Money\nMissing Sunday lunch with my sister"
    benefits_of_change = "More money"
    costs_of_change = "Boring weekends"


class SubstancePatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubstancePattern

    assessment = factory.SubFactory(HarmAssessmentFactory)
    substance_name = factory.Sequence(lambda n: f"Substance {n}")
    dose = "4-5 drinks"
    frequency = "Fridays and Saturdays"
    route = "oral"
    setting = "bars"
    with_whom = "friends from work"
    functions = factory.LazyFunction(lambda: ["social", "managing_feelings"])
    importance = 6
    confidence = 4
    readiness = 5
