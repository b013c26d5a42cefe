"""Query budgets of the safety pages, pinned at one row and at many: the number of queries does
not grow with the number of versions or periods of lower tolerance."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp.accounts.models import User
from tests.safety.helpers import overdose_version, safety_version, window

ClientFor = Callable[[User | None], HttpClient]

# + client with the header's data and flags (one query: the tolerance flag is a subquery in
# it), the flag sources' prefetches (2 assessments, 1 goals), every window, current safety
# version, current overdose version, access event.
SECTION_QUERIES = 11
# + client, access event, every version with who saved it.
HISTORY_QUERIES = 6


def _history(therapist: User, record: Client, rows: int) -> None:
    for n in range(rows):
        safety_version(therapist, record, coping_alone=f"Try {n}", reason=f"Change {n}")
        overdose_version(therapist, record, spacing=f"Wait {n}", reason=f"Change {n}")
        window(therapist, record, start=-30 * n - 5, end=-30 * n + 3)


@pytest.mark.parametrize("rows", [1, 6])
def test_the_section_costs_the_same_whatever_the_history(
    django_assert_num_queries: object,
    client_for: ClientFor,
    therapist: User,
    record: Client,
    rows: int,
) -> None:
    _history(therapist, record, rows)
    http = client_for(therapist)
    url = reverse("safety:section", kwargs={"pk": record.pk})

    with django_assert_num_queries(SECTION_QUERIES):  # type: ignore[operator]
        response = http.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("data-step=") == 6


@pytest.mark.parametrize("rows", [1, 6])
@pytest.mark.parametrize("kind", ["safety", "overdose"])
def test_the_history_costs_the_same_whatever_the_number_of_versions(
    django_assert_num_queries: object,
    client_for: ClientFor,
    therapist: User,
    record: Client,
    rows: int,
    kind: str,
) -> None:
    _history(therapist, record, rows)
    http = client_for(therapist)
    url = reverse(f"safety:{kind}_history", kwargs={"pk": record.pk})

    with django_assert_num_queries(HISTORY_QUERIES):  # type: ignore[operator]
        response = http.get(url)

    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == rows + 1
