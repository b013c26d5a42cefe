"""Factories for goals, their reviews and weekly use check-ins, built directly (not through the
services) so that tests not about the audit trail start from a quiet record.

`GoalFactory(client=c)` gives an active moderation goal about one of `c`'s substances (a new
alcohol one unless `substance=` is passed), started two weeks ago and reviewed in four weeks.
A life goal has no substance: `GoalFactory(kind=Goal.Kind.LIFE, substance=None)`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from goals.models import Goal, GoalReview, UseCheckIn
from goals.services import week_start
from tests.clients.factories import ClientFactory, SubstanceUseFactory


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def weeks_ago(weeks: int) -> datetime.date:
    """The Monday starting the week `weeks` before the current one (0: this week)."""
    return week_start(timezone.localdate()) - datetime.timedelta(weeks=weeks)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    client = factory.SubFactory(ClientFactory)
    kind = Goal.Kind.MODERATION
    substance = factory.SubFactory(SubstanceUseFactory, client=factory.SelfAttribute("..client"))
    client_words = factory.Sequence(lambda n: f"Drink on fewer days, goal {n}")
    hypothesis = "If I plan my weekends ahead, I expect to feel more in control."
    target = Goal.Target.MAX_USE_DAYS
    target_value = Decimal(3)
    target_unit = ""
    start_date = factory.LazyFunction(lambda: days_from_today(-14))
    review_date = factory.LazyFunction(lambda: days_from_today(28))
    status = Goal.Status.ACTIVE
    created_by = factory.SelfAttribute("client.therapist")


class GoalReviewFactory(factory.django.DjangoModelFactory):
    """A "keep going" review recorded today, with the next review in four weeks."""

    class Meta:
        model = GoalReview

    goal = factory.SubFactory(GoalFactory)
    reviewed_on = factory.LazyFunction(timezone.localdate)
    what_happened = "Used on 4 days most weeks; two weeks within the plan."
    realistic = GoalReview.Realistic.PARTLY
    learned = "Weekends with old friends are the hard part."
    decision = GoalReview.Decision.KEEP
    next_review_date = factory.LazyFunction(lambda: days_from_today(28))
    reviewed_by = factory.SelfAttribute("goal.client.therapist")


class UseCheckInFactory(factory.django.DjangoModelFactory):
    """Use in the current week unless `week_start=` is passed (a Monday; see `weeks_ago`)."""

    class Meta:
        model = UseCheckIn

    client = factory.SubFactory(ClientFactory)
    substance = factory.SubFactory(SubstanceUseFactory, client=factory.SelfAttribute("..client"))
    week_start = factory.LazyFunction(lambda: weeks_ago(0))
    use_days = 2
    typical_amount = Decimal(3)
    amount_unit = "drinks"
    days_above_plan = 0
    # A figure typed by hand (as before plans had limits), so the stored rule holds:
    # days_above_plan = corrected, else computed, else 0.
    above_plan_corrected = factory.SelfAttribute("days_above_plan")
    recorded_by = factory.SelfAttribute("client.therapist")
