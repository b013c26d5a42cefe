"""Fixtures for attendance reports: a mandated client of the assigned therapist, a consent in
force naming the agency, and (for the no-clinical-content tests) a record full of marker words."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.models import Client, Consent, Intake, SubstanceUse
from hrp.accounts.models import User
from tests.assessments.factories_harm import HarmAssessmentFactory, SubstancePatternFactory
from tests.clients.factories import MedicalEvaluationFactory, SubstanceUseFactory
from tests.disclosures.factories import AgencyConsentFactory, MandatedClientFactory
from tests.goals.factories import GoalFactory, GoalReviewFactory
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory, at

# One unique word per place clinical content lives; none may reach a report.
MARKERS = {
    "intake.reason_for_coming": "ZEBRAFINCH",
    "intake.client_goals": "MARIGOLDX",
    "medical_evaluation.findings": "HELIOTROPEQ",
    "intake.medical_not_needed_reason": "SALAMANDERWHY",
    "substance.substance_other": "QUOKKAWEED",
    "substance.amount": "TAMARINDOSE",
    "note.agenda": "PANGOLINAGENDA",
    "note.data": "OCELOTDATA",
    "note.assessment": "NARWHALASSESS",
    "note.plan": "AXOLOTLPLAN",
    "note.narrative": "CAPYBARANARR",
    "note.risk_actions": "KESTRELRISK",
    "note.next_time": "WOMBATNEXT",
    "goal.client_words": "FENNECGOAL",
    "goal.hypothesis": "GECKOHYPO",
    "review.what_happened": "IBISREVIEW",
    "harm.physical_words": "LORISHARM",
    "harm.benefits_of_use": "MANATEEBENEFIT",
    "pattern.with_whom": "TAPIRFRIEND",
    "appointment.location": "CASSOWARYROOM",
    "consent.scope_details": "KINKAJOUSCOPE",
}

PERIOD_START = timezone.localdate() - datetime.timedelta(days=60)
PERIOD_END = timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def record(therapist: User) -> Client:
    """A client mandated by "County Probation", on the assigned therapist's caseload."""
    return MandatedClientFactory(
        therapist=therapist,
        legal_name="Robin Example",
        preferred_name="Robin",
        date_of_birth=datetime.date(1990, 7, 4),
    )


@pytest.fixture
def consent(record: Client) -> Consent:
    return AgencyConsentFactory(client=record)


@pytest.fixture
def marked_record(record: Client, consent: Consent) -> Client:
    """`record` with every kind of clinical content, each holding a marker word, and two
    appointments in the period (one attended with a note, one moved)."""
    intake = record.intake
    intake.reason_for_coming = f"{MARKERS['intake.reason_for_coming']} in my words"
    intake.client_goals = f"{MARKERS['intake.client_goals']} as my goal"
    intake.medical_evaluation = Intake.MedicalDecision.NOT_NEEDED
    intake.medical_not_needed_reason = MARKERS["intake.medical_not_needed_reason"]
    intake.save()
    MedicalEvaluationFactory(client=record, findings=MARKERS["medical_evaluation.findings"])
    Consent.objects.filter(pk=consent.pk).update(scope_details=MARKERS["consent.scope_details"])
    substance = SubstanceUseFactory(
        client=record,
        substance=SubstanceUse.Substance.OTHER,
        substance_other=MARKERS["substance.substance_other"],
        amount=MARKERS["substance.amount"],
    )
    attended = AppointmentFactory(
        client=record,
        starts_at=at(PERIOD_START + datetime.timedelta(days=10), "10:00"),
        status="attended",
        location=MARKERS["appointment.location"],
    )
    AppointmentFactory(
        client=record,
        starts_at=at(PERIOD_START + datetime.timedelta(days=17), "10:00"),
        status="no_show",
        location=MARKERS["appointment.location"],
    )
    SessionNoteFactory(
        appointment=attended,
        agenda=MARKERS["note.agenda"],
        data=MARKERS["note.data"],
        assessment=MARKERS["note.assessment"],
        plan=MARKERS["note.plan"],
        narrative=MARKERS["note.narrative"],
        risk_actions=MARKERS["note.risk_actions"],
        next_time=MARKERS["note.next_time"],
    )
    goal = GoalFactory(
        client=record,
        substance=substance,
        client_words=MARKERS["goal.client_words"],
        hypothesis=MARKERS["goal.hypothesis"],
    )
    GoalReviewFactory(goal=goal, what_happened=MARKERS["review.what_happened"])
    assessment = HarmAssessmentFactory(
        client=record,
        physical_words=MARKERS["harm.physical_words"],
        benefits_of_use=MARKERS["harm.benefits_of_use"],
    )
    SubstancePatternFactory(assessment=assessment, with_whom=MARKERS["pattern.with_whom"])
    return record
