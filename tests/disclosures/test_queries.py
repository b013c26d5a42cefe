"""The Disclosures tab issues a fixed number of queries, whatever the number of disclosures.

Each count is pinned at one row and at many, with the same number: a query per row (the
consent, the person who disclosed) would make the larger case fail. Every count includes the
three queries of any signed-in request (session, user, two-factor device).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client, Consent
from hrp.accounts.models import User
from tests.disclosures.factories import AgencyConsentFactory, DisclosureFactory
from tests.disclosures.helpers import table_rows
from tests.factories import TherapistFactory

ClientFor = Callable[[User | None], HttpClient]

# 3 per request + client with header data, 3 flag prefetches (2 assessment, 1 goals),
# access event, disclosures with their consent and discloser
SUPERVISOR_QUERIES = 9
# + the consents a report may be produced under (the form's choices)
THERAPIST_QUERIES = SUPERVISOR_QUERIES + 1


@pytest.mark.parametrize("size", [1, 15])
@pytest.mark.parametrize(
    ("role", "queries"), [("therapist", THERAPIST_QUERIES), ("supervisor", SUPERVISOR_QUERIES)]
)
def test_tab_queries(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    record: Client,
    consent: Consent,
    size: int,
    role: str,
    queries: int,
    django_assert_num_queries,
) -> None:
    for index in range(size):
        # Several consents and several people disclosing, so that no row shares a cache.
        DisclosureFactory(
            consent=consent if index % 2 else AgencyConsentFactory(client=record),
            client=record,
            disclosed_by=TherapistFactory() if index % 3 else record.therapist,
        )
    web = client_for(request.getfixturevalue(role))

    with django_assert_num_queries(queries):
        response = web.get(reverse("disclosures:chart", args=[record.pk]))

    assert response.status_code == 200
    assert len(table_rows(response.content.decode(), "disclosures")) == size
