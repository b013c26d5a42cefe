"""Factories for the client record.

`ClientFactory` builds a client the way a finished intake leaves one (active, intake completed,
self-referred, one current therapist assignment) without going through the services, so tests
that are not about the audit trail start from a quiet one. Override the parts with the usual
factory-boy prefixes: `ClientFactory(intake__reason_for_coming="...", intake__completed_at=None)`.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from clients.models import (
    Client,
    Consent,
    IdentityDecision,
    Intake,
    MedicalEvaluation,
    Referral,
    SubstanceUse,
    TherapistAssignment,
)
from tests.factories import TherapistFactory


def _today() -> datetime.date:
    return timezone.localdate()


class IntakeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intake

    client = None  # set by ClientFactory
    reason_for_coming = "I want my weekends back."
    client_goals = "Go out with friends without losing whole nights."
    current_step = Intake.Step.REVIEW
    # A factory client raises no medical-evaluation flag unless a test asks for one (tests of
    # that rule set the decision: tests/clients/test_medical.py), so other tests' flag lists
    # hold only what they are about.
    medical_evaluation = Intake.MedicalDecision.NOT_NEEDED
    medical_not_needed_reason = "Seen by their own doctor last month."
    completed_at = factory.LazyFunction(timezone.now)
    completed_by = factory.LazyAttribute(lambda o: o.client.therapist)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    client = None  # set by ClientFactory
    source = Referral.Source.SELF


class TherapistAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TherapistAssignment

    client = None  # set by ClientFactory
    therapist = factory.LazyAttribute(lambda o: o.client.therapist)
    assigned_by = factory.LazyAttribute(lambda o: o.client.therapist)
    reason = "Intake"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    chart_number = factory.Sequence(lambda n: f"C-T{n:05d}")
    legal_name = factory.Sequence(lambda n: f"Legal Person {n:05d}")
    preferred_name = factory.Sequence(lambda n: f"Client {n:05d}")
    # A legal identity on file by default: most tests are about something else, and a record
    # without one carries the "identity not recorded" flag (issue 21).
    date_of_birth = datetime.date(1985, 6, 15)
    pronouns = "they/them"
    status = Client.Status.ACTIVE
    therapist = factory.SubFactory(TherapistFactory)
    created_by = factory.SelfAttribute("therapist")

    class Params:
        # Known only by the name they chose: no legal name, no date of birth (issue 21).
        pseudonymous = factory.Trait(legal_name="", date_of_birth=None)

    intake = factory.RelatedFactory(IntakeFactory, factory_related_name="client")
    referral = factory.RelatedFactory(ReferralFactory, factory_related_name="client")
    assignment = factory.RelatedFactory(TherapistAssignmentFactory, factory_related_name="client")


class ConsentFactory(factory.django.DjangoModelFactory):
    """A consent in force for most of a year, signed ten days ago."""

    class Meta:
        model = Consent

    client = factory.SubFactory(ClientFactory)
    recipient = factory.Sequence(lambda n: f"Recipient {n}")
    purpose = "Confirm attendance"
    scope = Consent.Scope.ATTENDANCE
    signed_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=10))
    effective_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=10))
    expires_on = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=300))
    created_by = factory.SelfAttribute("client.therapist")


class SubstanceUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubstanceUse

    client = factory.SubFactory(ClientFactory)
    substance = SubstanceUse.Substance.ALCOHOL
    amount = "4-5 drinks"
    frequency = "weekends"
    route = "oral"
    setting = "bars with friends"
    last_use = "last Saturday"
    goal = SubstanceUse.Goal.MODERATION
    stage_of_change = SubstanceUse.Stage.CONTEMPLATION


class MedicalEvaluationFactory(factory.django.DjangoModelFactory):
    """A medical evaluation a week ago, with findings."""

    class Meta:
        model = MedicalEvaluation

    client = factory.SubFactory(ClientFactory)
    evaluated_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=7))
    evaluated_by = "Eastside Health Center"
    findings = "Liver tests slightly raised; repeat in two months."
    recorded_by = factory.LazyAttribute(lambda o: o.client.therapist)


class IdentityDecisionFactory(factory.django.DjangoModelFactory):
    """Two records with the same legal name and date of birth, kept apart by a clinician."""

    class Meta:
        model = IdentityDecision

    client = factory.SubFactory(ClientFactory)
    other = factory.SubFactory(ClientFactory)
    decision = IdentityDecision.Decision.KEPT_APART
    decided_by = factory.SelfAttribute("client.therapist")
