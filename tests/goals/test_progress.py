"""Weekly use check-ins and the progress read from them: one row per client, substance and
week; "% of days within plan" over the last 4 weeks; movement toward a measurable target; and
the goal page's table and chart data.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client, SubstanceUse
from goals import selectors, services
from goals.models import Goal, UseCheckIn
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.goals.factories import GoalFactory, UseCheckInFactory, weeks_ago
from tests.goals.helpers import chart_data, table

ClientFor = Callable[[User | None], HttpClient]

MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def cannabis(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.CANNABIS)


def _checkins() -> list[dict[str, Any]]:
    return [model_to_dict(c) for c in UseCheckIn.objects.order_by("pk")]


def _record(therapist: User, record: Client, substance: SubstanceUse, **kw: Any) -> UseCheckIn:
    return services.checkin_record(actor=therapist, client=record, substance=substance, **kw)


# --- Recording check-ins -----------------------------------------------------------------------


def test_the_week_starts_on_monday() -> None:
    assert MONDAY.weekday() == 0
    assert [services.week_start(MONDAY + datetime.timedelta(days=d)) for d in range(7)] == [
        MONDAY
    ] * 7
    assert services.week_start(MONDAY - datetime.timedelta(days=1)) == MONDAY - (
        datetime.timedelta(weeks=1)
    )


@pytest.mark.parametrize("day", range(7))
def test_a_check_in_is_stored_under_the_monday_of_its_week(
    therapist: User, record: Client, alcohol: SubstanceUse, day: int
) -> None:
    checkin = _record(
        therapist,
        record,
        alcohol,
        week=MONDAY + datetime.timedelta(days=day),
        use_days=3,
        days_above_plan=1,
        typical_amount=Decimal("4.5"),
        amount_unit="drinks",
        source_note_id=17,
    )

    checkin.refresh_from_db()
    assert (
        checkin.client,
        checkin.substance,
        checkin.week_start,
        checkin.use_days,
        checkin.days_above_plan,
        checkin.typical_amount,
        checkin.amount_unit,
        checkin.source_note_id,
        checkin.recorded_by,
    ) == (record, alcohol, MONDAY, 3, 1, Decimal("4.5"), "drinks", 17, therapist)
    event = AuditEvent.objects.get(action="checkin.record")
    assert event.changes == {"use_days": [None, 3], "days_above_plan": [None, 1]}


def test_a_second_check_in_for_the_same_week_replaces_the_numbers(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    first = _record(
        therapist,
        record,
        alcohol,
        week=MONDAY,
        use_days=4,
        days_above_plan=2,
        typical_amount=Decimal(6),
        amount_unit="drinks",
        source_note_id=1,
    )

    second = _record(
        therapist,
        record,
        alcohol,
        week=MONDAY + datetime.timedelta(days=4),
        use_days=2,
        days_above_plan=0,
        source_note_id=2,
    )

    assert second.pk == first.pk
    stored = UseCheckIn.objects.get()
    assert (
        stored.week_start,
        stored.use_days,
        stored.days_above_plan,
        stored.typical_amount,
        stored.amount_unit,
        stored.source_note_id,
    ) == (MONDAY, 2, 0, None, "", 2)
    assert [
        e.changes for e in AuditEvent.objects.filter(action="checkin.record").order_by("id")
    ] == [
        {"use_days": [None, 4], "days_above_plan": [None, 2]},
        {"use_days": [4, 2], "days_above_plan": [2, 0]},
    ]


def test_one_row_per_client_substance_and_week(
    therapist: User, record: Client, alcohol: SubstanceUse, cannabis: SubstanceUse
) -> None:
    _record(therapist, record, alcohol, week=MONDAY, use_days=3)
    _record(therapist, record, cannabis, week=MONDAY, use_days=5)
    _record(therapist, record, alcohol, week=MONDAY + datetime.timedelta(weeks=1), use_days=2)
    _record(therapist, record, alcohol, week=MONDAY + datetime.timedelta(days=6), use_days=1)

    rows = UseCheckIn.objects.order_by("week_start", "substance_id").values_list(
        "substance__substance", "week_start", "use_days"
    )
    assert list(rows) == [
        ("alcohol", MONDAY, 1),
        ("cannabis", MONDAY, 5),
        ("alcohol", MONDAY + datetime.timedelta(weeks=1), 2),
    ]


@pytest.mark.parametrize(
    "numbers, errors",
    [
        (
            {"use_days": 2, "days_above_plan": 3},
            {"days_above_plan": ["Days above plan cannot exceed use days."]},
        ),
        ({"use_days": 8}, {"use_days": ["Ensure this value is less than or equal to 7."]}),
        (
            {"use_days": 3, "typical_amount": Decimal(-1)},
            {"typical_amount": ["Ensure this value is greater than or equal to 0."]},
        ),
    ],
    ids=["above-plan-beyond-use-days", "use-days-8", "negative-amount"],
)
def test_inconsistent_numbers_are_refused(
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    numbers: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    _record(therapist, record, alcohol, week=MONDAY, use_days=4, days_above_plan=1)
    before = (_checkins(), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as refused:
        _record(therapist, record, alcohol, week=MONDAY, **numbers)
    with pytest.raises(ValidationError) as refused_new_week:
        _record(therapist, record, alcohol, week=MONDAY + datetime.timedelta(weeks=1), **numbers)

    assert refused.value.message_dict == errors
    assert refused_new_week.value.message_dict == errors
    assert (_checkins(), AuditEvent.objects.count()) == before


def test_another_clients_substance_is_refused(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    elsewhere = SubstanceUseFactory(client=ClientFactory(therapist=therapist))

    with pytest.raises(ValidationError) as refused:
        _record(therapist, record, elsewhere, week=MONDAY, use_days=1)

    assert refused.value.message_dict == {"substance": ["Choose one of this client's substances."]}
    assert (_checkins(), AuditEvent.objects.count()) == ([], 0)


def test_a_check_in_week_starts_on_a_monday(record: Client, alcohol: SubstanceUse) -> None:
    checkin = UseCheckInFactory.build(
        client=record, substance=alcohol, week_start=MONDAY + datetime.timedelta(days=1)
    )

    with pytest.raises(ValidationError) as refused:
        checkin.full_clean()

    assert refused.value.message_dict == {"week_start": ["A week starts on a Monday."]}


def test_the_database_keeps_one_row_per_week(record: Client, alcohol: SubstanceUse) -> None:
    UseCheckInFactory(client=record, substance=alcohol, week_start=MONDAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        UseCheckInFactory(client=record, substance=alcohol, week_start=MONDAY)


def test_the_database_refuses_more_days_above_plan_than_use_days(
    record: Client, alcohol: SubstanceUse
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        UseCheckInFactory(client=record, substance=alcohol, use_days=1, days_above_plan=2)


# --- % of days within plan ---------------------------------------------------------------------

WEDNESDAY = MONDAY + datetime.timedelta(days=2)


def _weeks(*days_above_plan: int, before: datetime.date = MONDAY) -> list[UseCheckIn]:
    """Check-ins for the weeks before `before`'s week, most recent first: the first number is
    for the week before, the next for the week before that, and so on."""
    return [
        UseCheckIn(
            week_start=before - datetime.timedelta(weeks=index + 1),
            use_days=max(above, 3),
            days_above_plan=above,
        )
        for index, above in enumerate(days_above_plan)
    ]


@pytest.mark.parametrize(
    "days_above_plan, expected",
    [
        ((0, 1, 2, 0), 89),  # round(100 * (28 - 3) / 28) = round(89.29)
        ((0, 0, 0, 0), 100),
        ((7, 7, 7, 7), 0),
        ((1, 0, 0, 0), 96),  # round(96.43)
        ((3,), 57),  # round(100 * 4 / 7) = round(57.14): only the weeks with a check-in count
        ((2, 5), 50),  # round(100 * 7 / 14)
        ((0, 1, 2, 0, 7, 7), 89),  # weeks 5 and 6 back are outside the last 4 weeks
    ],
)
def test_percent_days_within_plan(days_above_plan: tuple[int, ...], expected: int) -> None:
    assert selectors.percent_days_within_plan(_weeks(*days_above_plan), WEDNESDAY) == expected


def test_percent_days_within_plan_needs_a_recent_check_in() -> None:
    assert selectors.percent_days_within_plan([], WEDNESDAY) is None
    assert selectors.percent_days_within_plan(_weeks(0, 0, 0, 0, 1, 2)[4:], WEDNESDAY) is None


# --- Movement toward a target ------------------------------------------------------------------


def _four_weeks(record: Client, substance: SubstanceUse, rows: list[tuple[int, Any, int]]) -> None:
    """Check-ins for the four weeks before this one, oldest first: (use days, typical amount,
    days above plan)."""
    for index, (use_days, amount, above) in enumerate(rows):
        UseCheckInFactory(
            client=record,
            substance=substance,
            week_start=weeks_ago(len(rows) - index),
            use_days=use_days,
            typical_amount=None if amount is None else Decimal(amount),
            days_above_plan=above,
        )


def test_progress_toward_at_most_n_use_days(
    record: Client, alcohol: SubstanceUse, cannabis: SubstanceUse
) -> None:
    goal = GoalFactory(
        client=record, substance=alcohol, target=Goal.Target.MAX_USE_DAYS, target_value=3
    )
    _four_weeks(record, alcohol, [(5, 6, 2), (4, 5, 1), (3, 4, 0), (2, None, 0)])
    _four_weeks(record, cannabis, [(7, 1, 7), (7, 1, 7), (7, 1, 7), (7, 1, 7)])

    progress = selectors.goal_progress(goal)

    assert progress.weeks == [
        selectors.WeekPoint(weeks_ago(4), 5, 6.0, 2, False),
        selectors.WeekPoint(weeks_ago(3), 4, 5.0, 1, False),
        selectors.WeekPoint(weeks_ago(2), 3, 4.0, 0, True),
        selectors.WeekPoint(weeks_ago(1), 2, None, 0, True),
    ]
    assert progress.percent_days_within_plan == 89  # 3 days above plan of 28
    assert progress.chartable is True
    assert selectors.goal_progress(goal, list(UseCheckIn.objects.all())) == progress
    assert selectors.progress_chart(progress) == {
        "label": "Use days a week",
        "target": 3.0,
        "max": 7,
        "points": [
            {"x": formats.date(weeks_ago(4)), "y": 5},
            {"x": formats.date(weeks_ago(3)), "y": 4},
            {"x": formats.date(weeks_ago(2)), "y": 3},
            {"x": formats.date(weeks_ago(1)), "y": 2},
        ],
    }


def test_progress_toward_at_most_n_units(record: Client, alcohol: SubstanceUse) -> None:
    goal = GoalFactory(
        client=record,
        substance=alcohol,
        target=Goal.Target.MAX_UNITS,
        target_value=Decimal("2.5"),
        target_unit="drinks",
    )
    _four_weeks(record, alcohol, [(2, 4, 2), (2, "2.5", 0), (3, 2, 0), (0, None, 0)])

    progress = selectors.goal_progress(goal)

    assert [(w.typical_amount, w.within_target) for w in progress.weeks] == [
        (4.0, False),
        (2.5, True),
        (2.0, True),
        (None, None),  # no use that week: no amount to compare
    ]
    assert progress.percent_days_within_plan == 93  # round(100 * 26 / 28) = round(92.86)
    assert selectors.progress_chart(progress) == {
        "label": "Typical amount per use day",
        "target": 2.5,
        "max": None,
        "points": [
            {"x": formats.date(weeks_ago(4)), "y": 4.0},
            {"x": formats.date(weeks_ago(3)), "y": 2.5},
            {"x": formats.date(weeks_ago(2)), "y": 2.0},
            {"x": formats.date(weeks_ago(1)), "y": None},
        ],
    }


@pytest.mark.parametrize("target", [Goal.Target.CARRIES_NALOXONE, ""])
def test_a_goal_without_a_number_has_weeks_but_no_chart(
    record: Client, alcohol: SubstanceUse, target: str
) -> None:
    goal = GoalFactory(client=record, substance=alcohol, target=target, target_value=None)
    _four_weeks(record, alcohol, [(5, 6, 2), (4, 5, 1)])

    progress = selectors.goal_progress(goal)

    assert [(w.use_days, w.within_target) for w in progress.weeks] == [(5, None), (4, None)]
    assert progress.percent_days_within_plan == 79  # round(100 * 11 / 14) = round(78.57)
    assert progress.chartable is False


def test_a_life_goal_has_no_progress_from_use(record: Client, alcohol: SubstanceUse) -> None:
    goal = GoalFactory(
        client=record, kind=Goal.Kind.LIFE, substance=None, target="", target_value=None
    )
    _four_weeks(record, alcohol, [(5, 6, 2)])

    progress = selectors.goal_progress(goal)

    assert (progress.weeks, progress.percent_days_within_plan, progress.chartable) == (
        [],
        None,
        False,
    )


def test_a_target_without_check_ins_is_not_charted(record: Client, alcohol: SubstanceUse) -> None:
    goal = GoalFactory(client=record, substance=alcohol)

    progress = selectors.goal_progress(goal)

    assert (progress.weeks, progress.percent_days_within_plan, progress.chartable) == (
        [],
        None,
        False,
    )


# --- The progress page -------------------------------------------------------------------------


def _short(day: datetime.date) -> str:
    return formats.date(day)


def test_the_goal_page_shows_progress_by_week(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = GoalFactory(
        client=record, substance=alcohol, target=Goal.Target.MAX_USE_DAYS, target_value=3
    )
    _four_weeks(record, alcohol, [(5, 6, 2), (4, "5.5", 1), (3, 4, 0), (2, None, 0)])

    response = client_for(therapist).get(
        reverse("goals:goal", kwargs={"pk": record.pk, "goal_pk": goal.pk})
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert table(response)[1] == [
        [_short(weeks_ago(4)), "5", "6.0", "2", "not this week"],
        [_short(weeks_ago(3)), "4", "5.5", "1", "not this week"],
        [_short(weeks_ago(2)), "3", "4.0", "0", "yes"],
        [_short(weeks_ago(1)), "2", "—", "0", "yes"],
    ]
    assert chart_data(response) == {
        "label": "Use days a week",
        "target": 3.0,
        "max": 7,
        "points": [
            {"x": formats.date(weeks_ago(4)), "y": 5},
            {"x": formats.date(weeks_ago(3)), "y": 4},
            {"x": formats.date(weeks_ago(2)), "y": 3},
            {"x": formats.date(weeks_ago(1)), "y": 2},
        ],
    }
    assert "89% of days within the plan over the last 4 weeks." in html
    assert 'id="progress-chart"' in html
    assert "vendor/chartjs/chart.umd.min" in html


def test_the_goal_page_charts_amounts_for_a_units_target(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = GoalFactory(
        client=record,
        substance=alcohol,
        target=Goal.Target.MAX_UNITS,
        target_value=2,
        target_unit="pints",
    )
    _four_weeks(record, alcohol, [(2, 3, 2), (2, 2, 0)])

    response = client_for(therapist).get(
        reverse("goals:goal", kwargs={"pk": record.pk, "goal_pk": goal.pk})
    )

    html = response.content.decode()
    assert table(response)[1] == [
        [_short(weeks_ago(2)), "2", "3.0", "2", "not this week"],
        [_short(weeks_ago(1)), "2", "2.0", "0", "yes"],
    ]
    assert chart_data(response) == {
        "label": "Typical amount per use day",
        "target": 2.0,
        "max": None,
        "points": [
            {"x": formats.date(weeks_ago(2)), "y": 3.0},
            {"x": formats.date(weeks_ago(1)), "y": 2.0},
        ],
    }
    assert "at most 2 pints per occasion" in html


def test_the_goal_page_without_check_ins_says_how_progress_will_show(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = GoalFactory(client=record, substance=alcohol)

    response = client_for(therapist).get(
        reverse("goals:goal", kwargs={"pk": record.pk, "goal_pk": goal.pk})
    )

    html = response.content.decode()
    assert table(response)[1] == []
    assert chart_data(response) is None
    assert "No check-ins yet: session notes record use by week, and progress shows here." in html
    assert "chart.umd.min" not in html


def test_a_naloxone_goal_shows_the_table_without_a_chart(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = GoalFactory(
        client=record, substance=alcohol, target=Goal.Target.CARRIES_NALOXONE, target_value=None
    )
    _four_weeks(record, alcohol, [(2, 3, 1)])

    response = client_for(therapist).get(
        reverse("goals:goal", kwargs={"pk": record.pk, "goal_pk": goal.pk})
    )

    assert table(response)[1] == [[_short(weeks_ago(1)), "2", "3.0", "1", "—"]]
    assert chart_data(response) is None


def test_the_plan_section_shows_each_open_goals_percent_within_plan(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    GoalFactory(client=record, substance=alcohol, client_words="Three days at most")
    _four_weeks(record, alcohol, [(5, 6, 2), (4, 5, 1), (3, 4, 0), (2, None, 0)])

    response = client_for(therapist).get(reverse("goals:section", kwargs={"pk": record.pk}))

    [(goal, progress)] = response.context["open_goals"]
    assert (goal.client_words, progress.percent_days_within_plan) == ("Three days at most", 89)
    assert "89% of days within plan (last 4 weeks)" in response.content.decode()
