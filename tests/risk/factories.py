"""Factories for risk flags and follow-ups, built directly (not through the services) so that
tests not about raising start from a quiet record."""

from __future__ import annotations

import factory
from django.utils import timezone

from risk.models import RiskFlag, RiskFollowUp
from tests.clients.factories import ClientFactory


class RiskFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskFlag

    client = factory.SubFactory(ClientFactory)
    kind = RiskFlag.Kind.SUICIDE
    level = RiskFlag.Level.SOME
    state = RiskFlag.State.OPEN
    source_key = "sessions.note"
    source_id = factory.Sequence(lambda n: 100000 + n)
    source_description = "Session note"
    opened_at = factory.LazyFunction(timezone.now)
    opened_by = factory.SelfAttribute("client.therapist")


class RiskFollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskFollowUp

    flag = factory.SubFactory(RiskFlagFactory, state=RiskFlag.State.FOLLOWED_UP)
    action = "Talked it through together and made a safety plan."
    done_at = factory.LazyAttribute(lambda o: o.flag.opened_at)
    recorded_by = factory.SelfAttribute("flag.opened_by")


def resolve(flag: RiskFlag) -> RiskFlag:
    """Mark `flag` followed up and resolved, as the services would leave it."""
    RiskFollowUpFactory(flag=flag)
    flag.state = RiskFlag.State.RESOLVED
    flag.last_follow_up_at = flag.opened_at
    flag.resolved_at = flag.opened_at
    flag.resolved_by = flag.opened_by
    flag.resolution = "The safety plan is in place."
    flag.save()
    return flag
