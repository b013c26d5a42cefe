"""Measure pages issue a fixed number of queries, whatever the number of administrations or
clients.

Each count is pinned at one row and at many, with the same number: a query per row would make
the larger case fail. Every count includes the three queries of any signed-in request (session,
user, two-factor device).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from assessments.measures import PHQ9
from assessments.models import HarmAssessment
from clients.models import Client
from hrp.accounts.models import User
from tests.assessments.factories import (
    AdministrationFactory,
    answers_for,
    follow_up_and_resolve,
    local_noon,
)
from tests.assessments.test_views import caseload_measures
from tests.budgets import CASELOAD_QUERIES, SUPERVISEE_CASELOAD_QUERIES
from tests.clients.factories import ClientFactory
from tests.risk.factories import RiskFlagFactory

ClientFor = Callable[[User | None], HttpClient]

TREND_QUERIES = 8  # + client, administrations, harm assessments, open goals, access event
# + client, administrations, harm, open goals, access event, harm list, stage history
SECTION_QUERIES = 10
# + clients (with the id of their latest administration of each measure), those administrations
DUE_LIST_QUERIES = 5

FLAGGED = {**answers_for(PHQ9, 10), "q9": "1"}


def _administrations(client: Client, *, many: bool) -> None:
    """One PHQ-9, or 12 administrations across 5 measures: a PHQ-9 series with a flag followed
    up and one open, a corrected GAD-7, an AUDIT and a DAST-10 at their severity thresholds,
    and a WHO-5."""
    if not many:
        AdministrationFactory(client=client, raw_total=12, administered_at=local_noon(40))
        return
    for days_ago, raw in [(150, 20), (120, 16), (90, 12), (60, 9)]:
        AdministrationFactory(client=client, raw_total=raw, administered_at=local_noon(days_ago))
    followed_up = AdministrationFactory(
        client=client, answers=FLAGGED, administered_at=local_noon(45)
    )
    follow_up_and_resolve(followed_up)
    AdministrationFactory(client=client, answers=FLAGGED, administered_at=local_noon(30))
    gad7 = AdministrationFactory(
        client=client, measure_code="GAD7", raw_total=14, administered_at=local_noon(90)
    )
    AdministrationFactory(
        client=client,
        measure_code="GAD7",
        raw_total=11,
        administered_at=gad7.administered_at,
        corrects=gad7,
        correction_reason="Question 3 was entered on the wrong line.",
    )
    AdministrationFactory(client=client, measure_code="GAD7", raw_total=8)
    AdministrationFactory(
        client=client, measure_code="AUDIT", raw_total=20, administered_at=local_noon(49)
    )
    AdministrationFactory(
        client=client, measure_code="DAST10", raw_total=6, administered_at=local_noon(50)
    )
    AdministrationFactory(client=client, measure_code="WHO5", raw_total=14)


def _harm_assessments(client: Client, count: int) -> None:
    for index in range(count):
        harm = HarmAssessment.objects.create(
            client=client,
            assessed_by=client.therapist,
            assessed_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=30 * index),
            uses_alone=index == count - 1,
            has_naloxone=True,
        )
        if harm.uses_alone:  # the flag the service would open for a client using opioids
            RiskFlagFactory(
                client=client, kind="overdose", source_key="assessments.harm", source_id=harm.pk
            )


@pytest.fixture
def record(therapist: User, request: pytest.FixtureRequest) -> Client:
    """One client with one administration, or ("many") 12 across 5 measures and 3 harm
    assessments."""
    many = request.param == "many"
    client = ClientFactory(therapist=therapist)
    _administrations(client, many=many)
    _harm_assessments(client, 3 if many else 1)
    return client


@pytest.mark.parametrize("record", ["one", "many"], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_trend_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("assessments:trend", kwargs={"pk": record.pk, "code": "PHQ9"})

    with django_assert_num_queries(TREND_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    expected = [12] if record.administrations.count() == 1 else [20, 16, 12, 9, 11, 11]
    assert [p.score for p in response.context["trend"].points] == expected


@pytest.mark.parametrize("record", ["one", "many"], indirect=True)
@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_chart_section_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    role: str,
    django_assert_num_queries,
) -> None:
    web = client_for(request.getfixturevalue(role))
    url = reverse("assessments:section", kwargs={"pk": record.pk})

    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    if record.administrations.count() > 1:
        assert [f.label for f in response.context["flags"]] == [
            "Suicide risk: follow-up needed",
            "Overdose risk: follow-up needed",
            "Measures due: PHQ-9",
        ]
        # Screening results apart from risk (issue 16).
        assert [f.label for f in response.context["screening"]] == [
            "AUDIT 20: possible dependence",
            "DAST-10 6: substantial",
        ]
        assert len(response.context["history"]) == 10


def _caseload_of(therapist: User, size: int) -> list[Client]:
    """`size` active clients, each with several administrations (one with an open suicide-risk
    flag, a followed-up one, a severity flag) and an overdose-risk harm assessment."""
    clients = []
    for _index in range(size):
        client = ClientFactory(therapist=therapist)
        followed_up = AdministrationFactory(
            client=client, answers=FLAGGED, administered_at=local_noon(60)
        )
        follow_up_and_resolve(followed_up)
        AdministrationFactory(client=client, answers=FLAGGED, administered_at=local_noon(31))
        AdministrationFactory(client=client, measure_code="GAD7", raw_total=9)
        AdministrationFactory(client=client, measure_code="AUDIT", raw_total=22)
        AdministrationFactory(
            client=client, measure_code="AUDITC", raw_total=4, administered_at=local_noon(20)
        )
        AdministrationFactory(client=client, measure_code="AUDITC", raw_total=10)
        AdministrationFactory(client=client, measure_code="WHO5", raw_total=15)
        _harm_assessments(client, 2)
        clients.append(client)
    return clients


CASELOAD_FLAGS = [
    "Suicide risk: follow-up needed",
    "Overdose risk: follow-up needed",
    "Measures due: PHQ-9",
]
CASELOAD_SCREENING = ["AUDIT 22: possible dependence"]


@pytest.mark.parametrize("size", [1, 25, 26])
def test_caseload_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == min(size, 25)
    assert [[f.label for f in flags] for _client, flags, _s in rows] == [CASELOAD_FLAGS] * len(rows)
    assert [[f.label for f in screening] for _c, _f, screening in rows] == [
        CASELOAD_SCREENING
    ] * len(rows)
    # Every measure's latest result, AUDIT-C included, read in the same number of queries.
    assert caseload_measures(response) == [
        "PHQ-9 11 moderate · GAD-7 9 mild · AUDIT 22 possible dependence · AUDIT-C 10 positive"
        " · WHO-5 60% adequate wellbeing"
    ] * min(size, 25)


@pytest.mark.parametrize("size", [1, 25])
def test_supervisee_caseload_queries(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    _caseload_of(therapist, size)
    web = client_for(supervisor)
    url = reverse("clients:supervisee_caseload", kwargs={"therapist_pk": therapist.pk})

    with django_assert_num_queries(SUPERVISEE_CASELOAD_QUERIES):
        response = web.get(url)

    assert response.status_code == 200
    assert len(response.context["rows"]) == size


@pytest.mark.parametrize("size", [1, 25])
def test_due_list_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(DUE_LIST_QUERIES):
        response = web.get(reverse("assessments:due"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == size
    assert all(
        [d.measure.code for d in due] == ["PHQ9"] for _client, due in response.context["rows"]
    )
