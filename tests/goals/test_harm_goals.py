"""Goals that answer specific harms, the plan's "harms no goal answers yet", and the
"exploring" goal for a client who has not decided.

A goal names the concrete harms (from the client's harm assessments) it sets out to answer; only
the client's own are accepted. The plan page lists the latest assessment's harms that no active
goal answers, grouped by substance, each with a link that starts a goal for it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from assessments.models import HarmAssessment, IdentifiedHarm
from clients.models import Client, SubstanceUse
from goals import selectors, services
from goals.models import Goal, GoalReview
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from tests.assessments.factories_harm import HarmAssessmentFactory, IdentifiedHarmFactory
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.conftest import STAFF_ROLES
from tests.goals.factories import GoalFactory, days_from_today
from tests.goals.test_queries import SECTION_QUERIES
from tests.htmltext import cell_text, parse

ClientFor = Callable[[User | None], HttpClient]

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def assessment(record: Client) -> HarmAssessment:
    return HarmAssessmentFactory(client=record, assessed_on=days_from_today(-10))


@pytest.fixture
def shifts(assessment: HarmAssessment, alcohol: SubstanceUse) -> IdentifiedHarm:
    return IdentifiedHarmFactory(
        assessment=assessment,
        substance=alcohol,
        domain="work",
        description="Misses Monday shifts after weekend use",
    )


@pytest.fixture
def arguments(assessment: HarmAssessment, alcohol: SubstanceUse) -> IdentifiedHarm:
    return IdentifiedHarmFactory(
        assessment=assessment,
        substance=alcohol,
        domain="relationships",
        description="Arguments when I come home late",
    )


def _unanswered(record: Client) -> list[str]:
    return [h.description for h in selectors.unanswered_harms(record)]


def _goal_values(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": Goal.Kind.MODERATION,
        "client_words": "Only weekends",
        "hypothesis": "If I keep weekdays free, I expect to make my Monday shifts.",
        "target": Goal.Target.NONE,
        "target_value": None,
        "target_unit": "",
        "start_date": timezone.localdate(),
        "review_date": days_from_today(28),
        **overrides,
    }


def _goal_post(**overrides: str) -> dict[str, str]:
    return {
        "kind": Goal.Kind.MODERATION,
        "substance": "",
        "client_words": "Only weekends",
        "hypothesis": "If I keep weekdays free, I expect to make my Monday shifts.",
        "target": "",
        "target_value": "",
        "target_unit": "",
        "start_date": timezone.localdate().isoformat(),
        "review_date": days_from_today(28).isoformat(),
        **overrides,
    }


def create_url(record: Client) -> str:
    return reverse("goals:goal_create", kwargs={"pk": record.pk})


# --- Linking goals to harms --------------------------------------------------------------------


def test_a_goal_names_the_harms_it_answers(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    shifts: IdentifiedHarm,
    arguments: IdentifiedHarm,
) -> None:
    response = client_for(therapist).post(
        create_url(record), {**_goal_post(substance=str(alcohol.pk)), "harms": [str(shifts.pk)]}
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert list(goal.harms.all()) == [shifts]
    event = AuditEvent.objects.get(action=AuditAction.GOAL_CREATE)
    assert event.changes["harms"] == [None, [shifts.pk]]
    page = client_for(therapist).get(response["Location"])
    items = [cell_text(li) for li in parse(page).xpath("//ul[@data-goal-harms]/li")]
    named = formats.date(shifts.assessment.assessed_on)
    assert items == [f"Misses Monday shifts after weekend use · Work or school · named {named}"]


def test_the_goal_form_offers_the_latest_assessments_harms_grouped_by_substance(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    alcohol: SubstanceUse,
    shifts: IdentifiedHarm,
    arguments: IdentifiedHarm,
) -> None:
    general = IdentifiedHarmFactory(
        assessment=shifts.assessment, substance=None, domain="financial", description="Rent late"
    )
    older = HarmAssessmentFactory(client=record, assessed_on=days_from_today(-90))
    IdentifiedHarmFactory(assessment=older, substance=alcohol, description="Not offered")

    response = client_for(therapist).get(create_url(record))
    form = response.context["form"]

    assert form.fields["harms"].choices == [
        (
            "Alcohol",
            [
                (shifts.pk, "Misses Monday shifts after weekend use (Work or school)"),
                (arguments.pk, "Arguments when I come home late (Relationships)"),
            ],
        ),
        ("Use in general", [(general.pk, "Rent late (Financial)")]),
    ]
    page = parse(response)
    boxes = page.xpath("//input[@type='checkbox'][@name='harms']")
    assert [box.get("value") for box in boxes] == [
        str(shifts.pk),
        str(arguments.pk),
        str(general.pk),
    ]
    labels = [cell_text(page.xpath(f"//label[@for='{box.get('id')}']")[0]) for box in boxes]
    assert labels[2] == "Rent late (Financial)"


def test_a_harm_of_another_client_is_refused_by_the_form(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    theirs = IdentifiedHarmFactory(assessment=HarmAssessmentFactory())

    response = client_for(therapist).post(
        create_url(record), {**_goal_post(substance=str(alcohol.pk)), "harms": [str(theirs.pk)]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "harms": ["Choose from the harms in the client's latest harm assessment."]
    }
    assert Goal.objects.count() == 0


def test_a_harm_of_another_client_is_refused_by_the_service(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    theirs = IdentifiedHarmFactory(assessment=HarmAssessmentFactory())

    with pytest.raises(ValidationError) as refused:
        services.goal_create(
            actor=therapist,
            client=record,
            values=_goal_values(substance=alcohol, harms=[theirs]),
        )

    assert refused.value.message_dict == {
        "harms": ["A goal can only answer this client's own harms."]
    }
    assert Goal.objects.count() == 0


def test_a_revision_answers_the_same_harms_as_the_latest_assessment_names_them(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    first = HarmAssessmentFactory(client=record, assessed_on=days_from_today(-60))
    named = IdentifiedHarmFactory(assessment=first, substance=alcohol)
    goal = GoalFactory(client=record, substance=alcohol, review_date=days_from_today(-1))
    goal.harms.set([named])
    latest = HarmAssessmentFactory(client=record, assessed_on=days_from_today(-5))
    carried = IdentifiedHarmFactory(
        assessment=latest, substance=alcohol, first_identified=named, description="Same harm"
    )
    IdentifiedHarmFactory(assessment=latest, substance=alcohol, description="A new one")

    page = client_for(therapist).get(
        reverse("goals:goal_review", kwargs={"pk": record.pk, "goal_pk": goal.pk})
    )

    assert page.context["new_goal_form"].initial["harms"] == [carried.pk]


# --- Harms no goal answers yet -----------------------------------------------------------------


def test_no_harm_assessment_means_nothing_to_list(record: Client) -> None:
    assert _unanswered(record) == []


def test_unanswered_harms_are_the_latest_assessments_harms_without_an_active_goal(
    record: Client, alcohol: SubstanceUse, shifts: IdentifiedHarm, arguments: IdentifiedHarm
) -> None:
    goal = GoalFactory(client=record, substance=alcohol)

    assert _unanswered(record) == [shifts.description, arguments.description]
    goal.harms.set([shifts])
    assert _unanswered(record) == [arguments.description]
    goal.harms.add(arguments)
    assert _unanswered(record) == []


@pytest.mark.parametrize(
    "status", [Goal.Status.SET_ASIDE, Goal.Status.ACHIEVED, Goal.Status.REVISED]
)
def test_a_goal_no_longer_active_no_longer_answers_its_harm(
    record: Client, alcohol: SubstanceUse, shifts: IdentifiedHarm, status: str
) -> None:
    goal = GoalFactory(client=record, substance=alcohol)
    goal.harms.set([shifts])
    assert _unanswered(record) == []

    Goal.objects.filter(pk=goal.pk).update(status=status)

    assert _unanswered(record) == [shifts.description]


def test_a_goal_set_aside_at_its_review_lets_the_harm_show_again(
    therapist: User, record: Client, alcohol: SubstanceUse, shifts: IdentifiedHarm
) -> None:
    goal = GoalFactory(client=record, substance=alcohol, start_date=days_from_today(-20))
    goal.harms.set([shifts])

    services.goal_review_record(
        actor=therapist,
        goal=goal,
        values={
            "reviewed_on": timezone.localdate(),
            "what_happened": "Other things came first this month.",
            "realistic": GoalReview.Realistic.NO,
            "learned": "",
            "decision": GoalReview.Decision.SET_ASIDE,
            "next_review_date": None,
        },
    )

    assert _unanswered(record) == [shifts.description]


def test_a_newer_assessment_keeps_carried_harms_answered_and_lists_new_ones(
    record: Client, alcohol: SubstanceUse, shifts: IdentifiedHarm, arguments: IdentifiedHarm
) -> None:
    goal = GoalFactory(client=record, substance=alcohol)
    goal.harms.set([shifts])
    newer = HarmAssessmentFactory(client=record, assessed_on=days_from_today(-1))
    # The shifts harm is talked through again (carried); the arguments are no longer named;
    # a new harm comes up.
    IdentifiedHarmFactory(
        assessment=newer, substance=alcohol, first_identified=shifts, description="Still shifts"
    )
    IdentifiedHarmFactory(assessment=newer, substance=alcohol, description="Blackouts")

    assert _unanswered(record) == ["Blackouts"]


def test_another_clients_goals_do_not_answer_this_clients_harms(
    record: Client, shifts: IdentifiedHarm
) -> None:
    other = ClientFactory()
    GoalFactory(client=other)

    assert _unanswered(record) == [shifts.description]


def test_the_plan_page_invites_a_goal_for_each_unanswered_harm(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    record: Client,
    alcohol: SubstanceUse,
    shifts: IdentifiedHarm,
    arguments: IdentifiedHarm,
) -> None:
    goal = GoalFactory(client=record, substance=alcohol)
    goal.harms.set([shifts])
    url = reverse("goals:section", kwargs={"pk": record.pk})

    page = parse(client_for(therapist).get(url))

    section = page.xpath("//section[@data-unanswered-harms]")[0]
    assert cell_text(section.xpath("h3")[0]) == "Harms no goal answers yet"
    assert [cell_text(li) for li in section.xpath(".//li")] == [
        "Arguments when I come home late · Relationships · Set a goal for this: "
        "Arguments when I come home late"
    ]
    assert section.xpath(".//li/a/@href") == [f"{create_url(record)}?harm={arguments.pk}"]
    answers = [cell_text(d) for d in page.xpath("//div[@data-goal-answers]")]
    assert answers == ["Answers: Misses Monday shifts after weekend use"]
    # A supervisor reads the harms but is not offered to set a goal.
    read_only = parse(client_for(supervisor).get(url)).xpath("//section[@data-unanswered-harms]")
    assert read_only[0].xpath(".//a") == []


def test_the_plan_page_says_nothing_when_every_harm_is_answered(
    client_for: ClientFor, therapist: User, record: Client, shifts: IdentifiedHarm
) -> None:
    GoalFactory(client=record, substance=shifts.substance).harms.set([shifts])

    page = parse(client_for(therapist).get(reverse("goals:section", kwargs={"pk": record.pk})))

    assert page.xpath("//section[@data-unanswered-harms]") == []


# --- Starting a goal from a harm ---------------------------------------------------------------


def test_the_link_starts_a_goal_for_that_harm(
    client_for: ClientFor, therapist: User, record: Client, shifts: IdentifiedHarm
) -> None:
    response = client_for(therapist).get(create_url(record), {"harm": shifts.pk})

    form = response.context["form"]
    assert (form.initial["harms"], form.initial["substance"]) == ([shifts.pk], shifts.substance_id)


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999"])
def test_a_malformed_harm_id_is_not_found(
    client_for: ClientFor, therapist: User, record: Client, shifts: IdentifiedHarm, value: str
) -> None:
    response = client_for(therapist).get(create_url(record), {"harm": value})

    assert response.status_code == 404


def test_an_older_or_another_clients_harm_is_not_found(
    client_for: ClientFor, therapist: User, record: Client, shifts: IdentifiedHarm
) -> None:
    older = IdentifiedHarmFactory(
        assessment=HarmAssessmentFactory(client=record, assessed_on=days_from_today(-200))
    )
    theirs = IdentifiedHarmFactory(
        assessment=HarmAssessmentFactory(client=ClientFactory(therapist=therapist))
    )
    web = client_for(therapist)

    assert web.get(create_url(record), {"harm": older.pk}).status_code == 404
    assert web.get(create_url(record), {"harm": theirs.pk}).status_code == 404


EXPECTED_FROM_HARM = {
    "therapist": 200,
    "other_therapist": 404,
    "supervisor": 403,
    "other_supervisor": 404,
    "clinic_admin": 404,
}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_starting_a_goal_from_a_harm_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    shifts: IdentifiedHarm,
    role: str,
) -> None:
    response = client_for(request.getfixturevalue(role)).get(
        create_url(record), {"harm": shifts.pk}
    )

    assert response.status_code == EXPECTED_FROM_HARM[role]


def test_anonymous_starting_a_goal_from_a_harm_is_sent_to_sign_in(
    client_for: ClientFor, record: Client, shifts: IdentifiedHarm
) -> None:
    response = client_for(None).get(create_url(record), {"harm": shifts.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Exploring: not yet decided ----------------------------------------------------------------


def test_kinds_about_use_come_from_the_enum() -> None:
    assert [kind for kind in Goal.Kind if not kind.about_use] == [
        Goal.Kind.LIFE,
        Goal.Kind.EXPLORING,
    ]
    assert Goal.Kind.EXPLORING.label == "Exploring: not yet decided"
    assert [t for t in Goal.Target if t.limits_use] == [
        Goal.Target.MAX_USE_DAYS,
        Goal.Target.MAX_UNITS,
    ]


def test_an_exploring_goal_needs_no_substance_and_no_target(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        create_url(record),
        _goal_post(
            kind=Goal.Kind.EXPLORING,
            client_words="Work out whether the wine is a problem for me",
            hypothesis="If I notice what I feel before a glass, I expect to learn what it does.",
        ),
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert (goal.kind, goal.substance, goal.target, goal.status) == (
        Goal.Kind.EXPLORING,
        None,
        "",
        Goal.Status.ACTIVE,
    )
    page = client_for(therapist).get(response["Location"])
    assert cell_text(parse(page).xpath("//h1")[0]) == "Exploring: not yet decided Active"


@pytest.mark.parametrize("kind", [Goal.Kind.EXPLORING, Goal.Kind.LIFE])
def test_a_goal_not_about_use_takes_no_use_limit(
    client_for: ClientFor, therapist: User, record: Client, kind: str
) -> None:
    response = client_for(therapist).post(
        create_url(record), _goal_post(kind=kind, target="max_use_days", target_value="3")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "target": [
            "A limit on use belongs to a goal about use. Choose “No measurable target”, "
            "or the kind of goal the client has chosen."
        ]
    }
    assert Goal.objects.count() == 0


def test_an_exploring_goal_may_name_its_substance_and_carry_naloxone(
    therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = services.goal_create(
        actor=therapist,
        client=record,
        values=_goal_values(
            kind=Goal.Kind.EXPLORING, substance=alcohol, target=Goal.Target.CARRIES_NALOXONE
        ),
    )

    assert (goal.kind, goal.substance, goal.target) == (
        Goal.Kind.EXPLORING,
        alcohol,
        Goal.Target.CARRIES_NALOXONE,
    )


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (GoalReview.Decision.KEEP, Goal.Status.ACTIVE),
        (GoalReview.Decision.ACHIEVED, Goal.Status.ACHIEVED),
        (GoalReview.Decision.SET_ASIDE, Goal.Status.SET_ASIDE),
    ],
)
def test_an_exploring_goal_is_reviewed_like_any_goal(
    client_for: ClientFor, therapist: User, record: Client, decision: str, status: str
) -> None:
    goal = GoalFactory(
        client=record,
        kind=Goal.Kind.EXPLORING,
        substance=None,
        target="",
        target_value=None,
        start_date=days_from_today(-28),
        review_date=days_from_today(-1),
    )
    assert selectors.reviews_due(record) == [goal]

    response = client_for(therapist).post(
        reverse("goals:goal_review", kwargs={"pk": record.pk, "goal_pk": goal.pk}),
        {
            "reviewed_on": timezone.localdate().isoformat(),
            "what_happened": "Noticed it is mostly about getting to sleep.",
            "realistic": GoalReview.Realistic.YES,
            "learned": "Evenings alone are when it matters.",
            "decision": decision,
            "next_review_date": days_from_today(21).isoformat(),
        },
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == status
    assert goal.reviews.get().decision == decision


def test_an_exploring_goal_can_be_revised_into_a_use_goal_when_the_client_decides(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    goal = GoalFactory(
        client=record,
        kind=Goal.Kind.EXPLORING,
        substance=alcohol,
        target="",
        target_value=None,
        start_date=days_from_today(-28),
    )

    response = client_for(therapist).post(
        reverse("goals:goal_review", kwargs={"pk": record.pk, "goal_pk": goal.pk}),
        {
            "reviewed_on": timezone.localdate().isoformat(),
            "what_happened": "Decided to drink on fewer days.",
            "realistic": GoalReview.Realistic.YES,
            "learned": "",
            "decision": GoalReview.Decision.REVISE,
            **{f"new-{k}": v for k, v in _goal_post(substance=str(alcohol.pk)).items()},
            "new-target": "max_use_days",
            "new-target_value": "3",
        },
    )

    assert response.status_code == 302
    new = Goal.objects.get(revised_from=goal)
    assert (new.kind, new.target, int(new.target_value)) == (
        Goal.Kind.MODERATION,
        Goal.Target.MAX_USE_DAYS,
        3,
    )


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 12])
def test_plan_page_queries_with_harms(
    client_for: ClientFor,
    therapist: User,
    record: Client,
    count: int,
    django_assert_num_queries,
) -> None:
    """One named harm, or 12 over three substances in the latest of three assessments (each
    carried from the one before), half answered by goals (some answered only through an
    earlier record of the harm), with goals set aside."""
    substances = [SubstanceUseFactory(client=record) for _index in range(min(count, 3))]
    previous: list[IdentifiedHarm] = []
    for round_, age in enumerate((200, 100, 5)):
        assessment = HarmAssessmentFactory(
            client=record, assessed_on=timezone.localdate() - datetime.timedelta(days=age)
        )
        previous = [
            IdentifiedHarmFactory(
                assessment=assessment,
                substance=substances[index % len(substances)],
                first_identified=(previous[index].first_identified or previous[index])
                if previous
                else None,
            )
            for index in range(count)
        ]
        goal = GoalFactory(client=record, substance=substances[0])
        # Each round's goal answers two other harms (by their record of that round).
        goal.harms.set(previous[2 * round_ : 2 * round_ + 2] if count > 1 else [])
        GoalFactory(client=record, substance=substances[0], status=Goal.Status.SET_ASIDE).harms.set(
            previous
        )
    web = client_for(therapist)
    url = reverse("goals:section", kwargs={"pk": record.pk})

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(url)

    listed = sum(len(g.harms) for g in response.context["unanswered_harm_groups"])
    assert listed == (1 if count == 1 else 12 - 3 * 2)
