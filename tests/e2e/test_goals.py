"""The ideal substance use plan and goals through a real browser: a therapist builds the plan
with the client and changes it (two versions), adds a moderation goal stated as a hypothesis
with a target, reviews it with "revise", and follows the link between the old goal and the new
one, then reads the plan's history and the comparison of its two versions."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from clients import services as client_services
from clients.models import Client, SubstanceUse
from goals.models import Goal, GoalReview, PlanVersion
from hrp import formats
from hrp.accounts.models import User
from tests.e2e.helpers import open_chart_tab, sign_in_as, status_messages
from tests.factories import TEST_PASSWORD, TherapistFactory

FIRST_REASON = "First plan, built together in session 2"
SECOND_REASON = "Fewer drinking days after the first two weeks went well"
OLD_GOAL_WORDS = "Drink on no more than three days a week, and never on work nights."
NEW_GOAL_WORDS = "Drink on up to four days a week, with two drinks at most on work nights."
HYPOTHESIS = "If I keep weeknights to tea and a walk, I expect to sleep better and feel less low."


def active_client_who_drinks(therapist: User) -> Client:
    """A client whose intake `therapist` has completed, with alcohol (goal: moderation)
    recorded at intake."""
    client = client_services.intake_start(
        actor=therapist,
        legal_name="Rafa Lindqvist-Osei",
        preferred_name="Rafa",
        pronouns="he/him",
        reason_for_coming="Drinking most evenings since the move, and it is costing sleep.",
        client_goals="Drink less on weeknights without giving up Friday with friends.",
    )
    client_services.substances_save(
        actor=therapist,
        client=client,
        rows=[
            (
                None,
                {
                    "substance": SubstanceUse.Substance.ALCOHOL,
                    "amount": "4-5 beers",
                    "frequency": "5 evenings a week",
                    "setting": "at home, alone",
                    "goal": SubstanceUse.Goal.MODERATION,
                },
            )
        ],
    )
    return client_services.intake_complete(actor=therapist, client=client)


def alcohol_section(page: Page) -> Locator:
    """The plan form's fieldset for alcohol, named by its legend."""
    return page.get_by_role("group", name="Alcohol (section 1)", exact=True)


def open_plan_tab(page: Page, client: Client) -> None:
    open_chart_tab(page, "Plan and goals")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/$"))


def expect_goal_page(page: Page, client: Client, goal: Goal, *, status: str) -> None:
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/goals/{goal.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: Alcohol {status}")


@pytest.mark.e2e
def test_therapist_builds_a_plan_and_revises_a_moderation_goal_after_its_review(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client_who_drinks(therapist)
    today = timezone.localdate()

    sign_in_as(page, therapist)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    page.get_by_role("link", name=client.display_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{client.display_name} ({client.pronouns})"
    )
    open_plan_tab(page, client)
    expect(page.get_by_role("region", name="Ideal substance use plan")).to_contain_text(
        "No plan yet — build it with the client."
    )

    # Version 1: the alcohol section comes from the intake; the ideal pattern is filled in.
    page.get_by_role("link", name="Start the plan").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/edit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Ideal substance use plan with {client.display_name}"
    )
    alcohol = alcohol_section(page)
    expect(alcohol.get_by_label("Substance or behaviour")).to_have_value("Alcohol")
    expect(alcohol.get_by_label("Current pattern")).to_have_value(
        "Amount: 4-5 beers; how often: 5 evenings a week; setting: at home, alone"
    )
    alcohol.get_by_label("Most per occasion").fill("3 beers")
    alcohol.get_by_label("Most use days a week").fill("3")
    alcohol.get_by_role("group", name="Safer-use practices").get_by_label("Food and water").check()
    alcohol.get_by_label("In the client's words").fill("Three nights is plenty; Friday counts.")
    alcohol.get_by_label("Clinician's notes").fill("Sleep is his main reason; track it too.")
    page.get_by_label("What changed and why").fill(FIRST_REASON)
    page.get_by_role("button", name="Save the plan").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/$"))
    expect(status_messages(page)).to_have_text("Plan saved as version 1.")
    plan_region = page.get_by_role("region", name="Ideal substance use plan")
    expect(plan_region.get_by_role("heading", level=2)).to_contain_text("version 1")
    expect(plan_region.locator("dd.client-words")).to_have_text(
        "Three nights is plenty; Friday counts."
    )

    # Version 2: fewer use days, with the reason.
    page.get_by_role("link", name="Edit plan").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/edit/$"))
    expect(page.get_by_role("note")).to_contain_text("This is version 1 of the plan.")
    alcohol = alcohol_section(page)
    expect(alcohol.get_by_label("Most use days a week")).to_have_value("3")
    alcohol.get_by_label("Most use days a week").fill("2")
    page.get_by_label("What changed and why").fill(SECOND_REASON)
    page.get_by_role("button", name="Save the plan").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/$"))
    expect(status_messages(page)).to_have_text("Plan saved as version 2.")
    plan_region = page.get_by_role("region", name="Ideal substance use plan")
    expect(plan_region.get_by_role("heading", level=2)).to_contain_text("version 2")

    # A moderation goal, stated as a hypothesis, with a measurable target.
    review_date = today + datetime.timedelta(weeks=3)
    page.get_by_role("link", name="Add a goal").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/goals/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a goal")
    page.get_by_label("Kind of goal").select_option(label="Moderation")
    page.get_by_label("Substance or behaviour").select_option(label="Alcohol")
    page.get_by_label("The goal in the client's words").fill(OLD_GOAL_WORDS)
    hypothesis = page.get_by_label("Hypothesis")
    expect(hypothesis).to_have_attribute("placeholder", "If I ..., I expect ...")
    hypothesis.fill(HYPOTHESIS)
    page.get_by_label("Measurable target").select_option(label="At most N use days a week")
    page.get_by_label("Target number").fill("3")
    expect(page.get_by_label("Start date")).to_have_value(today.isoformat())
    page.get_by_label("Review date").fill(review_date.isoformat())
    page.get_by_role("button", name="Add goal").click()

    # Read the database only once the page has moved on: the save is then committed.
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/goals/\d+/$"))
    old_goal = Goal.objects.get(client=client)
    expect_goal_page(page, client, old_goal, status="Active")
    expect(status_messages(page)).to_have_text(
        f"Goal added. Its review is on {formats.date(review_date)}."
    )
    expect(page.locator("dd.client-words")).to_have_text(OLD_GOAL_WORDS)
    expect(page.get_by_text("at most 3 use days a week", exact=True)).to_be_visible()

    # The review: partly realistic, so the goal is revised to four use days.
    page.get_by_role("link", name="Review this goal").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/goals/{old_goal.pk}/review/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the experiment")
    page.get_by_label("What happened").fill(
        "Three weeks: two within the plan; one week had five use days around a funeral."
    )
    page.get_by_role("group", name="Was it realistic?").get_by_label("Partly", exact=True).check()
    page.get_by_label("What was learned").fill(
        "Sleep was better on the nights without; four days is a step he can hold for now."
    )
    page.get_by_role("group", name="Decision").get_by_label(
        "Revise (a new version of the goal)"
    ).check()
    new_version = page.get_by_role(
        "group", name="If revising: the new version of the goal", exact=True
    )
    # The new version starts as a copy of the goal under review.
    expect(new_version.get_by_label("The goal in the client's words")).to_have_value(OLD_GOAL_WORDS)
    expect(new_version.get_by_label("Target number")).to_have_value("3.0")
    new_version.get_by_label("The goal in the client's words").fill(NEW_GOAL_WORDS)
    new_version.get_by_label("Target number").fill("4")
    page.get_by_role("button", name="Record review").click()

    # Landed on the new goal, which links back to the one it revises.
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/goals/(?!{old_goal.pk}/)\d+/$"))
    new_goal = Goal.objects.get(client=client, revised_from=old_goal)
    expect_goal_page(page, client, new_goal, status="Active")
    expect(status_messages(page)).to_have_text("Review recorded. The revised goal starts now.")
    expect(page.locator("dd.client-words")).to_have_text(NEW_GOAL_WORDS)
    expect(page.get_by_text("at most 4 use days a week", exact=True)).to_be_visible()
    expect(page.get_by_text("This goal revises an earlier goal.")).to_be_visible()
    page.get_by_role("link", name="an earlier goal", exact=True).click()

    expect_goal_page(page, client, old_goal, status="Revised")
    expect(page.get_by_role("link", name="Review this goal")).to_have_count(0)
    expect(page.get_by_text("This goal was revised into a newer goal.")).to_be_visible()
    review_article = page.get_by_role("region", name="Reviews").locator("article")
    expect(review_article).to_have_count(1)
    expect(review_article.get_by_role("heading", level=3)).to_contain_text(
        "Revise (a new version of the goal)"
    )
    expect(review_article.get_by_role("link", name=NEW_GOAL_WORDS)).to_be_visible()
    page.get_by_role("link", name="a newer goal", exact=True).click()
    expect_goal_page(page, client, new_goal, status="Active")

    # The chart's Plan section: the new goal is active, the old one is among earlier goals.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Plan and goals"
    ).click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/$"))
    goals_region = page.get_by_role("region", name="Goals")
    active_goals = goals_region.locator("ul.list-group > li")
    expect(active_goals).to_have_count(1)
    expect(active_goals.get_by_role("link")).to_have_text(NEW_GOAL_WORDS)
    expect(active_goals).to_contain_text("Moderation · Alcohol · target: at most 4 use days a week")
    expect(goals_region.get_by_role("heading", name="Earlier goals", level=3)).to_be_visible()
    earlier_goals = goals_region.locator("ul.list-unstyled > li")
    expect(earlier_goals).to_have_text([f"{OLD_GOAL_WORDS} — revised"])

    # The plan's history: both versions, newest first, with their reasons.
    page.get_by_role("region", name="Ideal substance use plan").get_by_role(
        "link", name="History"
    ).click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/versions/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Plan history: {client.display_name}"
    )
    history_rows = page.get_by_role("table").locator("tbody tr")
    expect(history_rows).to_have_count(2)
    expect(history_rows.nth(0).get_by_role("rowheader")).to_have_text("Version 2 current")
    expect(history_rows.nth(0).locator("td.plan-reason")).to_have_text(SECOND_REASON)
    expect(history_rows.nth(1).get_by_role("rowheader")).to_have_text("Version 1")
    expect(history_rows.nth(1).locator("td.plan-reason")).to_have_text(FIRST_REASON)

    # The comparison of version 1 with version 2 marks exactly the changed field.
    expect(page.get_by_label("Compare version")).to_have_value("1")
    expect(page.get_by_label("with version")).to_have_value("2")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/compare/\?a=1&b=2$"))
    expect(page.locator("p.lead")).to_contain_text("From version 1 to version 2")
    section = page.get_by_role("article", name="Alcohol")
    expect(section.get_by_role("heading", level=2)).to_have_text("Alcohol 1 field changed")
    days_row = section.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Most use days a week", exact=True)
    )
    expect(days_row).to_have_class(re.compile(r"\bplan-diff-changed\b"))
    expect(days_row.locator("td")).to_have_text(["3", "2", "changed"])
    changed_rows = section.locator("tbody tr.plan-diff-changed")
    expect(changed_rows).to_have_count(1)
    expect(section.locator("tbody tr:not(.plan-diff-same)")).to_have_count(1)

    # And in the database.
    old_goal.refresh_from_db()
    assert old_goal.status == Goal.Status.REVISED
    assert (old_goal.kind, old_goal.target, old_goal.target_value) == (
        Goal.Kind.MODERATION,
        Goal.Target.MAX_USE_DAYS,
        Decimal("3.0"),
    )
    assert old_goal.hypothesis == HYPOTHESIS
    assert old_goal.review_date == review_date
    assert old_goal.substance == client.substances.get()
    new_goal.refresh_from_db()
    assert new_goal.status == Goal.Status.ACTIVE
    assert new_goal.revised_from == old_goal
    assert (new_goal.client_words, new_goal.target_value) == (NEW_GOAL_WORDS, Decimal("4.0"))
    assert new_goal.start_date == today
    assert Goal.objects.filter(client=client).count() == 2
    review = GoalReview.objects.get(goal=old_goal)
    assert review.decision == GoalReview.Decision.REVISE
    assert review.realistic == GoalReview.Realistic.PARTLY
    assert review.new_goal == new_goal
    assert review.reviewed_by == therapist
    versions = list(PlanVersion.objects.filter(plan__client=client).order_by("number"))
    assert [(v.number, v.reason) for v in versions] == [(1, FIRST_REASON), (2, SECOND_REASON)]
    first, second = (v.sections[0] for v in versions)
    assert (first["name"], first["dose_limit"], first["max_days_per_week"]) == (
        "Alcohol",
        "3 beers",
        3,
    )
    assert first["safer_use"] == ["food_water"]
    assert first["client_words"] == "Three nights is plenty; Friday counts."
    assert first["clinician_notes"] == "Sleep is his main reason; track it too."
    assert second == {**first, "max_days_per_week": 2}
