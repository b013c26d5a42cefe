"""Factories for the ideal substance use plan, built directly (not through the service) so that
tests not about the audit trail start from a quiet record."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from goals.models import Plan, PlanReview, PlanVersion
from goals.services import normalise_section
from tests.clients.factories import ClientFactory


def plan_section(**values: Any) -> dict[str, Any]:
    """A stored plan section: every key of SECTION_FIELDS, as `services.plan_save` keeps it."""
    defaults: dict[str, Any] = {
        "name": "Alcohol",
        "current_pattern": "6 pints on Fridays and Saturdays at the pub",
        "dose_limit": "3 pints",
        "max_days_per_week": 2,
        "route": "",
        "setting_company": "With friends, never alone",
        "safer_use": ["food_water", "no_driving"],
        "alternatives": {"social": "Climbing club on Thursdays"},
        "client_words": "I want Sundays back.",
        "clinician_notes": "Client chose the limit.",
    }
    return normalise_section({**defaults, **values})


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    client = factory.SubFactory(ClientFactory)


def _next_number(version: Any) -> int:
    last = version.plan.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


class PlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanVersion

    plan = factory.SubFactory(PlanFactory)
    number = factory.LazyAttribute(_next_number)
    sections = factory.LazyFunction(lambda: [plan_section()])
    reason = factory.Sequence(lambda n: f"Reason {n}")
    created_by = factory.SelfAttribute("plan.client.therapist")


class PlanReviewFactory(factory.django.DjangoModelFactory):
    """A "keep" review of a plan version today, the next in four weeks."""

    class Meta:
        model = PlanReview

    version = factory.SubFactory(PlanVersionFactory)
    reviewed_on = factory.LazyFunction(timezone.localdate)
    what_happened = "Three weeks within the plan on most days; one weekend above it."
    realistic = "partly"
    harms_changed = "Fewer hungover mornings."
    learned = "Planning Friday helps."
    outcome = PlanReview.Outcome.KEEP
    next_review_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(weeks=4)
    )
    reviewed_by = factory.SelfAttribute("version.plan.client.therapist")
