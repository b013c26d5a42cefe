"""The plan tested as a hypothesis (issue 16, part 3): days above plan worked out from the plan's
own limits, the clinician's correction, plan reviews (lifecycle, append-only, who may), the
review due where goal reviews are shown, and the pages' query counts at one and many rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import InternalError
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, SubstanceUse
from goals import limits, selectors, services
from goals.models import ImmutableError, PlanReview, PlanVersion, UseCheckIn
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.budgets import CASELOAD_QUERIES
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.conftest import STAFF_ROLES, DemoClinic
from tests.goals.factories import weeks_ago
from tests.goals.factories_plan import PlanFactory, PlanVersionFactory, plan_section

ClientFor = Callable[[User | None], HttpClient]
Basis = UseCheckIn.AbovePlanBasis
ALL_ROLES = [*STAFF_ROLES, "anonymous"]


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def version(number: int, saved_on: datetime.date, **section: Any) -> PlanVersion:
    """An unsaved version with one alcohol section: the computation needs no database."""
    return PlanVersion(number=number, created_at=at(saved_on), sections=[plan_section(**section)])


MONDAY = datetime.date(2026, 3, 2)


def compute(versions: list[PlanVersion], **week: Any) -> limits.AbovePlan:
    values = {
        "substance_name": "Alcohol",
        "week_start": MONDAY,
        "use_days": 4,
        "typical_amount": Decimal(3),
        "amount_unit": "drinks",
        **week,
    }
    return limits.above_plan_for_week(versions=versions, **values)


# --- The computation against plan shapes -------------------------------------------------------

BEFORE = MONDAY - datetime.timedelta(weeks=1)


@pytest.mark.parametrize(
    ("section", "week", "expected"),
    [
        # No limits at all: nothing is computed ("no limits set", never 0).
        ({"max_days_per_week": None}, {}, (None, Basis.NO_LIMITS)),
        # Day limit only: the days beyond it.
        ({"max_days_per_week": 2}, {}, (2, Basis.COMPUTED)),
        ({"max_days_per_week": 4}, {}, (0, Basis.COMPUTED)),
        ({"max_days_per_week": 0}, {"use_days": 3}, (3, Basis.COMPUTED)),
        # Amount limit only: above it, every use day is above plan; within it, none.
        (
            {"max_days_per_week": None, "max_amount_per_day": "2", "amount_unit": "drinks"},
            {},
            (4, Basis.COMPUTED),
        ),
        (
            {"max_days_per_week": None, "max_amount_per_day": "3", "amount_unit": "drinks"},
            {},
            (0, Basis.COMPUTED),
        ),
        # Both: the amount decides first; within it, the day limit.
        (
            {"max_days_per_week": 2, "max_amount_per_day": "2", "amount_unit": "Drinks"},
            {},
            (4, Basis.COMPUTED),
        ),
        (
            {"max_days_per_week": 2, "max_amount_per_day": "3", "amount_unit": "drink"},
            {},
            (2, Basis.COMPUTED),
        ),
        # Units must match (case and a plural aside), else nothing is computed.
        (
            {"max_days_per_week": 2, "max_amount_per_day": "3", "amount_unit": "pints"},
            {},
            (None, Basis.UNIT_MISMATCH),
        ),
        (
            {"max_days_per_week": 2, "max_amount_per_day": "3", "amount_unit": "drinks"},
            {"typical_amount": None},
            (None, Basis.NO_AMOUNT),
        ),
        # No use: nothing above plan, whatever the units.
        (
            {"max_days_per_week": 2, "max_amount_per_day": "3", "amount_unit": "pints"},
            {"use_days": 0, "typical_amount": None},
            (0, Basis.COMPUTED),
        ),
    ],
)
def test_days_above_plan_from_the_plans_own_limits(
    section: dict[str, Any], week: dict[str, Any], expected: tuple[int | None, str]
) -> None:
    result = compute([version(1, BEFORE, **section)], **week)
    assert (result.days, result.basis) == expected


def test_no_plan_in_force_and_no_section_for_the_substance() -> None:
    assert compute([]) == limits.AbovePlan(None, Basis.NO_PLAN)
    # A plan saved after the week (a Friday or later is the next week's plan).
    friday = MONDAY + datetime.timedelta(days=4)
    assert compute([version(1, friday, max_days_per_week=1)]).basis == Basis.NO_PLAN
    other = version(1, BEFORE, name="Cannabis", max_days_per_week=1)
    assert (compute([other]).days, compute([other]).basis) == (None, Basis.NO_LIMITS)


def test_the_version_in_force_that_week_is_used_when_the_plan_changed_mid_period() -> None:
    v1 = version(1, BEFORE, max_days_per_week=4)
    # Saved on the Thursday of the week: in force for most of it.
    v2 = version(2, MONDAY + datetime.timedelta(days=3), max_days_per_week=1)
    # Saved on the Saturday of the next week: that week is still measured against v2.
    v3 = version(3, MONDAY + datetime.timedelta(days=12), max_days_per_week=3)
    versions = [v3, v1, v2]
    weeks = [MONDAY - datetime.timedelta(weeks=1), MONDAY, MONDAY + datetime.timedelta(weeks=1)]
    results = [compute(versions, week_start=w, use_days=5) for w in weeks]
    assert [(r.version.number, r.days) for r in results] == [(1, 1), (2, 4), (2, 4)]
    later = compute(versions, week_start=MONDAY + datetime.timedelta(weeks=2), use_days=5)
    assert (later.version.number, later.days) == (3, 2)


# --- Recording a check-in: computed, corrected, the one accessor -------------------------------


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def limited(record: Client) -> PlanVersion:
    """A plan with limits for alcohol, saved five weeks ago."""
    return PlanVersionFactory(
        plan=PlanFactory(client=record),
        created_at=at(weeks_ago(5)),
        review_date=weeks_ago(5) + datetime.timedelta(weeks=4),
        sections=[plan_section(max_days_per_week=2, max_amount_per_day="3", amount_unit="drinks")],
    )


def _record(therapist: User, record: Client, alcohol: SubstanceUse, **kw: Any) -> UseCheckIn:
    values = {
        "week": weeks_ago(2),
        "use_days": 4,
        "typical_amount": Decimal(3),
        "amount_unit": "drinks",
        **kw,
    }
    return services.checkin_record(actor=therapist, client=record, substance=alcohol, **values)


def _stored(checkin: UseCheckIn) -> tuple[Any, ...]:
    checkin.refresh_from_db()
    return (
        checkin.days_above_plan,
        checkin.above_plan_computed,
        checkin.above_plan_corrected,
        checkin.above_plan_basis,
        checkin.plan_version_id,
        checkin.above_plan_shown,
    )


def test_a_check_in_is_measured_against_the_plan(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: PlanVersion
) -> None:
    checkin = _record(therapist, record, alcohol)
    assert _stored(checkin) == (2, 2, None, Basis.COMPUTED, limited.pk, "2")
    event = AuditEvent.objects.get(action="checkin.record")
    assert event.changes == {"use_days": [None, 4], "days_above_plan": [None, 2]}


def test_the_clinicians_correction_wins_and_says_so(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: PlanVersion
) -> None:
    checkin = _record(therapist, record, alcohol, days_above_plan=1)
    assert _stored(checkin) == (
        1,
        2,
        1,
        Basis.COMPUTED,
        limited.pk,
        "1 (corrected by clinician; the plan's limits give 2)",
    )
    # The plan's own figure typed again is no correction.
    checkin = _record(therapist, record, alcohol, days_above_plan=2)
    assert _stored(checkin)[:3] == (2, 2, None)
    # Everything that reads days above plan reads the corrected figure.
    _record(therapist, record, alcohol, days_above_plan=0)
    checkins = selectors.recent_checkins(record)
    assert [c.days_above_plan for c in checkins] == [0]
    assert selectors.percent_days_within_plan(checkins, timezone.localdate()) == 100


def test_no_limits_is_shown_as_such_not_as_zero(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    PlanVersionFactory(
        plan=PlanFactory(client=record),
        created_at=at(weeks_ago(5)),
        sections=[plan_section(max_days_per_week=None)],
    )
    checkin = _record(therapist, record, alcohol)
    assert _stored(checkin)[:4] == (0, None, None, Basis.NO_LIMITS)
    assert checkin.above_plan_shown == "no limits set"
    mismatch = _record(therapist, record, alcohol, week=weeks_ago(1), amount_unit="pints")
    assert mismatch.above_plan_shown == "no limits set"


def test_a_unit_mismatch_is_said(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: PlanVersion
) -> None:
    checkin = services.checkin_record(
        actor=therapist,
        client=record,
        substance=alcohol,
        week=weeks_ago(2),
        use_days=3,
        typical_amount=Decimal(2),
        amount_unit="pints",
    )
    assert _stored(checkin) == (
        0,
        None,
        None,
        Basis.UNIT_MISMATCH,
        limited.pk,
        "not worked out: the unit differs from the plan's",
    )


def test_a_correction_beyond_the_use_days_is_refused(
    therapist: User, record: Client, alcohol: SubstanceUse, limited: PlanVersion
) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(therapist, record, alcohol, days_above_plan=5)
    assert refused.value.message_dict == {
        "days_above_plan": ["Days above plan cannot exceed use days."]
    }
    assert UseCheckIn.objects.count() == 0


# --- Plan reviews ------------------------------------------------------------------------------


def _review_values(**kw: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "reviewed_on": today,
        "what_happened": "Three weeks: within the plan on most days, above it one weekend.",
        "realistic": "partly",
        "harms_changed": "Fewer hungover mornings.",
        "learned": "Planning Friday helps.",
        "outcome": PlanReview.Outcome.KEEP,
        "next_review_date": today + datetime.timedelta(weeks=3),
        **kw,
    }


def _annotated(record: Client) -> PlanVersion:
    found = selectors.latest_version(record)
    assert found is not None
    return found


def test_the_plan_review_lifecycle(therapist: User, record: Client, limited: PlanVersion) -> None:
    today = timezone.localdate()
    # Saved five weeks ago with a review after four: overdue, as a goal's would be.
    assert _annotated(record).next_review_on == weeks_ago(1)
    assert selectors.plan_review_state(_annotated(record)) == "overdue"

    review = services.plan_review_record(actor=therapist, version=limited, values=_review_values())
    assert (review.version, review.outcome, review.reviewed_by) == (limited, "keep", therapist)
    # Encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT what_happened, harms_changed FROM goals_planreview WHERE id = %s",
            [review.pk],
        )
        assert all(v.startswith("enc1:") for v in cursor.fetchone())
    assert _annotated(record).next_review_on == today + datetime.timedelta(weeks=3)
    assert selectors.plan_review_state(_annotated(record)) == ""
    event = AuditEvent.objects.get(action="plan.review")
    assert event.changes == {
        "version": [None, 1],
        "outcome": [None, "keep"],
        "next_review_date": [None, str(today + datetime.timedelta(weeks=3))],
    }

    # A new version brings its own review date; the old version can no longer be reviewed.
    _v2, created = services.plan_save(
        actor=therapist,
        client=record,
        sections=[plan_section(max_days_per_week=3)],
        reason="After the review",
        review_date=today + datetime.timedelta(days=5),
    )
    assert created
    assert _annotated(record).next_review_on == today + datetime.timedelta(days=5)
    assert selectors.plan_review_state(_annotated(record)) == "due"
    with pytest.raises(ValidationError):
        services.plan_review_record(actor=therapist, version=limited, values=_review_values())
    assert PlanReview.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"next_review_date": None}, "next_review_date"),
        ({"what_happened": ""}, "what_happened"),
        ({"reviewed_on": timezone.localdate() - datetime.timedelta(weeks=10)}, "reviewed_on"),
    ],
)
def test_a_review_is_validated(
    therapist: User, record: Client, limited: PlanVersion, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.plan_review_record(
            actor=therapist, version=limited, values=_review_values(**values)
        )
    assert field in refused.value.message_dict
    assert PlanReview.objects.count() == 0


def test_a_next_review_not_after_this_one_is_refused(
    therapist: User, record: Client, limited: PlanVersion
) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.plan_review_record(
            actor=therapist, version=limited, values=_review_values(next_review_date=today)
        )
    assert refused.value.message_dict == {
        "next_review_date": ["The next review must be after this one."]
    }


def test_plan_reviews_are_append_only(
    therapist: User, record: Client, limited: PlanVersion
) -> None:
    review = services.plan_review_record(actor=therapist, version=limited, values=_review_values())
    review.learned = "Changed later"
    with pytest.raises(ImmutableError):
        review.save()
    with pytest.raises(ImmutableError):
        review.delete()
    # The database refuses too, whatever the code path.
    for sql in (
        "UPDATE goals_planreview SET outcome = 'adjust'",
        "DELETE FROM goals_planreview",
    ):
        with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert PlanReview.objects.get().outcome == "keep"


# --- Pages: who may, what happens ---------------------------------------------------------------


def _post(**kw: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "reviewed_on": today.isoformat(),
        "what_happened": "Three weeks within the plan, one weekend above it.",
        "realistic": "partly",
        "harms_changed": "Fewer hungover mornings.",
        "learned": "Planning Friday helps.",
        "outcome": "keep",
        "next_review_date": (today + datetime.timedelta(weeks=4)).isoformat(),
        **kw,
    }


def _state() -> tuple[list[dict[str, Any]], int, int]:
    return (
        [model_to_dict(r) for r in PlanReview.objects.order_by("pk")],
        PlanVersion.objects.count(),
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_review_post_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    limited: PlanVersion,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    url = reverse("goals:plan_review", kwargs={"pk": record.pk})
    before = _state()

    response = client_for(user).post(url, _post())

    expected = {"therapist": 302, "supervisor": 403, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected
    if role == "therapist":
        assert response["Location"] == reverse("goals:section", kwargs={"pk": record.pk})
        assert PlanReview.objects.get().reviewed_by == user
        return
    if role == "anonymous":
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


def test_adjust_goes_straight_on_to_a_new_version(
    client_for: ClientFor, therapist: User, record: Client, limited: PlanVersion
) -> None:
    web = client_for(therapist)
    response = web.post(
        reverse("goals:plan_review", kwargs={"pk": record.pk}), _post(outcome="adjust")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:plan_edit", kwargs={"pk": record.pk})
    assert PlanReview.objects.get().outcome == "adjust"


def test_a_refused_review_keeps_what_was_typed(
    client_for: ClientFor, therapist: User, record: Client, limited: PlanVersion
) -> None:
    web = client_for(therapist)
    response = web.post(
        reverse("goals:plan_review", kwargs={"pk": record.pk}),
        _post(next_review_date="", learned="Kept this"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "next_review_date": ["Choose when to look at the plan again."]
    }
    assert "Kept this" in response.content.decode()
    assert PlanReview.objects.count() == 0


def test_without_a_plan_the_review_page_sends_to_the_plan(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(reverse("goals:plan_review", kwargs={"pk": record.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:plan_edit", kwargs={"pk": record.pk})


def test_the_plan_review_due_shows_on_the_chart_the_caseload_and_the_reviews_due_list(
    client_for: ClientFor, therapist: User, record: Client, limited: PlanVersion
) -> None:
    web = client_for(therapist)
    section = web.get(reverse("goals:section", kwargs={"pk": record.pk}))
    assert section.context["plan_review_state"] == "overdue"
    assert "Review the plan" in section.content.decode()

    caseload = web.get(reverse("clients:caseload"))
    flags = {c.pk: [f.label for f in fl] for c, fl, *_screening in caseload.context["rows"]}
    assert flags[record.pk] == ["Plan review overdue"]

    due = web.get(reverse("goals:reviews_due"))
    assert [(c.pk, goals, plan) for c, goals, plan in due.context["rows"]] == [
        (record.pk, [], "overdue")
    ]

    services.plan_review_record(actor=therapist, version=limited, values=_review_values())
    assert web.get(reverse("goals:reviews_due")).context["rows"] == []


# --- Query counts ------------------------------------------------------------------------------

# The Plan section (tests/goals/test_queries.py) with a plan and no goals (so no prefetch of
# their reviews), + the plan's latest review, the harms no goal answers yet and the latest
# harm assessment's strengths: the same at 1 and 12 reviews and check-ins
PLAN_SECTION_QUERIES = 14
# session, user, device; client, the version with its next review date, access event, its
# reviews with reviewers, the check-ins since the version with their substances; and the
# client's supervision check the access helper makes
PLAN_REVIEW_QUERIES = 8


def _history(record: Client, alcohol: SubstanceUse, limited: PlanVersion, size: int) -> None:
    therapist = record.therapist
    for index in range(size):
        PlanReview.objects.create(
            version=limited,
            reviewed_on=timezone.localdate(limited.created_at) + datetime.timedelta(days=index),
            what_happened=f"Week {index}",
            realistic="yes",
            outcome="keep",
            next_review_date=timezone.localdate() + datetime.timedelta(days=10),
            reviewed_by=therapist,
        )
    for week in range(min(size, 5)):
        services.checkin_record(
            actor=therapist,
            client=record,
            substance=alcohol,
            week=weeks_ago(week + 1),
            use_days=3,
            typical_amount=Decimal(2),
            amount_unit="drinks",
        )
    for index in range(size - 1):
        other = SubstanceUseFactory(client=record, substance="other", substance_other=f"S{index}")
        services.checkin_record(
            actor=therapist, client=record, substance=other, week=weeks_ago(1), use_days=1
        )


@pytest.mark.parametrize("size", [1, 12])
def test_plan_pages_queries(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    limited: PlanVersion,
    size: int,
    django_assert_num_queries: Any,
) -> None:
    _history(record, alcohol, limited, size)
    web = client_for(therapist)

    with django_assert_num_queries(PLAN_REVIEW_QUERIES):
        review = web.get(reverse("goals:plan_review", kwargs={"pk": record.pk}))
    assert review.status_code == 200
    assert len(review.context["reviews"]) == size
    assert len(review.context["checkins"]) == min(size, 5) + size - 1

    with django_assert_num_queries(PLAN_SECTION_QUERIES):
        section = web.get(reverse("goals:section", kwargs={"pk": record.pk}))
    assert section.status_code == 200
    assert section.context["latest_plan_review"] is not None


@pytest.mark.parametrize("size", [1, 12])
def test_caseload_queries_with_plan_reviews(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries: Any
) -> None:
    for _index in range(size):
        client = ClientFactory(therapist=therapist)
        plan = PlanFactory(client=client)
        for number in range(3):
            PlanVersionFactory(
                plan=plan,
                created_at=at(weeks_ago(10 - number)),
                review_date=weeks_ago(1),
            )
    web = client_for(therapist)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))
    assert [[f.label for f in fl] for _c, fl, *_screening in response.context["rows"]] == [
        ["Plan review overdue"]
    ] * min(size, 25)


# --- The demo clinic ---------------------------------------------------------------------------


def test_the_demo_reviews_plans_after_three_weeks_of_check_ins_against_their_limits(
    demo_clinic: DemoClinic,
) -> None:
    reviews = list(PlanReview.objects.select_related("version"))
    assert reviews, "the demo records plan reviews"
    for review in reviews:
        saved_on = timezone.localdate(review.version.created_at)
        assert review.reviewed_on == saved_on + datetime.timedelta(weeks=3)
        assert review.outcome == PlanReview.Outcome.KEEP
    # Alcohol plans carry limits in numbers, and the check-ins are measured against them.
    limited = [
        section
        for v in PlanVersion.objects.all()
        for section in v.sections
        if section.get("max_amount_per_day")
    ]
    assert limited and {s["amount_unit"] for s in limited} == {"drinks"}
    computed = UseCheckIn.objects.filter(above_plan_basis=Basis.COMPUTED)
    assert computed.exists()
    assert all(
        c.days_above_plan
        == UseCheckIn.resolve_days_above_plan(c.above_plan_computed, c.above_plan_corrected)
        for c in UseCheckIn.objects.all()
    )
