"""The plan tested as a hypothesis through a real browser (issue 16): after three weeks of
check-ins measured against the plan's own limits, the therapist sees the plan review due, reads
the weeks (days above plan worked out from the limits), reviews the plan with "adjust" and goes
straight on to its new version, which brings its own review date."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from goals import services as goal_services
from goals.models import PlanReview, PlanVersion
from goals.services import week_start
from tests.e2e.helpers import sign_in_as, status_messages
from tests.e2e.test_goals import active_client_who_drinks, alcohol_section, open_plan_tab
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.mark.e2e
def test_therapist_reviews_the_plan_after_three_weeks_of_check_ins(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client_who_drinks(therapist)
    alcohol = client.substances.get()
    this_week = week_start(timezone.localdate())
    saved = timezone.make_aware(
        datetime.datetime.combine(this_week - datetime.timedelta(weeks=4), datetime.time(10))
    )
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
        saved_at=saved,
        review_date=this_week - datetime.timedelta(days=2),
    )
    # Three weeks of check-ins: within the plan; one day too many; more beers than the limit.
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

    sign_in_as(page, therapist)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page.get_by_text("Plan review overdue")).to_be_visible()
    page.get_by_role("link", name=client.display_name, exact=True).click()
    open_plan_tab(page, client)
    expect(page.get_by_text("review overdue", exact=True)).to_be_visible()
    page.get_by_role("link", name="Review the plan").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/review/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the plan (version 1)")
    weeks = page.get_by_role("region", name="Weeks since this version")
    rows = weeks.locator("tbody tr")
    expect(rows).to_have_count(3)
    # Newest first; the last column is days above plan as the plan's limits give them.
    expect(rows.nth(0).locator("td").last).to_have_text("2")
    expect(rows.nth(1).locator("td").last).to_have_text("1")
    expect(rows.nth(2).locator("td").last).to_have_text("0")

    page.get_by_label("What happened").fill(
        "Three weeks: one within the plan, one with a fourth evening, one with big nights."
    )
    page.get_by_role("group", name="Was it realistic?").get_by_label("Partly", exact=True).check()
    page.get_by_label("Did the harms change?").fill("Sleeping better on the nights without.")
    page.get_by_label("What was learned").fill("Three beers is hard on Fridays; two nights hold.")
    page.get_by_role("group", name="What next").get_by_label(
        "Adjust it: make a new version now"
    ).check()
    page.get_by_role("button", name="Record the review").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/edit/$"))
    expect(status_messages(page)).to_have_text(
        "Review recorded. Now adjust the plan: saving makes version 2."
    )
    review = PlanReview.objects.get(version__plan__client=client)
    assert (review.outcome, review.realistic, review.reviewed_by) == ("adjust", "partly", therapist)

    section = alcohol_section(page)
    expect(section.get_by_label("Most per use day (number)")).to_have_value("3")
    section.get_by_label("Most per use day (number)").fill("4")
    section.get_by_label("Most use days a week").fill("2")
    page.get_by_label("What changed and why").fill("After the review: fewer nights, honest limit")
    page.get_by_role("button", name="Save the plan").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/plan/$"))
    expect(status_messages(page)).to_have_text("Plan saved as version 2.")
    latest = PlanVersion.objects.filter(plan__client=client).order_by("-number").first()
    assert latest is not None and latest.number == 2
    assert latest.review_date == timezone.localdate() + datetime.timedelta(weeks=4)
    assert latest.sections[0]["max_amount_per_day"] == "4"
    expect(page.get_by_text("review overdue", exact=True)).to_have_count(0)
