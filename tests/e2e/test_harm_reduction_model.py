"""Issue 16's flow through a real browser, end to end: a therapist records the client's
strengths and a concrete harm in a harm assessment, sets a goal that answers that harm from the
plan's "harms no goal answers yet", reviews the plan as a hypothesis after three weeks of
check-ins, and prints the client's own copy (which carries the goal, never the clinician's
notes). The parts have their own, finer browser tests (plan review, client copy); this one is
the journey a clinician practising the model makes."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import HarmAssessment, IdentifiedHarm
from goals import services as goal_services
from goals.models import Goal, PlanReview
from goals.services import week_start
from tests.e2e.helpers import sign_in_as, status_messages
from tests.e2e.test_goals import active_client_who_drinks
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.htmltext import words
from tests.pdftext import pdf_text

HARM = "Misses Monday shifts after weekend drinking"
STRENGTH = "Shows up for his daughter every Saturday morning"
GOAL_WORDS = "Keep Sunday nights dry so Monday works"


@pytest.mark.e2e
def test_strengths_a_harm_a_goal_that_answers_it_a_plan_review_and_the_clients_copy(
    page: Page,
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client_who_drinks(therapist)
    alcohol = client.substances.get()
    sign_in_as(page, therapist)

    # 1. A harm assessment with the client's strengths and one concrete harm.
    page.goto(f"/clients/{client.pk}/harm/new/")
    page.get_by_label("Strengths", exact=True).fill(STRENGTH)
    first_row = page.get_by_role("group", name=re.compile(r"Add a harm \(row 1\)"))
    first_row.get_by_label("With which substance or behaviour").select_option(label="Alcohol")
    first_row.get_by_label("Part of life").select_option(label="Work or school")
    first_row.get_by_label("What happens, concretely, in the client's words").fill(HARM)
    page.get_by_role("button", name="Save harm assessment").click()
    expect(status_messages(page).first).to_be_visible()
    assessment = HarmAssessment.objects.get(client=client)
    assert assessment.strengths == STRENGTH
    harm = IdentifiedHarm.objects.get(assessment=assessment)
    assert (harm.description, harm.substance_id, harm.domain) == (HARM, alcohol.pk, "work")

    # 2. The plan lists the harm as not yet answered; a goal is set for it from there.
    page.goto(f"/clients/{client.pk}/plan/")
    open_harms = page.get_by_role("region", name="Harms no goal answers yet")
    expect(open_harms).to_contain_text(HARM)
    expect(page.get_by_role("complementary", name="Strengths and resources")).to_contain_text(
        STRENGTH
    )
    open_harms.get_by_role("link", name=re.compile(r"^Set a goal for this")).click()
    page.get_by_label("Kind of goal").select_option(label="Moderation")
    expect(page.get_by_label("Substance or behaviour")).to_have_value(str(alcohol.pk))
    page.get_by_label("The goal in the client's words").fill(GOAL_WORDS)
    page.get_by_label("Hypothesis").fill(
        "If Sunday stays dry, I expect to make every Monday shift this month."
    )
    page.get_by_label("Review date").fill(
        (timezone.localdate() + datetime.timedelta(weeks=4)).isoformat()
    )
    page.get_by_role("button", name="Add goal").click()
    goal = Goal.objects.get(client=client, client_words=GOAL_WORDS)
    assert list(goal.harms.all()) == [harm]
    page.goto(f"/clients/{client.pk}/plan/")
    expect(page.get_by_role("region", name="Harms no goal answers yet")).to_have_count(0)

    # 3. The plan, saved four weeks ago with its limits, after three weeks of check-ins.
    this_week = week_start(timezone.localdate())
    goal_services.plan_save(
        actor=therapist,
        client=client,
        sections=[
            {
                "name": "Alcohol",
                "max_days_per_week": 3,
                "max_amount_per_day": "3",
                "amount_unit": "beers",
                "client_words": "Three nights is plenty; Friday counts.",
            }
        ],
        reason="First plan, built together",
        saved_at=timezone.make_aware(
            datetime.datetime.combine(this_week - datetime.timedelta(weeks=4), datetime.time(10))
        ),
        review_date=this_week - datetime.timedelta(days=2),
    )
    for weeks_back, use_days, beers in ((3, 3, 2), (2, 4, 3), (1, 2, 5)):
        goal_services.checkin_record(
            actor=therapist,
            client=client,
            substance=alcohol,
            week=this_week - datetime.timedelta(weeks=weeks_back),
            use_days=use_days,
            typical_amount=Decimal(beers),
            amount_unit="beers",
        )
    page.goto(f"/clients/{client.pk}/plan/")
    page.get_by_role("link", name="Review the plan").click()
    rows = page.get_by_role("region", name="Weeks since this version").locator("tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label("What happened").fill("Two of three weeks went past the plan's limits.")
    page.get_by_role("group", name="Was it realistic?").get_by_label("Partly", exact=True).check()
    page.get_by_label("Did the harms change?").fill("Made every Monday shift but one.")
    page.get_by_label("What was learned").fill("Fridays need a plan of their own.")
    what_next = page.get_by_role("group", name="What next")
    expect(what_next.get_by_role("radio")).to_have_count(2)  # keep or adjust: no blank choice
    what_next.get_by_label("Keep the plan as it is").check()
    page.get_by_role("button", name="Record the review").click()
    review = PlanReview.objects.get(version__plan__client=client)
    assert (review.outcome, review.realistic) == ("keep", "partly")

    # 4. The client's own copy: their goal in their words, printed.
    page.goto(f"/clients/{client.pk}/plan/")
    page.get_by_role("link", name="The client's own copy to print").click()
    copy = page.get_by_role("article", name="The client's own copy")
    expect(copy).to_contain_text(GOAL_WORDS)
    printed = page.request.get(f"/clients/{client.pk}/plan/your-copy/pdf/")
    assert printed.headers["content-type"] == "application/pdf"
    text = words(pdf_text(printed.body()))
    assert GOAL_WORDS in text
    assert client.preferred_name not in text
