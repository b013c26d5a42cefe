"""Screening results are not risk (issue 16.10): a screening measure's result at its threshold
(AUDIT "possible dependence", DAST-10 "substantial") is shown under "Screening", in the
registry's neutral words, never in the column or list that holds suicide and overdose risk.
Which measures screen is read from the registry (`Measure.screens`), not from a list."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse

from assessments.measures import MEASURES, screening_measures
from clients.models import Client
from hrp.accounts.models import User
from tests.assessments.factories import AdministrationFactory, answers_for
from tests.clients.factories import ClientFactory
from tests.htmltext import parse, table, words

ClientFor = Callable[[User | None], HttpClient]

SUICIDE = {**answers_for(MEASURES["PHQ9"], 10), "q9": "1"}


def test_the_screening_measures_come_from_the_registry() -> None:
    assert sorted(screening_measures()) == sorted(
        code for code, measure in MEASURES.items() if measure.severity_flag_at is not None
    )
    assert sorted(screening_measures()) == ["AUDIT", "DAST10"]
    # The measure that raises risk (PHQ-9 question 9) is not a screening measure.
    assert [code for code, m in MEASURES.items() if m.raises_risk] == ["PHQ9"]
    assert not MEASURES["PHQ9"].screens


@pytest.fixture
def people(therapist: User) -> dict[str, Client]:
    at_risk = ClientFactory(therapist=therapist, preferred_name="Ana")
    AdministrationFactory(client=at_risk, measure_code="PHQ9", answers=SUICIDE)
    screened = ClientFactory(therapist=therapist, preferred_name="Bo")
    AdministrationFactory(client=screened, measure_code="AUDIT", raw_total=22)
    AdministrationFactory(client=screened, measure_code="DAST10", raw_total=7)
    below = ClientFactory(therapist=therapist, preferred_name="Cy")
    AdministrationFactory(client=below, measure_code="AUDIT", raw_total=12)
    return {"at_risk": at_risk, "screened": screened, "below": below}


def _cells(response: HttpResponse) -> dict[str, tuple[list[str], list[str]]]:
    """Each client's Screening and Flags cells, badge by badge, by preferred name."""
    header, _rows = table(response)
    assert header.index("Screening") < header.index("Flags")
    cells = {}
    for row in parse(response).xpath("//tbody/tr"):
        name = words(row.xpath("./td[1]/a")[0].text_content())
        screening = row.xpath("./td[@data-column='screening']//span")
        flags = row.xpath("./td[@data-column='flags']//span")
        cells[name] = (
            [words(s.text_content()) for s in screening],
            [words(f.text_content()) for f in flags],
        )
    return cells


def test_the_caseload_shows_screening_apart_from_risk(
    client_for: ClientFor, therapist: User, people: dict[str, Client]
) -> None:
    response = client_for(therapist).get(reverse("clients:caseload"))

    assert _cells(response) == {
        "Ana": ([], ["Suicide risk: follow-up needed"]),
        "Bo": (["AUDIT 22: possible dependence", "DAST-10 7: substantial"], []),
        "Cy": ([], []),
    }
    root = parse(response)
    assert len(root.xpath("//span[contains(@class, 'flag-screening')]")) == 2
    # A screening result is never drawn as risk.
    assert not root.xpath("//span[contains(@class, 'flag-risk')][contains(., 'AUDIT')]")


def test_the_chart_header_shows_screening_apart_from_the_flags(
    client_for: ClientFor, therapist: User, people: dict[str, Client]
) -> None:
    response = client_for(therapist).get(reverse("clients:chart", args=[people["screened"].pk]))

    root = parse(response)
    flags = root.xpath("//header//ul[@aria-label='Flags']//span")
    screening = root.xpath("//header//p[contains(@class, 'chart-screening')]")
    assert [words(f.text_content()) for f in flags] == []
    assert [words(p.text_content()) for p in screening] == [
        "Screening: AUDIT 22: possible dependence DAST-10 7: substantial"
    ]


def test_the_supervisors_lists_keep_risk_for_suicide_and_overdose(
    client_for: ClientFor, supervisor: User, therapist: User, people: dict[str, Client]
) -> None:
    web = client_for(supervisor)

    risk = web.get(reverse("supervision:column", args=[therapist.pk, "risk"]))
    screening = web.get(reverse("supervision:column", args=[therapist.pk, "screening"]))

    assert [i.client for i in risk.context["items"]] == [people["at_risk"]]
    assert [(i.client, i.results) for i in screening.context["items"]] == [
        (people["screened"], ["AUDIT 22: possible dependence", "DAST-10 7: substantial"])
    ]
    page = words(html.unescape(screening.content.decode()))
    assert "Clients with a screening result to talk through" in page
