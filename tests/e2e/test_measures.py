"""Standard measures through a real browser: a PHQ-9 whose question 9 raises the suicide-risk
flag on the caseload until it is followed up and resolved, the trend chart drawn by Chart.js, and
an incomplete PHQ-9 that is refused with the answers kept."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from assessments import services as assessment_services
from assessments.measures import PHQ9
from assessments.models import Administration
from clients import services as client_services
from clients.models import Client
from hrp.accounts.models import User
from risk.models import RiskFlag
from tests.e2e.helpers import open_chart_tab, sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory

SUICIDE_FLAG = "Suicide risk: follow-up needed"


def active_client(therapist: User, *, preferred_name: str) -> Client:
    """A client whose intake `therapist` has completed, so the chart is open for measures."""
    client = client_services.intake_start(
        actor=therapist,
        legal_name=f"{preferred_name} Okafor-Lind",
        preferred_name=preferred_name,
        pronouns="she/her",
        reason_for_coming="Drinking more since the layoff, and sleeping badly.",
        client_goals="Feel less low; fewer drinks on weeknights.",
    )
    return client_services.intake_complete(actor=therapist, client=client)


def question(page: Page, number: int) -> Locator:
    """The fieldset of PHQ-9 question `number`, named by its legend ("9. Thoughts that ...")."""
    text = str(PHQ9.items[number - 1].text)
    return page.get_by_role("group", name=f"{number}. {text}", exact=True)


def answer(page: Page, number: int, label: str) -> None:
    """Answer a question as a person does: by clicking the words of the answer."""
    question(page, number).get_by_text(label, exact=True).click()


def caseload_row(page: Page, client: Client) -> Locator:
    return page.get_by_role("row").filter(
        has=page.get_by_role("link", name=client.display_name, exact=True)
    )


def go_to_caseload(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="My caseload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")


def open_assessments_tab(page: Page, client: Client) -> None:
    go_to_caseload(page)
    caseload_row(page, client).get_by_role("link", name=client.display_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{client.display_name} ({client.pronouns})"
    )
    open_chart_tab(page, "Assessments")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/assessments/$"))


@pytest.mark.e2e
def test_phq9_question_9_flag_shows_until_the_follow_up_is_recorded(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist, preferred_name="Mara")
    # An earlier PHQ-9 a month ago (8, mild; question 9 "Not at all"), so the chart has a line.
    assessment_services.administration_record(
        actor=therapist,
        client=client,
        measure_code="PHQ9",
        answers={**{f"q{i}": "1" for i in range(1, 9)}, "q9": "0"},
        administered_at=timezone.now() - datetime.timedelta(days=30),
    )

    sign_in_as(page, therapist)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(caseload_row(page, client)).not_to_contain_text(SUICIDE_FLAG)
    open_assessments_tab(page, client)
    page.get_by_role("link", name="Give PHQ-9").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/measures/PHQ9/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("PHQ-9")
    for number in range(1, 9):
        answer(page, number, "More than half the days")
    answer(page, 9, "Several days")
    expect(question(page, 9).get_by_label("Several days")).to_be_checked()
    page.get_by_role("button", name="Save and score").click()

    # 8 x 2 + 1 = 17.
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/measures/PHQ9/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("PHQ-9 over time: Mara")
    messages = page.locator(".messages [role=status]")
    expect(messages).to_have_text(
        [
            "PHQ-9 recorded: 17 (moderately severe).",
            "The answer to question 9 raised a suicide-risk flag. It stays on the chart and "
            "caseload until it is followed up and resolved (the chart's Risk tab).",
        ]
    )
    expect(page.get_by_role("list", name="Flags")).to_contain_text(SUICIDE_FLAG)
    stored = Administration.objects.filter(client=client, measure_code="PHQ9")
    assert stored.count() == 2
    latest = stored.order_by("-administered_at").first()
    assert (latest.score, latest.suicide_risk) == (17, True)

    # The chart: Chart.js drew one point per administration, and the table has the same two.
    expect(page.locator("canvas#trend-chart")).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))"
    )
    points = page.evaluate(
        "() => Chart.getChart(document.getElementById('trend-chart')).data.datasets[0].data"
    )
    assert points == [8, 17]
    table = page.get_by_role("table", name="PHQ-9 scores, oldest first")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("8")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("17")

    go_to_caseload(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(caseload_row(page, client).locator("td").last).to_contain_text(SUICIDE_FLAG)

    open_assessments_tab(page, client)
    expect(page.get_by_role("list", name="Flags")).to_contain_text(SUICIDE_FLAG)
    page.get_by_role("link", name="Risk", exact=True).click()
    open_flags = page.get_by_role("region", name="Open risk flags")
    expect(open_flags).to_contain_text("PHQ-9 question 9")
    open_flags.get_by_role("link", name=re.compile(r"^Record what was done")).click()

    flag = RiskFlag.objects.get(client=client)
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/risk/{flag.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide risk: open")
    action = "Explored the thoughts with Mara; made a safety plan together; gave crisis numbers."
    page.locator("[name=action]").fill(action)
    # The clinic's wall clock, a few minutes ago, as a datetime-local input takes it.
    done_at = datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)) - datetime.timedelta(minutes=3)
    page.locator("[name=done_at]").fill(done_at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Record follow-up").click()

    expect(page.locator(".messages [role=status]")).to_have_text("Follow-up recorded.")
    follow_up = flag.follow_ups.get()
    assert follow_up.action == action
    assert follow_up.done_at == done_at.replace(second=0, microsecond=0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Suicide risk: followed up")

    page.locator("[name=resolution]").fill("Mara feels safe; the plan is in place.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_role("region", name="Open risk flags")).to_contain_text("No open risk flag.")
    expect(page.locator("header.chart-header")).not_to_contain_text("Suicide risk")

    go_to_caseload(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(caseload_row(page, client)).to_have_count(1)
    expect(caseload_row(page, client)).not_to_contain_text(SUICIDE_FLAG)


@pytest.mark.e2e
def test_incomplete_phq9_is_refused_and_keeps_the_answers(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist, preferred_name="Noor")
    sign_in_as(page, therapist)
    page.goto(f"/clients/{client.pk}/measures/PHQ9/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("PHQ-9")

    given = {1: "Several days", 2: "Not at all", 4: "Nearly every day", 5: "Several days"}
    given |= {6: "More than half the days", 8: "Not at all", 9: "Not at all"}
    for number, label in given.items():
        answer(page, number, label)
    page.get_by_role("button", name="Save and score").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/measures/PHQ9/new/$"))
    expect(page.get_by_role("alert")).to_have_text(
        "2 questions are not answered yet. Nothing was saved; your answers are kept below."
    )
    for number, label in given.items():
        expect(question(page, number).get_by_label(label, exact=True)).to_be_checked()
    for number in (3, 7):
        expect(question(page, number)).to_contain_text("Please answer this question.")
        expect(question(page, number).get_by_role("radio", checked=True)).to_have_count(0)
    assert Administration.objects.count() == 0
