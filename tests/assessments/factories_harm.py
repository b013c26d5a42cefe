"""Factories for harm assessments, built directly (not through the service) so that tests not
about the audit trail start from a quiet record."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from assessments.models import OVERDOSE_FACTORS, HarmAssessment, IdentifiedHarm, SubstancePattern
from clients.models import SubstanceUse
from risk import rules
from risk.models import RiskFlag
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.risk.factories import RiskFlagFactory


class HarmAssessmentFactory(factory.django.DjangoModelFactory):
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
    # As the service sets it: the ticked factors that count for the client's substances.
    overdose_risk = factory.LazyAttribute(
        lambda o: bool(
            rules.overdose_factors_that_count(
                [key for key, _label in OVERDOSE_FACTORS if getattr(o, key, False)],
                set(
                    SubstanceUse.objects.filter(client=o.client).values_list("substance", flat=True)
                ),
            )
        )
    )

    class Meta:
        model = HarmAssessment
        skip_postgeneration_save = True

    @factory.post_generation
    def risk_flag(obj: HarmAssessment, create: bool, extracted: object, **kwargs: object) -> None:
        """The overdose flag the service would open (risk.rules), unless `risk_flag=False`."""
        if not create or extracted is False:
            return
        ticked = [key for key, _label in OVERDOSE_FACTORS if getattr(obj, key)]
        substances = SubstanceUse.objects.filter(client=obj.client).values_list(
            "substance", flat=True
        )
        counted = rules.overdose_factors_that_count(ticked, set(substances))
        level = rules.overdose_level(counted)
        if level is not None:
            RiskFlagFactory(
                client=obj.client,
                kind=RiskFlag.Kind.OVERDOSE,
                level=level,
                source_key="assessments.harm",
                source_id=obj.pk,
                source_description="Harm assessment",
                opened_by=obj.assessed_by,
            )


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


class IdentifiedHarmFactory(factory.django.DjangoModelFactory):
    """A concrete harm named in a harm assessment, with one of that client's substances (a new
    alcohol one unless `substance=` is passed; `substance=None` for use in general)."""

    class Meta:
        model = IdentifiedHarm

    assessment = factory.SubFactory(HarmAssessmentFactory)
    substance = factory.SubFactory(
        SubstanceUseFactory, client=factory.SelfAttribute("..assessment.client")
    )
    domain = "work"
    description = factory.Sequence(lambda n: f"Misses Monday shifts after weekend use ({n})")
    severity = 2
