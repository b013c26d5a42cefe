"""Goal pages: who may open and change what, the reviews-due list and the caseload's goals column
and flags.

The assigned therapist adds and reviews goals; their supervisor reads (403 on writes); everyone
else gets 404, because a client's existence is itself private. The reviews-due list is a
therapist's own page: any therapist has one, nobody else does. The plan-version pages
(plan_*) are tested in test_plan.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import URLPattern, reverse
from django.utils import timezone

from clients.models import Client, SubstanceUse
from goals import urls as goal_urls
from goals.models import Goal, GoalReview
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory, SubstanceUseFactory
from tests.clients.helpers import text
from tests.concurrency import run_at_once, web_for
from tests.conftest import STAFF_ROLES
from tests.goals.factories import (
    GoalFactory,
    GoalReviewFactory,
    UseCheckInFactory,
    days_from_today,
)
from tests.goals.helpers import table

ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def alcohol(record: Client) -> SubstanceUse:
    return SubstanceUseFactory(client=record, substance=SubstanceUse.Substance.ALCOHOL)


@pytest.fixture
def goal(record: Client, alcohol: SubstanceUse) -> Goal:
    """An active goal whose review is overdue, so it is on the reviews-due list."""
    return GoalFactory(
        client=record,
        substance=alcohol,
        client_words="Drink on three days a week at most",
        start_date=days_from_today(-30),
        review_date=days_from_today(-2),
    )


def _state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Everything a goal write could change: goals, reviews, change events."""
    return (
        [model_to_dict(g) for g in Goal.objects.order_by("pk")],
        [model_to_dict(r) for r in GoalReview.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


# --- Access matrix -----------------------------------------------------------------------------


def _statuses(therapist: int, supervisor: int) -> dict[str, int]:
    return {
        "therapist": therapist,
        "other_therapist": 404,
        "supervisor": supervisor,
        "other_supervisor": 404,
        "clinic_admin": 404,
    }


EXPECTED_GET: dict[str, dict[str, int]] = {
    "section": _statuses(200, 200),
    "goal_create": _statuses(200, 403),
    "goal": _statuses(200, 200),
    "goal_review": _statuses(200, 403),
    # A therapist's own page: another therapist has theirs (without this client on it); a
    # supervisor who is not a therapist has none.
    "reviews_due": {**_statuses(200, 404), "other_therapist": 200},
    # The client's own copy: whoever may read the chart may print it, as the safety plans.
    "client_copy": _statuses(200, 200),
    "client_copy_pdf": _statuses(200, 200),
}


def page_url(name: str, *, goal: Goal) -> str:
    if name == "reviews_due":
        return reverse("goals:reviews_due")
    kwargs: dict[str, Any] = {"pk": goal.client_id}
    if name in ("goal", "goal_review"):
        kwargs["goal_pk"] = goal.pk
    return reverse(f"goals:{name}", kwargs=kwargs)


def test_the_matrix_covers_every_goal_url() -> None:
    names = {
        p.name
        for p in goal_urls.urlpatterns
        if isinstance(p, URLPattern) and not p.name.startswith("plan_")
    }
    assert names == set(EXPECTED_GET)


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(EXPECTED_GET))
def test_get_status_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, goal: Goal, name: str, role: str
) -> None:
    user = request.getfixturevalue(role)

    response = client_for(user).get(page_url(name, goal=goal))

    assert response.status_code == EXPECTED_GET[name][role]


@pytest.mark.parametrize("name", list(EXPECTED_GET))
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(
    client_for: ClientFor, goal: Goal, name: str, method: str
) -> None:
    url = page_url(name, goal=goal)
    before = _state()

    response = getattr(client_for(None), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _state() == before


POST_EXPECTED = _statuses(302, 403)


def _goal_post(substance: SubstanceUse) -> dict[str, str]:
    return {
        "kind": Goal.Kind.MODERATION,
        "substance": str(substance.pk),
        "client_words": "Only weekends, and never alone",
        "hypothesis": "If I keep weekdays free, I expect to sleep better.",
        "target": Goal.Target.MAX_USE_DAYS,
        "target_value": "2",
        "target_unit": "",
        "start_date": timezone.localdate().isoformat(),
        "review_date": days_from_today(28).isoformat(),
    }


def _review_post(decision: str = "keep") -> dict[str, str]:
    return {
        "reviewed_on": timezone.localdate().isoformat(),
        "what_happened": "Three weeks within the plan, one above.",
        "realistic": GoalReview.Realistic.YES,
        "learned": "Planning Fridays helps.",
        "decision": decision,
        "next_review_date": days_from_today(21).isoformat(),
    }


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_goal_create_post_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    alcohol: SubstanceUse,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).post(
        reverse("goals:goal_create", kwargs={"pk": record.pk}), _goal_post(alcohol)
    )

    assert response.status_code == POST_EXPECTED[role]
    if role == "therapist":
        goal = Goal.objects.get()
        assert response["Location"] == page_url("goal", goal=goal)
        assert (goal.client, goal.client_words, goal.created_by) == (
            record,
            "Only weekends, and never alone",
            user,
        )
    else:
        assert _state() == before


@pytest.mark.parametrize("decision", ["keep", "achieved", "set_aside"])
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_goal_review_post_by_role(
    request: pytest.FixtureRequest, client_for: ClientFor, goal: Goal, role: str, decision: str
) -> None:
    user = request.getfixturevalue(role)
    before = _state()

    response = client_for(user).post(page_url("goal_review", goal=goal), _review_post(decision))

    assert response.status_code == POST_EXPECTED[role]
    if role == "therapist":
        review = GoalReview.objects.get()
        goal.refresh_from_db()
        assert response["Location"] == page_url("goal", goal=goal)
        assert (review.goal, review.decision, review.reviewed_by) == (goal, decision, user)
        assert (
            goal.status
            == {"keep": "active", "achieved": "achieved", "set_aside": "set_aside"}[decision]
        )
    else:
        assert _state() == before


def test_the_supervisor_reads_without_the_buttons_to_change(
    client_for: ClientFor, supervisor: User, goal: Goal
) -> None:
    web = client_for(supervisor)

    section = text(web.get(page_url("section", goal=goal)))
    detail = text(web.get(page_url("goal", goal=goal)))

    assert "Drink on three days a week at most" in section
    assert "Add a goal" not in section
    assert "Review this goal" not in detail
    assert AuditEvent.objects.filter(action="client.view.goal", actor=supervisor).count() == 1


def test_the_therapist_sees_the_buttons_to_change(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    web = client_for(therapist)

    section = text(web.get(page_url("section", goal=goal)))
    detail = text(web.get(page_url("goal", goal=goal)))

    assert f'href="{page_url("goal_create", goal=goal)}">Add a goal</a>' in section
    assert f'href="{page_url("goal_review", goal=goal)}">Review this goal</a>' in detail


def test_a_goal_of_another_client_is_not_found_through_this_one(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = GoalFactory(client=ClientFactory(therapist=therapist))
    web = client_for(therapist)
    detail_url = reverse("goals:goal", kwargs={"pk": record.pk, "goal_pk": elsewhere.pk})
    review_url = reverse("goals:goal_review", kwargs={"pk": record.pk, "goal_pk": elsewhere.pk})
    before = _state()

    responses = [web.get(detail_url), web.get(review_url), web.post(review_url, _review_post())]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert _state() == before


def test_an_unknown_goal_is_not_found(client_for: ClientFor, therapist: User, goal: Goal) -> None:
    web = client_for(therapist)
    kwargs = {"pk": goal.client_id, "goal_pk": goal.pk + 1000}

    detail = web.get(reverse("goals:goal", kwargs=kwargs))
    review = web.get(reverse("goals:goal_review", kwargs=kwargs))

    assert (detail.status_code, review.status_code) == (404, 404)


def test_reading_a_goal_is_audited(client_for: ClientFor, therapist: User, goal: Goal) -> None:
    client_for(therapist).get(page_url("goal", goal=goal))

    event = AuditEvent.objects.get(action="client.view.goal")
    assert (event.category, event.actor, event.chart_number) == (
        AuditEvent.Category.ACCESS,
        therapist,
        goal.client.chart_number,
    )


# --- The plan section --------------------------------------------------------------------------


def test_the_section_lists_open_goals_then_earlier_ones(
    client_for: ClientFor, therapist: User, record: Client, alcohol: SubstanceUse
) -> None:
    start = days_from_today(-60)
    later = GoalFactory(
        client=record, substance=alcohol, start_date=start, review_date=days_from_today(20)
    )
    due = GoalFactory(
        client=record, substance=alcohol, start_date=start, review_date=days_from_today(3)
    )
    overdue = GoalFactory(
        client=record, substance=alcohol, start_date=start, review_date=days_from_today(-1)
    )
    achieved = GoalFactory(
        client=record, substance=alcohol, status=Goal.Status.ACHIEVED, client_words="Carry naloxone"
    )
    set_aside = GoalFactory(
        client=record,
        substance=alcohol,
        status=Goal.Status.SET_ASIDE,
        client_words="No use on weekdays",
    )

    response = client_for(therapist).get(reverse("goals:section", kwargs={"pk": record.pk}))

    page = text(response)
    assert [g for g, _progress in response.context["open_goals"]] == [overdue, due, later]
    assert response.context["closed_goals"] == [achieved, set_aside]
    assert [g.review_state() for g in (overdue, due, later)] == ["overdue", "due", ""]
    assert page.count(">review overdue</span>") == 1
    assert page.count(">review due</span>") == 1
    assert "Carry naloxone</a> — achieved" in page
    assert "No use on weekdays</a> — set aside" in page


# --- Reviews due -------------------------------------------------------------------------------


def _li_texts(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    ]


def test_the_reviews_due_list(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    start = days_from_today(-60)
    ana = ClientFactory(therapist=therapist, preferred_name="Ana")
    overdue = GoalFactory(
        client=ana,
        client_words="Three days at most",
        start_date=start,
        review_date=days_from_today(-1),
    )
    due_today = GoalFactory(
        client=ana, client_words="Never use alone", start_date=start, review_date=days_from_today(0)
    )
    GoalFactory(client=ana, client_words="Later", start_date=start, review_date=days_from_today(8))
    GoalFactory(
        client=ana,
        client_words="Done",
        start_date=start,
        review_date=days_from_today(-5),
        status=Goal.Status.ACHIEVED,
    )
    bo = ClientFactory(therapist=therapist, preferred_name="Bo")
    due_in_a_week = GoalFactory(
        client=bo,
        client_words="Swim on Saturdays",
        kind=Goal.Kind.LIFE,
        substance=None,
        target="",
        target_value=None,
        review_date=days_from_today(7),
    )
    cy = ClientFactory(therapist=therapist, preferred_name="Cy")
    GoalFactory(client=cy, review_date=days_from_today(9))
    on_hold = ClientFactory(therapist=therapist, preferred_name="Di", status=Client.Status.ON_HOLD)
    GoalFactory(client=on_hold, start_date=start, review_date=days_from_today(-3))
    elsewhere = ClientFactory(therapist=other_therapist, preferred_name="Ed")
    GoalFactory(client=elsewhere, start_date=start, review_date=days_from_today(-3))

    response = client_for(therapist).get(reverse("goals:reviews_due"))

    assert response.status_code == 200
    assert response.context["rows"] == [
        (ana, [overdue, due_today], ""),
        (bo, [due_in_a_week], ""),
    ]
    _header, rows = table(response)
    assert [row[0] for row in rows] == [f"Ana {ana.chart_number}", f"Bo {bo.chart_number}"]
    short = {d: formats.date(days_from_today(d)) for d in (-1, 0, 7)}
    assert _li_texts(response.content.decode()) == [
        f"Three days at most overdue since {short[-1]}",
        f"Never use alone due {short[0]}",
        f"Swim on Saturdays due {short[7]}",
    ]
    review_links = re.findall(r'href="(/clients/\d+/goals/\d+/review/)"', response.content.decode())
    assert review_links == [
        page_url("goal_review", goal=g) for g in (overdue, due_today, due_in_a_week)
    ]


def test_the_reviews_due_list_when_nothing_is_due(client_for: ClientFor, therapist: User) -> None:
    GoalFactory(client=ClientFactory(therapist=therapist), review_date=days_from_today(8))

    response = client_for(therapist).get(reverse("goals:reviews_due"))

    assert response.context["rows"] == []
    assert table(response)[1] == [["No reviews due this week."]]


def test_another_therapists_list_does_not_show_this_client(
    client_for: ClientFor, goal: Goal, other_therapist: User
) -> None:
    response = client_for(other_therapist).get(reverse("goals:reviews_due"))

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Robin" not in text(response)
    assert "Drink on three days a week at most" not in text(response)


# --- Caseload ----------------------------------------------------------------------------------


def _caseload_cells(response: Any) -> dict[str, tuple[str, str]]:
    """Each client's "Open goals" and "Flags" cells, by the client's name."""
    header, rows = table(response)
    goals, flags = header.index("Open goals"), header.index("Flags")
    return {row[0].split(" (")[0]: (row[goals], row[flags]) for row in rows}


def test_the_caseload_shows_open_goals_and_reviews_due(
    client_for: ClientFor, therapist: User
) -> None:
    start = days_from_today(-60)
    ana = ClientFactory(therapist=therapist, preferred_name="Ana")
    GoalFactory(client=ana, start_date=start, review_date=days_from_today(-1))
    GoalFactory(client=ana, start_date=start, review_date=days_from_today(30))
    GoalFactory(
        client=ana, status=Goal.Status.REVISED, review_date=days_from_today(-5), start_date=start
    )
    bo = ClientFactory(therapist=therapist, preferred_name="Bo")
    for days in (0, 7, 8):
        GoalFactory(client=bo, start_date=start, review_date=days_from_today(days))
    cy = ClientFactory(therapist=therapist, preferred_name="Cy")
    GoalFactory(client=cy, review_date=days_from_today(30))
    ClientFactory(therapist=therapist, preferred_name="Di")
    ed = ClientFactory(therapist=therapist, preferred_name="Ed")
    GoalFactory(client=ed, status=Goal.Status.ACHIEVED)

    response = client_for(therapist).get(reverse("clients:caseload"))

    assert _caseload_cells(response) == {
        "Ana": ("2 (1 review due)", "Goal review overdue: 1"),
        "Bo": ("3 (2 reviews due)", "Goal review due: 2"),
        "Cy": ("1", "—"),
        "Di": ("—", "—"),
        "Ed": ("—", "—"),
    }
    flags = {
        c.preferred_name: [(f.label, f.level) for f in fl] for c, fl, _s in response.context["rows"]
    }
    assert flags["Ana"] == [("Goal review overdue: 1", "info")]
    assert flags["Bo"] == [("Goal review due: 2", "info")]


def test_the_supervisors_view_of_the_caseload_shows_the_same(
    client_for: ClientFor, therapist: User, supervisor: User, goal: Goal
) -> None:
    url = reverse("clients:supervisee_caseload", kwargs={"therapist_pk": therapist.pk})

    response = client_for(supervisor).get(url)

    assert _caseload_cells(response) == {"Robin": ("1 (1 review due)", "Goal review overdue: 1")}


def test_the_chart_header_flags_a_review_due(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", kwargs={"pk": goal.client_id}))

    assert [f.label for f in response.context["flags"]] == ["Goal review overdue: 1"]


def test_the_goal_page_reads_only_this_goals_substance(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    # Alcohol for another client, and another substance for this client: neither is this goal's.
    UseCheckInFactory(client=ClientFactory(therapist=therapist), use_days=6, days_above_plan=6)
    UseCheckInFactory(client=goal.client, use_days=5, days_above_plan=5)

    response = client_for(therapist).get(page_url("goal", goal=goal))

    assert response.context["progress"].weeks == []
    assert response.context["chart"] is None


def test_a_reviewed_goal_shows_its_reviews(
    client_for: ClientFor, therapist: User, goal: Goal
) -> None:
    GoalReviewFactory(
        goal=goal, reviewed_on=days_from_today(-20), next_review_date=days_from_today(-2)
    )

    response = client_for(therapist).get(page_url("goal", goal=goal))

    page = text(response)
    assert "Keep going (new review date)" in page
    assert "Used on 4 days most weeks; two weeks within the plan." in page
    assert "Weekends with old friends are the hard part." in page


@pytest.mark.django_db(transaction=True)
def test_a_goal_reviewed_twice_at_once_is_reviewed_once(therapist: User, goal: Goal) -> None:
    webs = [web_for(therapist) for _ in range(3)]

    statuses = run_at_once(
        [
            (lambda w=w: w.post(page_url("goal_review", goal=goal), _review_post("achieved")))
            for w in webs
        ]
    )

    # The first closes the goal; the others are told it moved on (their page's own 409).
    assert sorted(r.status_code for r in statuses) == [302, 409, 409]
    assert GoalReview.objects.filter(goal=goal).count() == 1
    assert Goal.objects.get(pk=goal.pk).status == Goal.Status.ACHIEVED
