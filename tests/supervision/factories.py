"""Supervision meetings and chart comments, built directly (not through the services, which
audit): for tests about what is stored, such as encryption at rest."""

from __future__ import annotations

import factory
from django.utils import timezone

from supervision.models import ChartComment, SupervisionMeeting
from tests.clients.factories import ClientFactory
from tests.factories import SupervisorFactory, TherapistFactory


class SupervisionMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionMeeting

    supervisor = factory.SubFactory(SupervisorFactory)
    supervisee = factory.SubFactory(TherapistFactory)
    met_on = factory.LazyFunction(timezone.localdate)
    guidance = "Slow down the check-in; ask about the weekend before the plan."
    follow_ups = "Bring the overdose-risk plan next time."


class ChartCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartComment

    client = factory.SubFactory(ClientFactory)
    author = factory.SubFactory(SupervisorFactory)
    text = "Please update the safety plan after Tuesday's session."
