"""A client with `n` events of every kind the chart's Timeline lists (and what the Overview
shows), for the query-count tests at one row and at many."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client, TherapistAssignment
from goals.models import Goal
from hrp.accounts.models import User
from sessions.models import NoteStatus
from tests.assessments.factories import AdministrationFactory
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory, ConsentFactory, SubstanceUseFactory
from tests.goals.factories import GoalFactory, GoalReviewFactory, UseCheckInFactory, weeks_ago
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section
from tests.linkage.factories import ServiceReferralFactory
from tests.risk.factories import RiskFlagFactory
from tests.safety.factories import (
    OverdosePlanFactory,
    OverdosePlanVersionFactory,
    SafetyPlanFactory,
    SafetyPlanVersionFactory,
    ToleranceWindowFactory,
)
from tests.sessions.factories import (
    AppointmentFactory,
    OutsideContactFactory,
    SessionNoteFactory,
    at,
    sign_contact,
)
from tests.supplies.factories import SupplyRecordFactory

# Every kind registered by the apps of this branch, and the ones a client with events of
# every kind has on the first page of the Timeline.
RECURRING_KINDS = [
    "assignment",
    "consent_signed",
    "consent_revoked",
    "appointments",
    "notes",
    "plan_versions",
    "goals",
    "goal_reviews",
    "measures",
    "harm_assessments",
]
ONCE_KINDS = ["intake_started", "intake_completed", "discharge"]
ALL_KINDS = ONCE_KINDS + RECURRING_KINDS


def day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


def record_with_events(therapist: User, n: int, *, discharged: bool = True) -> Client:
    """A client whose intake, discharge and current assignment happened today, with `n` events
    of each other kind, one of each a day from yesterday back (so every page of the Timeline
    holds every kind), and n - 1 earlier assignments: 3 + 11n events in all (two appointments
    a day, one missed, one attended)."""
    now = timezone.now()
    client = ClientFactory(
        therapist=therapist,
        created_at=now - datetime.timedelta(minutes=30),
        intake__completed_at=now - datetime.timedelta(minutes=20),
        status=Client.Status.DISCHARGED if discharged else Client.Status.ACTIVE,
        discharged_on=timezone.localdate() if discharged else None,
    )
    alcohol = SubstanceUseFactory(client=client)
    plan = PlanFactory(client=client)
    for index in range(1, n + 1):
        when = day(index)
        if index < n:  # earlier, ended assignments (the current one, today, came with the factory)
            TherapistAssignment.objects.create(
                client=client,
                therapist=therapist,
                assigned_by=therapist,
                started_at=at(when, "08:00"),
                ended_at=at(when, "08:30"),
                reason=f"Cover {index}",
            )
        ConsentFactory(
            client=client,
            recipient=f"Agency {index}",
            signed_on=when,
            effective_on=when,
            revoked_on=when,
            revoked_by="The client",
        )
        # A missed session at 09:00 and an attended one at 10:00 with its signed note.
        AppointmentFactory(
            client=client,
            starts_at=at(when, "09:00"),
            ends_at=at(when, "09:50"),
            status="no_show",
        )
        appointment = AppointmentFactory(
            client=client,
            starts_at=at(when, "10:00"),
            ends_at=at(when, "10:50"),
            status="attended",
        )
        SessionNoteFactory(
            appointment=appointment,
            status=NoteStatus.SIGNED,
            signed_at=at(when, "11:00"),
            signed_by=therapist,
            content_hash="0" * 64,  # built signed, not through the service
        )
        PlanVersionFactory(
            plan=plan,
            created_at=at(when, "11:30"),
            created_by=therapist,
            reason=f"Change {index}",
            sections=[plan_section(name="Alcohol", max_days_per_week=2)],
        )
        goal = GoalFactory(
            client=client,
            substance=alcohol,
            client_words=f"Goal {index}",
            created_at=at(when, "13:00"),
            start_date=when,
            review_date=day(-28),
            status=Goal.Status.ACTIVE,
        )
        GoalReviewFactory(goal=goal, reviewed_on=when)
        AdministrationFactory(
            client=client,
            measure_code="PHQ9",
            raw_total=index % 20,
            administered_at=at(when, "14:00"),
        )
        # Strengths in each (issue 16): the Overview reads only the latest one's.
        HarmAssessmentFactory(
            client=client, assessed_on=when, strengths=f"Kept to the plan {index} times."
        )
    for weeks in (1, 2):
        UseCheckInFactory(
            client=client,
            substance=alcohol,
            week_start=weeks_ago(weeks),
            use_days=3,
            days_above_plan=1,
        )
    return client


def add_care_records(client: Client, therapist: User, n: int) -> Client:
    """`n` of each record the apps of issue 15 put on the Overview and the Timeline: open
    risk flags, signed contacts outside sessions, referrals, safety and overdose prevention
    plan versions, periods of lower tolerance (the latest open today) and supplies given, one
    of each a day from yesterday back."""
    safety_plan = SafetyPlanFactory(client=client)
    overdose_plan = OverdosePlanFactory(client=client)
    for index in range(1, n + 1):
        when = day(index)
        RiskFlagFactory(
            client=client,
            kind="overdose" if index % 2 else "suicide",
            opened_at=at(when, "15:00"),
            opened_by=therapist,
        )
        sign_contact(
            OutsideContactFactory(client=client, author=therapist, occurred_at=at(when, "16:00"))
        )
        ServiceReferralFactory(client=client, created_by=therapist, created_at=at(when, "16:30"))
        SafetyPlanVersionFactory(
            plan=safety_plan, created_by=therapist, created_at=at(when, "17:00")
        )
        OverdosePlanVersionFactory(
            plan=overdose_plan, created_by=therapist, created_at=at(when, "17:30")
        )
        ToleranceWindowFactory(
            client=client,
            created_by=therapist,
            start_date=when,
            end_date=when + datetime.timedelta(days=27),
        )
        SupplyRecordFactory(client=client, recorded_by=therapist, given_on=when)
    return client
