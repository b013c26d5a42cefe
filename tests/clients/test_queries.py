"""Lists and chart pages issue a fixed number of queries, whatever the caseload size.

Each count is pinned at one row and at a full page (and one past it, where the page paginates),
with the same number: a query per row would make the larger case fail. Every count includes
the three queries of any signed-in request (session, user, two-factor device).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Referral
from hrp.accounts.models import User
from tests.budgets import CASELOAD_QUERIES, SUPERVISEE_CASELOAD_QUERIES
from tests.clients.factories import ClientFactory, ConsentFactory, SubstanceUseFactory

ClientFor = Callable[[User | None], HttpClient]

# The Overview composes every app's panel (tests/clients/test_overview.py lists the queries).
CHART_OVERVIEW_QUERIES = 22  # tests/clients/test_overview.py says what each one reads
CHART_INTAKE_QUERIES = 9  # + client, 3 flag prefetches, access event, substances
CHART_CONSENTS_QUERIES = 9  # + client with header data, 3 prefetches, access event, consents
ACCESS_LOG_QUERIES = 11  # + access check, event, client, 3 prefetches, count, page of events
MANAGE_LIST_QUERIES = 5  # + count, page of clients
MANAGE_CLIENT_QUERIES = 5  # + client, therapists to choose from

# The ceiling for the caseload. The chart's Overview grew past it when it came to show
# every app's panel (issue 15): a query or two per app, none per row.
assert CASELOAD_QUERIES <= 12


def _caseload_of(therapist: User, size: int) -> list[Client]:
    """`size` active clients with everything the caseload row shows (flags from an expiring
    consent and a mandated referral), and `size` intakes in progress."""
    soon = timezone.localdate() + datetime.timedelta(days=10)
    clients = []
    for _index in range(size):
        client = ClientFactory(
            therapist=therapist, referral__source=Referral.Source.MANDATED, referral__agency="Court"
        )
        ConsentFactory(client=client, expires_on=soon)
        SubstanceUseFactory(client=client)
        clients.append(client)
        ClientFactory(therapist=therapist, status=Client.Status.INTAKE, intake__completed_at=None)
    return clients


@pytest.mark.parametrize("size", [1, 25, 26])
def test_caseload_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.get(reverse("clients:caseload"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == min(size, 25)
    assert len(response.context["drafts"]) == size
    flags = [
        [f.label for f in row_flags] for _client, row_flags, _screening in response.context["rows"]
    ]
    assert flags[0] == [
        "Consent expires within 30 days",
        "Mandated referral: agency receives attendance only",
    ]


@pytest.mark.parametrize("size", [1, 25, 26])
def test_caseload_second_page_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = web.post(reverse("clients:caseload"), {"page": "2"})

    assert response.status_code == 200
    assert response.context["page"].number == (2 if size > 25 else 1)


@pytest.mark.parametrize("size", [1, 25, 26])
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
    assert len(response.context["rows"]) == min(size, 25)


@pytest.mark.parametrize("size", [1, 25, 26])
def test_manage_list_queries(
    client_for: ClientFor,
    therapist: User,
    clinic_admin: User,
    size: int,
    django_assert_num_queries,
) -> None:
    _caseload_of(therapist, size)  # 2 x size clients: active ones and intakes in progress
    web = client_for(clinic_admin)

    with django_assert_num_queries(MANAGE_LIST_QUERIES):
        response = web.get(reverse("clients:manage_list"))

    assert response.status_code == 200
    assert len(response.context["page"]) == min(2 * size, 25)


@pytest.mark.parametrize("size", [1, 25])
def test_manage_client_queries(
    client_for: ClientFor,
    therapist: User,
    clinic_admin: User,
    size: int,
    django_assert_num_queries,
) -> None:
    clients = _caseload_of(therapist, size)
    web = client_for(clinic_admin)

    with django_assert_num_queries(MANAGE_CLIENT_QUERIES):
        response = web.get(reverse("clients:manage_client", kwargs={"pk": clients[0].pk}))

    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 25])
def test_chart_overview_queries(
    client_for: ClientFor, therapist: User, size: int, django_assert_num_queries
) -> None:
    clients = _caseload_of(therapist, size)
    web = client_for(therapist)

    with django_assert_num_queries(CHART_OVERVIEW_QUERIES):
        response = web.get(reverse("clients:chart", kwargs={"pk": clients[-1].pk}))

    assert response.status_code == 200
    assert [f.label for f in response.context["flags"]] == [
        "Consent expires within 30 days",
        "Mandated referral: agency receives attendance only",
    ]


@pytest.mark.parametrize("size", [1, 25])
def test_chart_overview_queries_for_the_supervisor(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    size: int,
    django_assert_num_queries,
) -> None:
    clients = _caseload_of(therapist, size)
    web = client_for(supervisor)

    with django_assert_num_queries(CHART_OVERVIEW_QUERIES):
        response = web.get(reverse("clients:chart", kwargs={"pk": clients[-1].pk}))

    assert response.status_code == 200


@pytest.fixture
def rich_record(therapist: User, other_therapist: User, request: pytest.FixtureRequest) -> Client:
    """One client with `request.param` consents (half revoked), substances and assignments."""
    rows = request.param
    record = ClientFactory(therapist=therapist)
    today = timezone.localdate()
    for index in range(rows):
        ConsentFactory(
            client=record,
            revoked_on=today if index % 2 else None,
            revoked_by="The client" if index % 2 else "",
        )
        SubstanceUseFactory(client=record)
    return record


@pytest.mark.parametrize("rich_record", [1, 25], indirect=True)
@pytest.mark.parametrize(
    "url_name, kwargs, expected",
    [
        ("clients:intake", {}, CHART_INTAKE_QUERIES),
        ("clients:consents", {}, CHART_CONSENTS_QUERIES),
        ("clients:access_log", {}, ACCESS_LOG_QUERIES),
    ],
)
def test_chart_section_queries_do_not_grow_with_the_record(
    client_for: ClientFor,
    therapist: User,
    rich_record: Client,
    url_name: str,
    kwargs: dict,
    expected: int,
    django_assert_num_queries,
) -> None:
    web = client_for(therapist)
    url = reverse(url_name, kwargs={"pk": rich_record.pk, **kwargs})
    for _view in range(3):  # a longer access log too
        web.get(url)

    with django_assert_num_queries(expected):
        response = web.get(url)

    assert response.status_code == 200
