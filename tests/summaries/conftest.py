"""A client seeded with a known period of work, so every figure of the summary is exact."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from assessments.measures import MEASURES
from clients.models import Client, SubstanceUse
from goals.models import Goal, GoalReview
from hrp.accounts.models import User
from hrp.celery import app as celery_app
from sessions.models import Appointment, RatingAlert
from tests.assessments.factories import AdministrationFactory, answers_for, local_noon
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.conftest import unreachable_redis_url
from tests.goals.factories import GoalFactory, GoalReviewFactory, UseCheckInFactory, weeks_ago
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory, at, days_from_today


@dataclass(frozen=True)
class Seeded:
    client: Client
    start: datetime.date
    end: datetime.date
    alcohol: SubstanceUse
    cannabis: SubstanceUse


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, legal_name="Robin Example", preferred_name="Robin")


def _appointment(client: Client, days: int, status: str) -> Appointment:
    return AppointmentFactory(
        client=client, starts_at=at(days_from_today(days), "10:00"), status=status
    )


def _rated(client: Client, days: int, ratings: tuple[int, int, int, int]) -> Appointment:
    appointment = _appointment(client, days, Appointment.Status.ATTENDED)
    heard, wanted, approach, overall = ratings
    SessionNoteFactory(
        appointment=appointment,
        rating_heard=heard,
        rating_wanted=wanted,
        rating_approach=approach,
        rating_overall=overall,
    )
    return appointment


def seed(client: Client) -> Seeded:
    """The last 90 days (today - 89 to today) of `client`, with things just outside it."""
    start, end = days_from_today(-89), days_from_today(0)
    status = Appointment.Status

    # Sessions: 4 attended (3 rated), 2 not attended, 1 + 1 cancelled, 1 moved (not counted),
    # and one attended before the period (not counted).
    _rated(client, -80, (8, 8, 8, 8))  # 32
    _rated(client, -50, (9, 9, 9, 9))  # 36
    alerted = _rated(client, -20, (7, 7, 7, 7))  # 28, with an alert
    RatingAlert.objects.create(
        note=alerted.note, client=client, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=28
    )
    _appointment(client, -10, status.ATTENDED)  # no note, no rating
    _appointment(client, -70, status.NO_SHOW)
    _appointment(client, -40, status.NO_SHOW)
    _appointment(client, -30, status.CANCELLED_CLIENT)
    _appointment(client, -25, status.CANCELLED_CLINIC)
    _appointment(client, -15, status.RESCHEDULED)
    _rated(client, -120, (1, 1, 1, 1))  # before the period

    # Goals: an active one reviewed in the period (and once before it), an achieved one
    # reviewed in the period, one set aside before the period (left out).
    alcohol = SubstanceUseFactory(client=client, substance=SubstanceUse.Substance.ALCOHOL)
    cannabis = SubstanceUseFactory(client=client, substance=SubstanceUse.Substance.CANNABIS)
    active = GoalFactory(
        client=client,
        substance=alcohol,
        client_words="Drink on three days a week at most",
        start_date=days_from_today(-200),
        review_date=days_from_today(20),
    )
    GoalReviewFactory(goal=active, reviewed_on=days_from_today(-150), what_happened="Before")
    GoalReviewFactory(goal=active, reviewed_on=days_from_today(-20), what_happened="Mostly")
    achieved = GoalFactory(
        client=client,
        kind=Goal.Kind.LIFE,
        substance=None,
        target="",
        target_value=None,
        client_words="Walk to work twice a week",
        start_date=days_from_today(-100),
        review_date=days_from_today(-5),
        status=Goal.Status.ACHIEVED,
    )
    GoalReviewFactory(
        goal=achieved,
        reviewed_on=days_from_today(-5),
        decision=GoalReview.Decision.ACHIEVED,
        next_review_date=None,
        what_happened="Walked every week",
    )
    set_aside = GoalFactory(
        client=client,
        substance=cannabis,
        client_words="Only smoke after work",
        start_date=days_from_today(-300),
        review_date=days_from_today(-150),
        status=Goal.Status.SET_ASIDE,
    )
    GoalReviewFactory(
        goal=set_aside,
        reviewed_on=days_from_today(-150),
        decision=GoalReview.Decision.SET_ASIDE,
        next_review_date=None,
    )

    # Use: alcohol 4 weeks (3 days above plan of 28), cannabis 1 week all above plan, and a
    # week before the period (left out).
    for weeks, use_days, above in ((4, 2, 0), (3, 4, 1), (2, 3, 0), (1, 5, 2)):
        UseCheckInFactory(
            client=client,
            substance=alcohol,
            week_start=weeks_ago(weeks),
            use_days=use_days,
            days_above_plan=above,
        )
    UseCheckInFactory(
        client=client, substance=alcohol, week_start=weeks_ago(20), use_days=7, days_above_plan=7
    )
    UseCheckInFactory(
        client=client, substance=cannabis, week_start=weeks_ago(2), use_days=7, days_above_plan=7
    )

    # Measures: PHQ-9 12 -> (20 corrected to 15) -> 7, GAD-7 3; one PHQ-9 before the period.
    AdministrationFactory(
        client=client, measure_code="PHQ9", raw_total=9, administered_at=local_noon(100)
    )
    AdministrationFactory(
        client=client, measure_code="PHQ9", raw_total=12, administered_at=local_noon(60)
    )
    wrong = AdministrationFactory(
        client=client, measure_code="PHQ9", raw_total=20, administered_at=local_noon(40)
    )
    AdministrationFactory(
        client=client,
        measure_code="PHQ9",
        answers=answers_for(MEASURES["PHQ9"], 15),
        administered_at=local_noon(39),
        corrects=wrong,
        correction_reason="Item 4 was entered wrongly",
    )
    AdministrationFactory(
        client=client, measure_code="PHQ9", raw_total=7, administered_at=local_noon(10)
    )
    AdministrationFactory(
        client=client, measure_code="GAD7", raw_total=3, administered_at=local_noon(30)
    )
    return Seeded(client, start, end, alcohol, cannabis)


@pytest.fixture
def seeded(record: Client) -> Seeded:
    return seed(record)


@contextmanager
def broker_down() -> Iterator[None]:
    """Tasks are published (not run eagerly) to a Redis that refuses connections while this is
    open, so publishing fails as it does when Redis is down."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    with unreachable_redis_url() as url:
        conf.task_always_eager = False
        conf.broker_url = url
        # Celery caches its connection and producer pools; drop them so the URL takes effect.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        try:
            yield
        finally:
            conf.task_always_eager, conf.broker_url = saved
            celery_app._pool = None
            celery_app.amqp._producer_pool = None
