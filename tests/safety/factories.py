"""Factories for the safety app, built directly (not through the services) so that tests not
about the audit trail start from a quiet record. Every encrypted field holds a value."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from safety.models import (
    OverdosePlan,
    OverdosePlanVersion,
    SafetyPlan,
    SafetyPlanVersion,
    ToleranceWindow,
)
from tests.clients.factories import ClientFactory
from tests.safety.helpers import OVERDOSE, STEPS


def _next_number(version: Any) -> int:
    last = version.plan.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


class SafetyPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafetyPlan

    client = factory.SubFactory(ClientFactory)


class SafetyPlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafetyPlanVersion

    plan = factory.SubFactory(SafetyPlanFactory)
    number = factory.LazyAttribute(_next_number)
    crisis_lines = "988 Suicide & Crisis Lifeline: call or text 988, any time"
    review_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(28))
    reason = "Reviewed together"
    created_by = factory.SelfAttribute("plan.client.therapist")

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> SafetyPlanVersion:
        return super()._create(model_class, *args, **{**STEPS, **kwargs})


class OverdosePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OverdosePlan

    client = factory.SubFactory(ClientFactory)


class OverdosePlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OverdosePlanVersion

    plan = factory.SubFactory(OverdosePlanFactory)
    number = factory.LazyAttribute(_next_number)
    review_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(28))
    reason = "Reviewed together"
    created_by = factory.SelfAttribute("plan.client.therapist")

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> OverdosePlanVersion:
        return super()._create(model_class, *args, **{**OVERDOSE, **kwargs})


class ToleranceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToleranceWindow

    client = factory.SubFactory(ClientFactory)
    reason = ToleranceWindow.Reason.RELEASE
    start_date = factory.LazyFunction(timezone.localdate)
    end_date = factory.LazyAttribute(lambda w: w.start_date + datetime.timedelta(days=27))
    note = "Out on Monday after six months"
    created_by = factory.SelfAttribute("client.therapist")
