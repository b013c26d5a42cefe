"""A supervisee's caseload seeded with something, and something that must not count, in
every dashboard column (see `seed_every_column` for what each number should be)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from assessments.measures import MEASURES
from clients.models import Client, SubstanceUse
from hrp.accounts.models import User
from sessions.models import Appointment, RatingAlert, SessionNote
from sessions.selectors import week_start_of
from tests.assessments.factories import (
    AdministrationFactory,
    answers_for,
    follow_up_and_resolve,
    local_noon,
)
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.clients.factories import ClientFactory, ConsentFactory, SubstanceUseFactory
from tests.goals.factories import GoalFactory
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory, at

EXPECTED = {
    "caseload": 4,
    "sessions_week": 2,
    "late_notes": 2,
    "cosign": 1,
    "risk": 2,
    "screening": 1,
    "alerts": 1,
    "no_contact": 2,
    "reviews_overdue": 1,
    "measures_overdue": 1,
    "consents_expiring": 2,
    # Every active client of the seed: their intakes recommend an evaluation, none recorded.
    "medical": 4,
}


def today() -> datetime.date:
    return timezone.localdate()


def day(offset: int) -> datetime.date:
    return today() + datetime.timedelta(days=offset)


def signed_note(
    appointment: Appointment, *, status: str = SessionNote.Status.SIGNED
) -> SessionNote:
    """A note already signed (or waiting for co-signature), built directly: its content is
    not what these tests are about."""
    return SessionNoteFactory(
        appointment=appointment,
        status=status,
        signed_at=timezone.now(),
        signed_by=appointment.therapist,
        content_hash="0" * 64,
    )


def attended(client: Client, when: datetime.datetime) -> Appointment:
    return AppointmentFactory(client=client, starts_at=when, status=Appointment.Status.ATTENDED)


@dataclass
class Seeded:
    a: Client  # suicide-risk flag, late notes, alert, overdue goal, expiring consent
    b: Client  # overdose risk, no contact for 40 days, overdue measure
    c: Client  # suicide flag followed up; never seen, with the clinic 60 days
    d: Client  # on hold: severity flag, consent expiring in 30 days
    e: Client  # discharged: counts for nothing
    f: Client  # active, new this week: counts for the caseload only
    late: list[Appointment]
    cosign: SessionNote
    alert: RatingAlert


def seed_every_column(therapist: User) -> Seeded:
    """Seed `therapist`'s caseload for EXPECTED. Late sessions are 8+ days ago, so never this
    week's; this week's attended session has a signed note."""
    long_ago = timezone.now() - datetime.timedelta(days=60)
    # Every client's medical evaluation is still to be done unless a test records one (the
    # factory's default is "not needed").
    open_medical = {
        "intake__medical_evaluation": "recommended",
        "intake__medical_not_needed_reason": "",
    }
    a = ClientFactory(
        **open_medical, therapist=therapist, preferred_name="Ari", created_at=long_ago
    )
    b = ClientFactory(**open_medical, therapist=therapist, preferred_name="Bo", created_at=long_ago)
    c = ClientFactory(**open_medical, therapist=therapist, preferred_name="Cy", created_at=long_ago)
    d = ClientFactory(
        **open_medical, therapist=therapist, preferred_name="Di", status=Client.Status.ON_HOLD
    )
    e = ClientFactory(
        **open_medical,
        therapist=therapist,
        preferred_name="Ed",
        status=Client.Status.DISCHARGED,
        discharged_on=day(-3),
    )
    f = ClientFactory(**open_medical, therapist=therapist, preferred_name="Fi")

    # Sessions this week: attended Monday (signed), scheduled Sunday; not: cancelled
    # Wednesday, next Monday, last Sunday.
    monday = week_start_of(today())
    signed_note(attended(a, at(monday, "09:00")))
    AppointmentFactory(client=b, starts_at=at(monday + datetime.timedelta(days=6), "10:00"))
    AppointmentFactory(
        client=c,
        starts_at=at(monday + datetime.timedelta(days=2), "10:00"),
        status=Appointment.Status.CANCELLED_CLIENT,
    )
    AppointmentFactory(client=c, starts_at=at(monday + datetime.timedelta(days=7), "10:00"))
    AppointmentFactory(
        client=c,
        starts_at=at(monday - datetime.timedelta(days=1), "10:00"),
        status=Appointment.Status.NO_SHOW,
    )

    # Late: no note 8 days ago, a draft 9 days ago; not: signed 10 days ago, awaiting
    # co-signature 11 days ago (that one is the co-sign column's).
    late = [attended(a, at(day(-9), "10:00")), attended(a, at(day(-8), "10:00"))]
    SessionNoteFactory(appointment=late[0])
    rated = signed_note(attended(a, at(day(-10), "10:00")))
    cosign = signed_note(
        attended(a, at(day(-11), "10:00")), status=SessionNote.Status.AWAITING_COSIGN
    )
    seen = signed_note(attended(a, at(day(-12), "10:00")))

    # Rating alerts: one open; one acknowledged.
    alert = RatingAlert.objects.create(
        note=rated, client=a, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=14
    )
    RatingAlert.objects.create(
        note=seen,
        client=a,
        reason=RatingAlert.Reason.DROP,
        total=20,
        acknowledged_at=timezone.now(),
        acknowledged_by=therapist,
    )

    # Risk: a (PHQ-9 item 9, no follow-up), b (overdose risk), d (AUDIT 22, on hold); not:
    # c (followed up), e (discharged).
    AdministrationFactory(client=a, answers=answers_for(MEASURES["PHQ9"], 27))
    SubstanceUseFactory(client=b, substance=SubstanceUse.Substance.HEROIN_FENTANYL)
    HarmAssessmentFactory(client=b, uses_alone=True)
    AdministrationFactory(client=d, measure_code="AUDIT", raw_total=22)
    follow_up_and_resolve(
        AdministrationFactory(client=c, answers=answers_for(MEASURES["PHQ9"], 27))
    )
    AdministrationFactory(client=e, answers=answers_for(MEASURES["PHQ9"], 27))

    # No contact for 30 days: b (last attended 40 days ago), c (never); not: a (this week),
    # f (with the clinic a day).
    signed_note(attended(b, at(day(-40), "10:00")))

    # Goal reviews: overdue on a; not: due in 3 days on a, overdue on d (on hold).
    GoalFactory(client=a, start_date=day(-30), review_date=day(-3))
    GoalFactory(client=a, start_date=day(-30), review_date=day(3))
    GoalFactory(client=d, start_date=day(-30), review_date=day(-3))

    # Measures: GAD-7 on b given 40 days ago (due after 4 weeks); not: c's given 28 days ago
    # (due today, not yet overdue).
    AdministrationFactory(
        client=b, measure_code="GAD7", raw_total=8, administered_at=local_noon(40)
    )
    AdministrationFactory(
        client=c, measure_code="GAD7", raw_total=8, administered_at=local_noon(28)
    )

    # Consents: a in 10 days, d in 30 days (on hold); not: b in 31 days, a revoked one, e's.
    ConsentFactory(client=a, expires_on=day(10))
    ConsentFactory(client=d, expires_on=day(30))
    ConsentFactory(client=b, expires_on=day(31))
    ConsentFactory(client=a, expires_on=day(5), revoked_on=day(-1), revoked_by="the client")
    ConsentFactory(client=e, expires_on=day(5))

    return Seeded(a, b, c, d, e, f, late, cosign, alert)
