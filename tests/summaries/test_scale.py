"""Summaries at the size of a large agency: a summary's queries do not grow with the client's
history, a group of summaries reads its figures in the queries of one, and the monthly round
publishes one task per group."""

from __future__ import annotations

import dataclasses
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client, SubstanceUse
from goals.models import Goal, GoalReview
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from sessions.models import Appointment
from summaries import selectors, services
from summaries.models import SummaryRequest
from tests.assessments.factories import AdministrationFactory, local_noon
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.goals.factories import GoalFactory, GoalReviewFactory, UseCheckInFactory, weeks_ago
from tests.rows import postgres_only, rows_fetched
from tests.sessions.factories import AppointmentFactory, SessionNoteFactory, at, days_from_today
from tests.summaries.conftest import Seeded, seed

pytestmark = pytest.mark.django_db

# The figures of a group of client summaries, however many clients and however long their
# history: the clients with their header data, 3 flag prefetches (administrations, harm
# assessments, open goals), then attendance, goals, their reviews, check-ins,
# measures, ratings, supplies and referrals, the latest harm assessment's strengths (issue 16;
# the intake's come with the client) (the clinic's threshold comes from the settings cache,
# warmed here).
SUMMARY_DATA_QUERIES = 13
# Preparing one client summary on its own: claim (BEGIN, lock, UPDATE, COMMIT), the figures
# above, progress 40 and 70, store (BEGIN, UPDATE, COMMIT).
SUMMARY_BUILD_QUERIES = 4 + SUMMARY_DATA_QUERIES + 2 + 3
# A group of summaries: the group's rows, its figures, then for each summary the claim,
# progress and store (the figures are already read).
GROUP_FIXED_QUERIES = 1 + SUMMARY_DATA_QUERIES
GROUP_QUERIES_PER_SUMMARY = 4 + 2 + 3


@pytest.fixture(autouse=True)
def _settings_cached() -> None:
    # The clinic's settings are read from their cache; a cold cache adds one query to
    # whichever measurement comes first.
    clinic_setting("RATING_ALERT_THRESHOLD")


def _queued(client: Client, start: datetime.date, end: datetime.date) -> SummaryRequest:
    return SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.MONTHLY, client=client, period_start=start, period_end=end
    )


def _add_history(client: Client, years: int) -> None:
    """`years` of work before the seeded period: sessions with rated notes, check-ins,
    measures and goals with reviews, none of which a summary of the period shows."""
    opioids = SubstanceUse.Substance.OPIOIDS_PRESCRIBED
    alcohol = SubstanceUseFactory(client=client, substance=opioids)
    for year in range(years):
        for month in range(12):
            days = -100 - 365 * year - 30 * month
            appointment = AppointmentFactory(
                client=client,
                starts_at=at(days_from_today(days), "10:00"),
                status=Appointment.Status.ATTENDED,
            )
            SessionNoteFactory(
                appointment=appointment,
                rating_heard=6,
                rating_wanted=6,
                rating_approach=6,
                rating_overall=6,
            )
            UseCheckInFactory(
                client=client, substance=alcohol, week_start=weeks_ago(16 + 52 * year + 4 * month)
            )
            AdministrationFactory(
                client=client, measure_code="GAD7", raw_total=9, administered_at=local_noon(-days)
            )
        old = GoalFactory(
            client=client,
            substance=alcohol,
            start_date=days_from_today(-500 - 365 * year),
            review_date=days_from_today(-400 - 365 * year),
            status=Goal.Status.SET_ASIDE,
        )
        GoalReviewFactory(
            goal=old,
            reviewed_on=days_from_today(-400 - 365 * year),
            decision=GoalReview.Decision.SET_ASIDE,
            next_review_date=None,
        )


def _queries(action: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()  # type: ignore[operator]
    return len(captured)


@postgres_only
def test_a_summary_reads_the_same_queries_and_rows_with_years_of_history(seeded: Seeded) -> None:
    before = _queued(seeded.client, seeded.start, seeded.end)
    with rows_fetched() as short:
        services.summary_build(summary_id=before.pk)
    html_before = SummaryRequest.objects.get(pk=before.pk).html_body()

    _add_history(seeded.client, years=3)
    after = SummaryRequest.objects.create(
        client=seeded.client, period_start=seeded.start, period_end=seeded.end
    )
    with rows_fetched() as long:
        services.summary_build(summary_id=after.pk)

    assert (short.queries, long.queries) == (SUMMARY_BUILD_QUERIES, SUMMARY_BUILD_QUERIES)
    assert long.rows == short.rows
    # History outside the period changes nothing the summary shows (but the time prepared).
    html_after = SummaryRequest.objects.get(pk=after.pk).html_body()
    assert html_before is not None and html_after is not None
    assert _without_prepared_at(html_after) == _without_prepared_at(html_before)


def _without_prepared_at(html: str) -> str:
    # "prepared 4 Dec 2026, 14:30" up to the end of its paragraph.
    return re.sub(r"prepared [^<]*", "prepared", html, count=1)


def test_a_group_reads_its_figures_in_the_queries_of_one_summary(therapist: User) -> None:
    clients = [ClientFactory(therapist=therapist) for _ in range(4)]
    for client in clients:
        seed(client)
    start, end = days_from_today(-89), days_from_today(0)
    one = selectors.summary_clients([clients[0].pk])
    many = selectors.summary_clients([c.pk for c in clients])

    assert _queries(lambda: selectors.summaries_data(list(one.values()), start, end)) == _queries(
        lambda: selectors.summaries_data(list(many.values()), start, end)
    )
    assert _queries(
        lambda: selectors.summaries_data(
            list(selectors.summary_clients([c.pk for c in clients]).values()), start, end
        )
    ) == (SUMMARY_DATA_QUERIES)


def test_a_group_gives_each_client_the_figures_of_their_own_summary(
    seeded: Seeded, therapist: User
) -> None:
    other = ClientFactory(therapist=therapist)
    AppointmentFactory(
        client=other,
        starts_at=at(days_from_today(-3), "09:00"),
        status=Appointment.Status.NO_SHOW,
    )
    empty = ClientFactory(therapist=therapist)
    group = selectors.summary_clients([seeded.client.pk, other.pk, empty.pk])

    together = selectors.summaries_data(list(group.values()), seeded.start, seeded.end)

    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    for client in (seeded.client, other, empty):
        alone = selectors.summary_data(
            selectors.summary_client(client.pk), seeded.start, seeded.end
        )
        assert dataclasses.replace(together[client.pk], prepared_at=moment) == (
            dataclasses.replace(alone, prepared_at=moment)
        )
    attended = together[seeded.client.pk].attendance.attended
    assert (attended, together[other.pk].attendance.missed) == (4, 1)
    assert together[empty.pk].attendance.total == 0


def test_a_group_costs_a_fixed_number_of_queries_per_summary(therapist: User) -> None:
    clients = [ClientFactory(therapist=therapist) for _ in range(3)]
    for client in clients:
        seed(client)
    start, end = days_from_today(-89), days_from_today(0)
    one = [_queued(clients[0], start, end).pk]
    three = [_queued(c, start, end).pk for c in clients[1:]] + [
        SummaryRequest.objects.create(client=clients[0], period_start=start, period_end=end).pk
    ]

    assert _queries(lambda: services.summaries_build(summary_ids=one)) == (
        GROUP_FIXED_QUERIES + GROUP_QUERIES_PER_SUMMARY
    )
    assert _queries(lambda: services.summaries_build(summary_ids=three)) == (
        GROUP_FIXED_QUERIES + 3 * GROUP_QUERIES_PER_SUMMARY
    )
    assert (
        list(SummaryRequest.objects.filter(pk__in=one + three).values_list("status", flat=True))
        == ["done"] * 4
    )


def test_a_group_stores_what_one_at_a_time_stores(seeded: Seeded) -> None:
    alone = _queued(seeded.client, seeded.start, seeded.end)
    grouped = SummaryRequest.objects.create(
        client=seeded.client, period_start=seeded.start, period_end=seeded.end
    )

    assert services.summary_build(summary_id=alone.pk) == "done"
    assert services.summaries_build(summary_ids=[grouped.pk, alone.pk]) == {
        "done": 1,
        "skipped": 1,  # already done: idempotent as one at a time
    }

    alone.refresh_from_db()
    grouped.refresh_from_db()
    assert (grouped.status, grouped.progress, grouped.attempts, grouped.error_code) == (
        "done",
        100,
        1,
        "",
    )
    assert grouped.hash_verified()
    assert _without_prepared_at(grouped.html_body() or "") == _without_prepared_at(
        alone.html_body() or ""
    )


def test_a_group_past_its_budget_hands_the_rest_to_a_new_task(therapist: User) -> None:
    start, end = days_from_today(-30), days_from_today(0)
    ids = [_queued(ClientFactory(therapist=therapist), start, end).pk for _ in range(2)]

    # Tasks run in-process in tests: the handed-on group is prepared at once.
    assert services.summaries_build(summary_ids=ids, budget_seconds=0) == {"handed_on": 2}

    rows = SummaryRequest.objects.filter(pk__in=ids)
    assert sorted(rows.values_list("status", "attempts")) == [("done", 1), ("done", 1)]
