"""Progress summaries carry the client's strengths and resources (issue 16), as they stood at
the period's end, on the page and in the PDF."""

from __future__ import annotations

import datetime

import pytest

from hrp import formats
from hrp.accounts.models import User
from summaries import selectors, services
from summaries.models import SummaryRequest
from tests.assessments.factories_harm import HarmAssessmentFactory
from tests.htmltext import words
from tests.pdftext import contains
from tests.summaries.conftest import Seeded

pytestmark = pytest.mark.django_db


def test_the_page_and_the_pdf_show_the_strengths_with_their_source(
    seeded: Seeded, therapist: User
) -> None:
    within = HarmAssessmentFactory(
        client=seeded.client,
        assessed_on=seeded.end - datetime.timedelta(days=3),
        strengths="I kept to my plan at the wedding.",
        supports="My sister; the Thursday group.",
        past_changes="",
    )
    # Assessed after the period: not what the summary of the period says.
    HarmAssessmentFactory(
        client=seeded.client,
        assessed_on=seeded.end + datetime.timedelta(days=1),
        strengths="Said after the period.",
    )
    summary = SummaryRequest.objects.create(
        client=seeded.client,
        period_start=seeded.start,
        period_end=seeded.end,
        requested_by=therapist,
    )

    assert services.summary_build(summary_id=summary.pk) == "done"

    summary.refresh_from_db()
    html = summary.html_body()
    assert html is not None
    on = formats.date(within.assessed_on)
    assert "Strengths and resources, in the client's words" in html
    assert "I kept to my plan at the wedding." in html
    assert "Said after the period." not in html
    pdf = summary.pdf_bytes()
    assert pdf is not None
    assert contains(pdf, "Strengths and resources, in the client's words")
    assert contains(pdf, f"I kept to my plan at the wedding. (Harm assessment, {on})")
    assert contains(pdf, f"My sister; the Thursday group. (Harm assessment, {on})")
    assert not contains(pdf, "Said after the period.")


def test_the_figures_list_the_strengths_in_order(seeded: Seeded) -> None:
    HarmAssessmentFactory(
        client=seeded.client, assessed_on=seeded.end, strengths="Patient.", supports="Lou."
    )
    client = selectors.summary_client(seeded.client.pk)

    data = selectors.summary_data(client, seeded.start, seeded.end)

    assert [(s.key, words(s.text), s.source) for s in data.strengths] == [
        ("strengths", "Patient.", "assessment"),
        ("supports", "Lou.", "assessment"),
    ]


def test_no_strengths_recorded_says_so(seeded: Seeded, therapist: User) -> None:
    summary = SummaryRequest.objects.create(
        client=seeded.client,
        period_start=seeded.start,
        period_end=seeded.end,
        requested_by=therapist,
    )

    services.summary_build(summary_id=summary.pk)

    summary.refresh_from_db()
    assert "No strengths or supports recorded yet." in (summary.html_body() or "")
