"""Factories for standard-measure administrations, built directly (not through the service) so
that tests not about the audit trail start from a quiet record. Score, band and flags still come
from the registry, so a row always agrees with the answers it holds."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from assessments.measures import MEASURES, Measure
from assessments.models import Administration
from risk import rules
from risk.models import RiskFlag
from tests.clients.factories import ClientFactory
from tests.risk.factories import RiskFlagFactory, resolve


def answers_for(measure: Measure, raw_total: int) -> dict[str, str]:
    """A complete answer set whose raw total (before WHO-5's x4) is `raw_total`, filling the
    items in order with the most points each can give. Reverse-scored items are handled by
    their points, not their values ("no" on DAST-10 question 3 gives 1)."""
    answers: dict[str, str] = {}
    remaining = raw_total
    for item in measure.items:
        by_points = sorted(((item.points(c.value), c.value) for c in item.choices), reverse=True)
        points, value = next((p, v) for p, v in by_points if p <= remaining)
        answers[item.key] = value
        remaining -= points
    if remaining:
        raise ValueError(f"{measure.code} cannot reach a raw total of {raw_total}")
    return answers


def local_noon(days_ago: int) -> datetime.datetime:
    """Noon, clinic time, `days_ago` days before today: far enough from midnight that adding
    whole weeks never moves the local date, even across a daylight-saving change."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


class AdministrationFactory(factory.django.DjangoModelFactory):
    """`AdministrationFactory(client=c, measure_code="GAD7", raw_total=12)`, or pass `answers`
    explicitly (e.g. a PHQ-9 with question 9 above 0)."""

    class Params:
        raw_total = 0

    client = factory.SubFactory(ClientFactory)
    measure_code = "PHQ9"
    answers = factory.LazyAttribute(lambda o: answers_for(MEASURES[o.measure_code], o.raw_total))
    score = factory.LazyAttribute(lambda o: MEASURES[o.measure_code].score(o.answers))
    band = factory.LazyAttribute(lambda o: MEASURES[o.measure_code].band(o.score).key)
    suicide_risk = factory.LazyAttribute(
        lambda o: MEASURES[o.measure_code].raises_suicide_flag(o.answers)
    )
    severity_flag = factory.LazyAttribute(
        lambda o: MEASURES[o.measure_code].raises_severity_flag(o.score)
    )
    administered_at = factory.LazyFunction(lambda: local_noon(1))
    administered_by = factory.SelfAttribute("client.therapist")

    class Meta:
        model = Administration
        skip_postgeneration_save = True

    @factory.post_generation
    def risk_flag(obj: Administration, create: bool, extracted: object, **kwargs: object) -> None:
        """The flag the service would open with a PHQ-9 question 9 above 0 (pass
        `risk_flag=False` for none)."""
        if not create or not obj.suicide_risk or extracted is False:
            return
        sitting = obj
        while sitting.corrects_id is not None:
            sitting = sitting.corrects
        points = MEASURES[obj.measure_code].items[8].points(obj.answers["q9"])
        if not RiskFlag.objects.filter(source_key="assessments.phq9", source_id=sitting.pk):
            RiskFlagFactory(
                client=obj.client,
                kind=RiskFlag.Kind.SUICIDE,
                level=rules.phq9_item9_level(points),
                source_key="assessments.phq9",
                source_id=sitting.pk,
                source_description="PHQ-9 question 9",
                opened_at=obj.administered_at,
                opened_by=obj.administered_by,
            )


def follow_up_and_resolve(administration: Administration) -> RiskFlag:
    """What recording the follow-up of a PHQ-9 flag did before risk flags: the flag clears
    (now: followed up and resolved)."""
    flag = RiskFlag.objects.get(source_key="assessments.phq9", source_id=administration.pk)
    return resolve(flag)
