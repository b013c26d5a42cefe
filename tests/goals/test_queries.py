"""Goal pages issue a fixed number of queries, whatever the number of goals, reviews, check-ins
or clients.

Each count is pinned at one row and at many, with the same number: a query per row would make
the larger case fail. Every count includes the three queries of any signed-in request (session,
user, two-factor device).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client, SubstanceUse
from goals.models import Goal
from hrp.accounts.models import User
from tests.budgets import CASELOAD_QUERIES
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.goals.factories import (
    GoalFactory,
    GoalReviewFactory,
    UseCheckInFactory,
    days_from_today,
    weeks_ago,
)

ClientFor = Callable[[User | None], HttpClient]

# + client, 2 assessment prefetches, open goals prefetch, plan version, goals, their reviews,
#   the harms they answer, check-ins, the harms no goal answers yet, access event, the latest
#   harm assessment's strengths (issue 16; the intake's come with the client)
SECTION_QUERIES = 15
# + client, goal, its reviews, their reviewers, the harms it answers, access event, check-ins,
#   the goal revising it
GOAL_QUERIES = 11
# A goal closed by "revise" has one review linking to the new goal: one more prefetch, however
# many reviews it has.
REVISED_GOAL_QUERIES = GOAL_QUERIES + 1
# + clients, open goals prefetch (the list loads only what it shows)
REVIEWS_DUE_QUERIES = 5


def _goal_with_history(client: Client, substance: SubstanceUse, *, reviews: int) -> Goal:
    """An active goal, overdue for review, with `reviews` earlier "keep going" reviews and the
    revised goal it replaced."""
    earlier = GoalFactory(
        client=client,
        substance=substance,
        status=Goal.Status.REVISED,
        start_date=days_from_today(-200),
        review_date=days_from_today(-120),
    )
    goal = GoalFactory(
        client=client,
        substance=substance,
        revised_from=earlier,
        start_date=days_from_today(-120),
        review_date=days_from_today(-1),
    )
    GoalReviewFactory(
        goal=earlier,
        reviewed_on=days_from_today(-120),
        decision="revise",
        next_review_date=None,
        new_goal=goal,
    )
    for index in range(reviews):
        GoalReviewFactory(
            goal=goal,
            reviewed_on=days_from_today(-110 + 10 * index),
            next_review_date=days_from_today(-100 + 10 * index),
        )
    return goal


def _check_ins(client: Client, substance: SubstanceUse, weeks: int) -> None:
    for index in range(weeks):
        UseCheckInFactory(
            client=client,
            substance=substance,
            week_start=weeks_ago(index + 1),
            use_days=index % 7,
            days_above_plan=index % 3 if index % 7 >= 2 else 0,
        )


@pytest.fixture
def plan_record(therapist: User, request: pytest.FixtureRequest) -> Client:
    """One goal with one review and one check-in, or ("many") 8 goals over 2 substances, each
    with 3 reviews and a revised predecessor, a life goal, 12 weeks of check-ins and closed
    goals."""
    client = ClientFactory(therapist=therapist)
    alcohol = SubstanceUseFactory(client=client, substance=SubstanceUse.Substance.ALCOHOL)
    if request.param == "one":
        _goal_with_history(client, alcohol, reviews=1)
        _check_ins(client, alcohol, 1)
        return client
    cannabis = SubstanceUseFactory(client=client, substance=SubstanceUse.Substance.CANNABIS)
    for index in range(7):
        _goal_with_history(client, alcohol if index % 2 else cannabis, reviews=3)
    GoalFactory(client=client, kind=Goal.Kind.LIFE, substance=None, target="", target_value=None)
    GoalFactory(client=client, substance=alcohol, status=Goal.Status.ACHIEVED)
    GoalFactory(client=client, substance=cannabis, status=Goal.Status.SET_ASIDE)
    _check_ins(client, alcohol, 12)
    _check_ins(client, cannabis, 12)
    return client


@pytest.mark.parametrize("plan_record", ["one", "many"], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_chart_section_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    plan_record: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("goals:section", kwargs={"pk": plan_record.pk})

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    open_goals = 1 if plan_record.goals.count() == 2 else 8
    assert len(response.context["open_goals"]) == open_goals
    assert [f.label for f in response.context["flags"]] == [
        f"Goal review overdue: {open_goals if open_goals == 1 else 7}"
    ]


@pytest.fixture
def detail_goal(therapist: User, request: pytest.FixtureRequest) -> Goal:
    """A goal with (reviews, weeks of check-ins) as the parameter gives."""
    reviews, weeks = request.param
    client = ClientFactory(therapist=therapist)
    alcohol = SubstanceUseFactory(client=client)
    goal = _goal_with_history(client, alcohol, reviews=reviews)
    _check_ins(client, alcohol, weeks)
    return goal


@pytest.mark.parametrize(
    "detail_goal",
    [(1, 1), (10, 1), (1, 12), (10, 12)],
    indirect=True,
    ids=["1-review-1-week", "10-reviews", "12-weeks", "10-reviews-12-weeks"],
)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_goal_detail_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    detail_goal: Goal,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("goals:goal", kwargs={"pk": detail_goal.client_id, "goal_pk": detail_goal.pk})

    with django_assert_num_queries(GOAL_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert len(response.context["progress"].weeks) == detail_goal.client.use_checkins.count()
    assert response.context["goal"].reviews.count() == detail_goal.reviews.count()


@pytest.mark.parametrize("reviews", [0, 9])
def test_revised_goal_queries(
    client_for: ClientFor, therapist: User, reviews: int, django_assert_num_queries
) -> None:
    client = ClientFactory(therapist=therapist)
    goal = _goal_with_history(client, SubstanceUseFactory(client=client), reviews=3)
    for index in range(reviews):  # "keep going" reviews before the one that revised it
        GoalReviewFactory(goal=goal.revised_from, reviewed_on=days_from_today(-200 + index))
    url = reverse("goals:goal", kwargs={"pk": client.pk, "goal_pk": goal.revised_from_id})
    web = client_for(therapist)

    with django_assert_num_queries(REVISED_GOAL_QUERIES):
        response = web.get(url)

    assert response.context["revised_into"] == goal
    assert goal.revised_from.reviews.count() == reviews + 1


def _caseload_of(therapist: User, size: int) -> list[Client]:
    """`size` active clients, each with a substance, an overdue goal with its history, a goal
    due this week, one due later, a closed one and 4 weeks of check-ins."""
    clients = []
    for _index in range(size):
        client = ClientFactory(therapist=therapist)
        alcohol = SubstanceUseFactory(client=client)
        _goal_with_history(client, alcohol, reviews=2)
        GoalFactory(client=client, substance=alcohol, review_date=days_from_today(5))
        GoalFactory(client=client, substance=alcohol, review_date=days_from_today(30))
        GoalFactory(client=client, substance=alcohol, status=Goal.Status.ACHIEVED)
        _check_ins(client, alcohol, 4)
        clients.append(client)
    return clients


@pytest.mark.parametrize("size", [1, 25])
def test_reviews_due_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(REVIEWS_DUE_QUERIES):
        response = web.get(reverse("goals:reviews_due"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == size
    assert {len(due) for _client, due, _plan in response.context["rows"]} == {2}


@pytest.mark.parametrize("size", [1, 25, 26])
def test_caseload_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == min(size, 25)
    assert [[f.label for f in flags] for _client, flags, _screening in rows] == [
        ["Goal review overdue: 1"]
    ] * len(rows)
    assert response.content.decode().count("3 <span") == min(size, 25)
    assert response.content.decode().count("(2 reviews due)") == min(size, 25)
