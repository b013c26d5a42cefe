"""Goals as hypotheses: what each review decision does to statuses and links, the validation of
targets and dates (in the service and on the form, which keeps what was typed), when a review
is "due" or "overdue", and the words: there is no "failed" anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, SubstanceUse
from goals import selectors, services
from goals.forms import GoalForm, ReviewForm
from goals.models import Goal, GoalReview, UseCheckIn
from hrp import bounds
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.clients.helpers import text
from tests.goals.factories import GoalFactory, GoalReviewFactory, days_from_today
from tests.goals.helpers import form_values

ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def goal(record: Client, alcohol: SubstanceUse) -> Goal:
    return GoalFactory(
        client=record,
        substance=alcohol,
        client_words="Drink on three days a week at most",
        start_date=days_from_today(-28),
        review_date=days_from_today(0),
    )


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything a goal write could change: goals, reviews, change events."""
    return (
        [model_to_dict(g) for g in Goal.objects.order_by("pk")],
        [model_to_dict(r) for r in GoalReview.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def _change_actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE)
        .order_by("id")
        .values_list("action", flat=True)
    )


def _review(decision: str, **values: Any) -> dict[str, Any]:
    return {
        "reviewed_on": timezone.localdate(),
        "what_happened": "Used on four days two weeks running; within the plan the other two.",
        "realistic": GoalReview.Realistic.PARTLY,
        "learned": "Fridays after work are the hard part.",
        "decision": decision,
        "next_review_date": None,
        **values,
    }


def _new_goal(substance: SubstanceUse | None, **values: Any) -> dict[str, Any]:
    return {
        "kind": Goal.Kind.MODERATION,
        "substance": substance,
        "client_words": "Drink on four days at most, then three",
        "hypothesis": "If I plan Fridays ahead, I expect fewer days above plan.",
        "target": Goal.Target.MAX_USE_DAYS,
        "target_value": Decimal(4),
        "target_unit": "",
        "start_date": timezone.localdate(),
        "review_date": days_from_today(28),
        **values,
    }


# --- Review decisions --------------------------------------------------------------------------


def test_keep_leaves_the_goal_active_with_the_next_review_date(therapist: User, goal: Goal) -> None:
    next_review = days_from_today(21)

    review = services.goal_review_record(
        actor=therapist,
        goal=goal,
        values=_review(GoalReview.Decision.KEEP, next_review_date=next_review),
    )

    goal.refresh_from_db()
    assert (goal.status, goal.review_date) == (Goal.Status.ACTIVE, next_review)
    assert (review.goal, review.decision, review.next_review_date, review.new_goal) == (
        goal,
        GoalReview.Decision.KEEP,
        next_review,
        None,
    )
    assert review.reviewed_by == therapist
    assert Goal.objects.count() == 1
    event = AuditEvent.objects.get(action="goal.review")
    assert event.changes == {
        "decision": [None, "keep"],
        "review_date": [timezone.localdate().isoformat(), next_review.isoformat()],
    }


@pytest.mark.parametrize(
    "next_review_days, message",
    [
        (None, "Choose the next review date."),
        (0, "The next review must be after this one."),
        (-1, "The next review must be after this one."),
    ],
)
def test_keep_needs_a_next_review_after_this_one(
    therapist: User, goal: Goal, next_review_days: int | None, message: str
) -> None:
    next_review = None if next_review_days is None else days_from_today(next_review_days)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_review_record(
            actor=therapist,
            goal=goal,
            values=_review(GoalReview.Decision.KEEP, next_review_date=next_review),
        )

    assert refused.value.message_dict == {"next_review_date": [message]}
    assert _state() == before


def test_revise_creates_a_linked_new_goal_and_the_old_one_becomes_revised(
    therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    review = services.goal_review_record(
        actor=therapist,
        goal=goal,
        values=_review(GoalReview.Decision.REVISE),
        new_goal_values=_new_goal(alcohol),
    )

    goal.refresh_from_db()
    new_goal = Goal.objects.exclude(pk=goal.pk).get()
    assert goal.status == Goal.Status.REVISED
    assert goal.review_date == timezone.localdate()  # the old goal keeps its own dates
    assert review.new_goal == new_goal
    assert new_goal.revised_from == goal
    assert goal.revised_into == new_goal
    assert new_goal.created_by_review == review
    assert (
        new_goal.status,
        new_goal.client,
        new_goal.substance,
        new_goal.client_words,
        new_goal.target,
        new_goal.target_value,
        new_goal.review_date,
    ) == (
        Goal.Status.ACTIVE,
        goal.client,
        alcohol,
        "Drink on four days at most, then three",
        Goal.Target.MAX_USE_DAYS,
        Decimal(4),
        days_from_today(28),
    )
    assert _change_actions() == ["goal.create", "goal.review"]
    assert AuditEvent.objects.get(action="goal.create").changes["revised_from"] == [
        None,
        goal.pk,
    ]


@pytest.mark.parametrize("new_goal_values", [None, {}])
def test_revise_without_the_new_goal_is_refused_and_stores_nothing(
    therapist: User, goal: Goal, new_goal_values: dict[str, Any] | None
) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_review_record(
            actor=therapist,
            goal=goal,
            values=_review(GoalReview.Decision.REVISE),
            new_goal_values=new_goal_values,
        )

    assert refused.value.message_dict == {"decision": ["Describe the new version of the goal."]}
    assert _state() == before


def test_revise_with_an_invalid_new_goal_leaves_the_old_goal_active(
    therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_review_record(
            actor=therapist,
            goal=goal,
            values=_review(GoalReview.Decision.REVISE),
            new_goal_values=_new_goal(alcohol, review_date=days_from_today(-1)),
        )

    assert refused.value.message_dict == {
        "review_date": ["The review date cannot be before the start date."]
    }
    assert _state() == before
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE


@pytest.mark.parametrize(
    "decision, status",
    [
        (GoalReview.Decision.ACHIEVED, Goal.Status.ACHIEVED),
        (GoalReview.Decision.SET_ASIDE, Goal.Status.SET_ASIDE),
    ],
)
def test_achieved_and_set_aside_close_the_goal(
    therapist: User, goal: Goal, decision: str, status: str
) -> None:
    review = services.goal_review_record(
        actor=therapist,
        goal=goal,
        # A next review date left over from the form means nothing for a closed goal.
        values=_review(decision, next_review_date=days_from_today(14)),
    )

    goal.refresh_from_db()
    review.refresh_from_db()
    assert (goal.status, goal.review_date, goal.is_open) == (status, timezone.localdate(), False)
    assert (review.decision, review.next_review_date, review.new_goal) == (decision, None, None)
    assert Goal.objects.count() == 1
    assert AuditEvent.objects.get(action="goal.review").changes == {
        "decision": [None, decision],
        "status": ["active", status],
    }
    assert selectors.open_goals(goal.client) == []


@pytest.mark.parametrize(
    "status", [Goal.Status.ACHIEVED, Goal.Status.REVISED, Goal.Status.SET_ASIDE]
)
@pytest.mark.parametrize("decision", GoalReview.Decision.values)
def test_a_closed_goal_cannot_be_reviewed(
    therapist: User, goal: Goal, alcohol: SubstanceUse, status: str, decision: str
) -> None:
    Goal.objects.filter(pk=goal.pk).update(status=status)
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_review_record(
            actor=therapist,
            goal=goal,
            values=_review(decision, next_review_date=days_from_today(14)),
            new_goal_values=_new_goal(alcohol),
        )

    assert refused.value.messages == ["This goal is no longer active; review its newer version."]
    assert _state() == before


def test_a_review_cannot_be_dated_before_the_goal_started(therapist: User, goal: Goal) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_review_record(
            actor=therapist,
            goal=goal,
            values=_review(GoalReview.Decision.ACHIEVED, reviewed_on=days_from_today(-29)),
        )

    assert refused.value.message_dict == {
        "reviewed_on": ["The review cannot be before the goal started."]
    }
    assert _state() == before


def test_a_review_cannot_be_dated_in_the_future() -> None:
    form = ReviewForm(
        {
            **_review(GoalReview.Decision.ACHIEVED, reviewed_on=days_from_today(1)),
            "next_review_date": "",
        }
    )

    assert form.errors == {"reviewed_on": [bounds.HISTORY.message(days_from_today(1))]}


def test_a_next_review_in_2500_is_refused(
    therapist: User,
) -> None:
    """Issue 13: dates go through hrp/bounds.py (PLANNING: at most ten years ahead)."""
    form = ReviewForm({**_review(GoalReview.Decision.KEEP), "next_review_date": "2500-01-01"})
    assert list(form.errors) == ["next_review_date"]
    assert form.errors["next_review_date"][0].startswith("Enter a date up to ")


# --- Review decisions through the page ---------------------------------------------------------


def _review_post(decision: str, **values: str) -> dict[str, str]:
    return {
        "reviewed_on": timezone.localdate().isoformat(),
        "what_happened": "Used on four days two weeks running.",
        "realistic": GoalReview.Realistic.PARTLY,
        "learned": "Fridays are the hard part.",
        "decision": decision,
        "next_review_date": "",
        **values,
    }


def _new_goal_post(substance: SubstanceUse, **values: str) -> dict[str, str]:
    fields = {
        "kind": Goal.Kind.MODERATION,
        "substance": str(substance.pk),
        "client_words": "Drink on four days at most, then three",
        "hypothesis": "If I plan Fridays ahead, I expect fewer days above plan.",
        "target": Goal.Target.MAX_USE_DAYS,
        "target_value": "4",
        "target_unit": "",
        "start_date": timezone.localdate().isoformat(),
        "review_date": days_from_today(28).isoformat(),
        **values,
    }
    return {f"new-{key}": value for key, value in fields.items()}


def _review_url(goal: Goal) -> str:
    return reverse("goals:goal_review", kwargs={"pk": goal.client_id, "goal_pk": goal.pk})


def _goal_url(goal: Goal) -> str:
    return reverse("goals:goal", kwargs={"pk": goal.client_id, "goal_pk": goal.pk})


def test_revising_on_the_page_links_both_goals(
    client_for: ClientFor, therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    web = client_for(therapist)

    response = web.post(_review_url(goal), {**_review_post("revise"), **_new_goal_post(alcohol)})

    goal.refresh_from_db()
    new_goal = Goal.objects.get(revised_from=goal)
    assert response.status_code == 302
    assert response["Location"] == _goal_url(new_goal)
    assert goal.status == Goal.Status.REVISED
    assert GoalReview.objects.get().new_goal == new_goal
    old_page, new_page = text(web.get(_goal_url(goal))), text(web.get(_goal_url(new_goal)))
    assert f'This goal was revised into <a href="{_goal_url(new_goal)}">a newer goal</a>' in (
        old_page
    )
    assert f'This goal revises <a href="{_goal_url(goal)}">an earlier goal</a>' in new_page
    assert "Review this goal" not in old_page
    assert "Review this goal" in new_page


def test_revising_on_the_page_without_the_new_goal_is_refused(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    before = _state()

    response = client_for(therapist).post(_review_url(goal), _review_post("revise"))

    assert response.status_code == 200
    assert _state() == before
    assert response.context["form"].errors == {
        "decision": ["Describe the new version of the goal."]
    }
    assert "Describe the new version of the goal." in text(response)
    assert response.context["new_goal_form"].errors["client_words"] == [
        "Write the goal as the client put it."
    ]


def test_a_refused_review_keeps_what_was_typed(
    client_for: ClientFor, therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    before = _state()
    post = {
        **_review_post("keep", what_happened="Three weeks within the plan, one above."),
        **_new_goal_post(alcohol),
    }

    response = client_for(therapist).post(_review_url(goal), post)

    assert response.status_code == 200
    assert _state() == before
    assert response.context["form"].errors == {"next_review_date": ["Choose the next review date."]}
    assert "Choose the next review date." in text(response)
    assert form_values(response) == post


def test_a_refused_revision_keeps_both_forms_as_typed(
    client_for: ClientFor, therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    before = _state()
    post = {
        **_review_post("revise", what_happened="Four days most weeks."),
        **_new_goal_post(
            alcohol,
            client_words="Four days at most",
            start_date=days_from_today(0).isoformat(),
            review_date=days_from_today(-1).isoformat(),
        ),
    }

    response = client_for(therapist).post(_review_url(goal), post)

    assert response.status_code == 200
    assert _state() == before
    assert response.context["form"].errors == {
        "decision": ["Describe the new version of the goal."]
    }
    assert response.context["new_goal_form"].errors == {
        "review_date": ["The review date cannot be before the start date."]
    }
    assert form_values(response) == post


def test_the_review_page_of_a_closed_goal_sends_back_to_the_goal(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ACHIEVED)
    web = client_for(therapist)

    response = web.get(_review_url(goal))

    assert response.status_code == 302
    assert response["Location"] == _goal_url(goal)
    assert "This goal is no longer active." in text(web.get(_goal_url(goal)))


def test_a_review_posted_for_a_goal_closed_meanwhile_is_a_conflict_that_keeps_the_text(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    """The same answer whether the other review committed before this one arrived or while it
    waited for the goal's lock (tests/goals/test_views.py, the race)."""
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ACHIEVED)
    before = _state()
    post = _review_post("keep", next_review_date=days_from_today(7).isoformat())

    response = client_for(therapist).post(_review_url(goal), post)

    assert response.status_code == 409
    assert "This goal is no longer active; review its newer version." in text(response)
    assert post["what_happened"] in text(response)
    assert _state() == before


# --- Goal validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, errors",
    [
        (
            {"start_date": days_from_today(0), "review_date": days_from_today(-1)},
            {"review_date": ["The review date cannot be before the start date."]},
        ),
        (
            {"target": Goal.Target.MAX_UNITS, "target_value": Decimal(-1)},
            {
                "target_value": [
                    "Ensure this value is greater than or equal to 0.",
                    "The target cannot be negative.",
                ]
            },
        ),
        (
            {"target": Goal.Target.MAX_USE_DAYS, "target_value": Decimal(8)},
            {"target_value": ["Use days a week is a whole number from 0 to 7."]},
        ),
        (
            {"target": Goal.Target.MAX_USE_DAYS, "target_value": Decimal("2.5")},
            {"target_value": ["Use days a week is a whole number from 0 to 7."]},
        ),
        (
            {"target": Goal.Target.MAX_USE_DAYS, "target_value": None},
            {"target_value": ["Enter the number for this target."]},
        ),
        (
            {"target": Goal.Target.CARRIES_NALOXONE, "target_value": Decimal(1)},
            {"target_value": ["This target has no number; leave it empty."]},
        ),
        (
            {"target": "", "target_value": Decimal(2)},
            {"target_value": ["This target has no number; leave it empty."]},
        ),
    ],
    ids=[
        "review-before-start",
        "negative",
        "use-days-8",
        "use-days-2.5",
        "no-number",
        "naloxone-number",
        "no-target-number",
    ],
)
def test_the_service_refuses_an_inconsistent_goal(
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    values: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_create(actor=therapist, client=record, values=_new_goal(alcohol, **values))

    assert refused.value.message_dict == errors
    assert _state() == before


@pytest.mark.parametrize(
    "values",
    [
        {"target": Goal.Target.MAX_USE_DAYS, "target_value": Decimal(0)},
        {"target": Goal.Target.MAX_USE_DAYS, "target_value": Decimal(7)},
        {"target": Goal.Target.MAX_UNITS, "target_value": Decimal("2.5"), "target_unit": "pints"},
        {"target": Goal.Target.CARRIES_NALOXONE, "target_value": None},
        {"target": "", "target_value": None},
        {"start_date": days_from_today(0), "review_date": days_from_today(0)},
    ],
    ids=["use-days-0", "use-days-7", "units-2.5", "naloxone", "no-target", "review-on-start"],
)
def test_the_service_accepts_a_consistent_goal(
    therapist: User, record: Client, alcohol: SubstanceUse, values: dict[str, Any]
) -> None:
    goal = services.goal_create(actor=therapist, client=record, values=_new_goal(alcohol, **values))

    goal.refresh_from_db()
    assert (goal.status, goal.client, goal.created_by, goal.revised_from) == (
        Goal.Status.ACTIVE,
        record,
        therapist,
        None,
    )
    assert goal.target_value == values.get("target_value", Decimal(4))
    assert _change_actions() == ["goal.create"]


def test_target_labels() -> None:
    def label(**values: Any) -> str:
        return Goal(**values).target_label

    assert label(target=Goal.Target.MAX_USE_DAYS, target_value=Decimal(3)) == (
        "at most 3 use days a week"
    )
    assert label(target=Goal.Target.MAX_UNITS, target_value=Decimal(2), target_unit="pints") == (
        "at most 2 pints per occasion"
    )
    assert label(target=Goal.Target.MAX_UNITS, target_value=Decimal("2.5")) == (
        "at most 2.5 units per occasion"
    )
    assert label(target=Goal.Target.CARRIES_NALOXONE) == "carries naloxone"
    assert label(target="") == ""


def test_the_service_refuses_another_clients_substance(therapist: User, record: Client) -> None:
    elsewhere = SubstanceUseFactory(client=ClientFactory(therapist=therapist))
    before = _state()

    with pytest.raises(ValidationError) as refused:
        services.goal_create(actor=therapist, client=record, values=_new_goal(elsewhere))

    assert refused.value.message_dict == {"substance": ["Choose one of this client's substances."]}
    assert _state() == before


def test_the_database_refuses_a_review_date_before_the_start(record: Client) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalFactory(client=record, start_date=days_from_today(0), review_date=days_from_today(-1))


def test_the_database_refuses_a_negative_target(record: Client) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalFactory(client=record, target=Goal.Target.MAX_UNITS, target_value=Decimal(-1))


def _goal_post(substance: SubstanceUse | None, /, **values: str) -> dict[str, str]:
    return {
        "kind": Goal.Kind.MODERATION,
        "substance": str(substance.pk) if substance is not None else "",
        "client_words": "Drink on three days a week at most",
        "hypothesis": "If I plan my weekends ahead, I expect to feel more in control.",
        "target": Goal.Target.MAX_USE_DAYS,
        "target_value": "3",
        "target_unit": "",
        "start_date": timezone.localdate().isoformat(),
        "review_date": days_from_today(28).isoformat(),
        **values,
    }


def test_a_therapist_adds_a_goal(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    response = client_for(therapist).post(
        reverse("goals:goal_create", kwargs={"pk": record.pk}), _goal_post(alcohol)
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _goal_url(goal)
    assert (
        goal.client,
        goal.kind,
        goal.substance,
        goal.target,
        goal.target_value,
        goal.start_date,
        goal.review_date,
        goal.status,
        goal.created_by,
    ) == (
        record,
        Goal.Kind.MODERATION,
        alcohol,
        Goal.Target.MAX_USE_DAYS,
        Decimal(3),
        timezone.localdate(),
        days_from_today(28),
        Goal.Status.ACTIVE,
        therapist,
    )
    assert _change_actions() == ["goal.create"]


def test_a_life_goal_needs_no_substance(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("goals:goal_create", kwargs={"pk": record.pk}),
        _goal_post(
            None,
            kind=Goal.Kind.LIFE,
            client_words="Swim on Saturday mornings",
            target="",
            target_value="",
        ),
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert (goal.kind, goal.substance, goal.target, goal.target_value) == (
        Goal.Kind.LIFE,
        None,
        "",
        None,
    )


@pytest.mark.parametrize(
    "values, errors",
    [
        (
            {"review_date": days_from_today(-1).isoformat()},
            {"review_date": ["The review date cannot be before the start date."]},
        ),
        (
            {"target_value": "-1", "target": Goal.Target.MAX_UNITS},
            {
                "target_value": [
                    "Ensure this value is greater than or equal to 0.",
                    "The target cannot be negative.",
                ]
            },
        ),
        (
            {"target_value": "8"},
            {"target_value": ["Use days a week is a whole number from 0 to 7."]},
        ),
        (
            {"target": Goal.Target.CARRIES_NALOXONE, "target_value": "1"},
            {"target_value": ["This target has no number; leave it empty."]},
        ),
        (
            {"substance": ""},
            {"substance": ["Choose the substance or behaviour this goal is about."]},
        ),
        (
            {"client_words": "", "hypothesis": ""},
            {
                "client_words": ["Write the goal as the client put it."],
                "hypothesis": ['State the goal as an experiment: "If I ..., I expect ..."'],
            },
        ),
        (
            {"review_date": ""},
            {"review_date": ["Choose when you will review the goal together."]},
        ),
    ],
    ids=[
        "review-before-start",
        "negative",
        "use-days-8",
        "naloxone-number",
        "no-substance",
        "no-words",
        "no-review-date",
    ],
)
def test_a_refused_goal_form_keeps_what_was_typed(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    values: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    before = _state()
    post = _goal_post(alcohol, **{"client_words": "Only weekends, and never alone", **values})

    response = client_for(therapist).post(
        reverse("goals:goal_create", kwargs={"pk": record.pk}), post
    )

    page = text(response)
    assert response.status_code == 200
    assert _state() == before
    assert response.context["form"].errors == errors
    assert [m for messages in errors.values() for m in messages if m not in page] == []
    assert form_values(response) == post


@pytest.mark.parametrize("field", ["client_words", "hypothesis"])
def test_words_of_only_spaces_are_refused(
    record: Client, alcohol: SubstanceUse, field: str
) -> None:
    form = GoalForm(_goal_post(alcohol, **{field: "   "}), client=record)

    assert list(form.errors) == [field]


def test_the_goal_form_offers_only_this_clients_substances(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    elsewhere = SubstanceUseFactory(client=ClientFactory(therapist=therapist))

    form = GoalForm(_goal_post(elsewhere), client=record)

    assert list(form.fields["substance"].queryset) == [alcohol]
    assert form.errors == {
        "substance": [
            "Select a valid choice. That choice is not one of the available choices.",
            "Choose the substance or behaviour this goal is about.",
        ]
    }


def test_posting_another_clients_substance_is_refused(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = SubstanceUseFactory(client=ClientFactory(therapist=therapist))
    before = _state()

    response = client_for(therapist).post(
        reverse("goals:goal_create", kwargs={"pk": record.pk}), _goal_post(elsewhere)
    )

    assert response.status_code == 200
    assert _state() == before
    assert response.context["form"].errors == {
        "substance": [
            "Select a valid choice. That choice is not one of the available choices.",
            "Choose the substance or behaviour this goal is about.",
        ]
    }


# --- Due and overdue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "days, state",
    [(-30, "overdue"), (-1, "overdue"), (0, "due"), (1, "due"), (7, "due"), (8, ""), (30, "")],
)
def test_review_state_at_the_date_edges(record: Client, days: int, state: str) -> None:
    goal = GoalFactory(
        client=record, start_date=days_from_today(-60), review_date=days_from_today(days)
    )

    assert goal.review_state() == state
    assert goal.review_state(timezone.localdate()) == state
    assert selectors.reviews_due(record) == ([goal] if state else [])


@pytest.mark.parametrize(
    "status", [Goal.Status.ACHIEVED, Goal.Status.REVISED, Goal.Status.SET_ASIDE]
)
def test_a_closed_goal_is_never_due(record: Client, status: str) -> None:
    goal = GoalFactory(
        client=record,
        start_date=days_from_today(-60),
        review_date=days_from_today(-1),
        status=status,
    )

    assert goal.review_state() == ""
    assert selectors.reviews_due(record) == []
    assert selectors.caseload_flags(record) == []


def test_review_state_counts_from_the_given_day(record: Client) -> None:
    goal = GoalFactory(
        client=record, start_date=days_from_today(-60), review_date=days_from_today(0)
    )
    a_week_ago = days_from_today(-7)

    assert goal.review_state(a_week_ago) == "due"
    assert goal.review_state(days_from_today(-8)) == ""
    assert goal.review_state(days_from_today(1)) == "overdue"
    assert selectors.reviews_due(record, days_from_today(-8)) == []
    assert selectors.reviews_due(record, a_week_ago) == [goal]


def test_reviews_due_are_ordered_by_review_date(record: Client) -> None:
    start = days_from_today(-60)
    later = GoalFactory(client=record, start_date=start, review_date=days_from_today(5))
    overdue = GoalFactory(client=record, start_date=start, review_date=days_from_today(-3))
    GoalFactory(client=record, start_date=start, review_date=days_from_today(9))
    today = GoalFactory(client=record, start_date=start, review_date=days_from_today(0))

    assert selectors.reviews_due(record) == [overdue, today, later]
    assert [f.label for f in selectors.caseload_flags(record)] == ["Goal review overdue: 1"]


def test_the_flag_counts_reviews_due_when_none_is_overdue(record: Client) -> None:
    start = days_from_today(-60)
    for days in (0, 7, 8):
        GoalFactory(client=record, start_date=start, review_date=days_from_today(days))

    flags = selectors.caseload_flags(record)

    assert [(f.label, f.level) for f in flags] == [("Goal review due: 2", "info")]


def test_a_kept_goal_is_no_longer_due(therapist: User, goal: Goal) -> None:
    assert selectors.reviews_due(goal.client) == [goal]

    services.goal_review_record(
        actor=therapist,
        goal=goal,
        values=_review(GoalReview.Decision.KEEP, next_review_date=days_from_today(8)),
    )

    assert selectors.reviews_due(Client.objects.get(pk=goal.client_id)) == []


# --- Words: there is no "failed" ---------------------------------------------------------------

FAIL = re.compile("fail", re.IGNORECASE)


def test_no_goal_template_says_fail() -> None:
    folder = Path(settings.BASE_DIR) / "templates" / "goals"
    templates = sorted(folder.glob("*.html"))

    assert len(templates) >= 5
    assert {p.name for p in templates if FAIL.search(p.read_text())} == set()


def test_no_status_or_choice_says_fail(record: Client) -> None:
    choices = [
        *Goal.Status.choices,
        *Goal.Kind.choices,
        *Goal.Target.choices,
        *GoalReview.Decision.choices,
        *GoalReview.Realistic.choices,
    ]
    labels = [str(value) + " " + str(label) for value, label in choices]
    labels += [
        str(field.verbose_name) + " " + str(field.help_text)
        for model in (Goal, GoalReview, UseCheckIn)
        for field in model._meta.get_fields()
        if hasattr(field, "verbose_name")
    ]
    labels += [
        str(field.label) + " " + str(field.help_text)
        for form in (GoalForm(client=record), ReviewForm())
        for field in form.fields.values()
    ]

    assert Goal.Status.values == ["active", "achieved", "revised", "set_aside"]
    assert [label for label in labels if FAIL.search(label)] == []


def test_no_goal_page_says_fail(
    client_for: ClientFor, therapist: User, goal: Goal, alcohol: SubstanceUse
) -> None:
    GoalReviewFactory(goal=GoalFactory(client=goal.client, substance=alcohol))
    web = client_for(therapist)
    urls = [
        reverse("goals:section", kwargs={"pk": goal.client_id}),
        reverse("goals:goal_create", kwargs={"pk": goal.client_id}),
        _goal_url(goal),
        _review_url(goal),
        reverse("goals:reviews_due"),
        reverse("clients:caseload"),
    ]

    pages = {url: web.get(url) for url in urls}

    assert {url: r.status_code for url, r in pages.items()} == {url: 200 for url in urls}
    assert {url: FAIL.findall(text(r)) for url, r in pages.items()} == {url: [] for url in urls}
