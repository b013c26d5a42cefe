"""Supervision meetings and chart comments, built directly (not through the services, which
audit): for tests about what is stored, such as encryption at rest."""

from __future__ import annotations

import factory
from django.utils import timezone

from supervision.fidelity import CLEARLY, ITEM_KEYS
from supervision.models import ChartComment, FidelityReview, SupervisionMeeting
from tests.clients.factories import ClientFactory
from tests.factories import SupervisorFactory, TherapistFactory
from tests.sessions.factories import SessionNoteFactory


class SupervisionMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionMeeting

    supervisor = factory.SubFactory(SupervisorFactory)
    supervisee = factory.SubFactory(TherapistFactory)
    met_on = factory.LazyFunction(timezone.localdate)
    guidance = "Slow down the check-in; ask about the weekend before the plan."
    follow_ups = "Bring the overdose-risk plan next time."
    countertransference = "Felt impatient when the client talked about the weekend."


class ChartCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartComment

    client = factory.SubFactory(ClientFactory)
    author = factory.SubFactory(SupervisorFactory)
    text = "Please update the safety plan after Tuesday's session."


class FidelityReviewFactory(factory.django.DjangoModelFactory):
    """A review built directly (the service checks supervision and signing; these tests are
    about what is stored)."""

    class Meta:
        model = FidelityReview

    supervisor = factory.SubFactory(SupervisorFactory)
    note = factory.SubFactory(SessionNoteFactory)
    therapist = factory.LazyAttribute(lambda review: review.note.author)
    session_on = factory.LazyAttribute(
        lambda review: timezone.localdate(review.note.appointment.starts_at)
    )
    ratings = factory.LazyFunction(lambda: dict.fromkeys(ITEM_KEYS, CLEARLY))
    comment = "Stayed with the client's agenda throughout."
