"""The funders' report: clinic admins and supervisors read it, therapists get 404; its totals
per item and month are right, voided records are left out, and no client's identity is in the
page or the CSV."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from supplies.selectors import funders_report, month_start
from tests.clients.factories import ClientFactory
from tests.htmltext import page_text, table_rows
from tests.supplies.factories import SupplyRecordFactory, SupplyVoidFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

THIS_MONTH = month_start(timezone.localdate())
LAST_MONTH = month_start(THIS_MONTH - datetime.timedelta(days=1))
ROLE_STATUS = {
    "therapist": 404,
    "other_therapist": 404,
    "supervisor": 200,
    "other_supervisor": 200,
    "clinic_admin": 200,
}
# session, user, authenticator; the month x item sums; distinct clients per month; distinct
# clients over the range; the audit event.
REPORT_QUERIES = 7
RANGE = {"first": f"{LAST_MONTH:%Y-%m}", "last": f"{THIS_MONTH:%Y-%m}"}


@pytest.fixture
def seeded(therapist: User, other_therapist: User) -> dict[str, object]:
    """Two clients with names and chart numbers that must not appear; records in both months."""
    alma = ClientFactory(therapist=therapist, legal_name="Almandine Quist", preferred_name="Alma")
    bo = ClientFactory(therapist=other_therapist, legal_name="Bohdan Zephyr", preferred_name="Bo")
    SupplyRecordFactory(client=alma, item="naloxone", quantity=2, given_on=LAST_MONTH)
    SupplyRecordFactory(client=alma, item="fentanyl_strips", quantity=10, given_on=LAST_MONTH)
    SupplyRecordFactory(client=bo, item="naloxone", quantity=1, given_on=LAST_MONTH)
    SupplyRecordFactory(client=alma, item="naloxone", quantity=3, given_on=THIS_MONTH)
    SupplyRecordFactory(
        client=alma, item="sterile", quantity=1, given_on=THIS_MONTH, how="referred"
    )
    SupplyVoidFactory(
        record=SupplyRecordFactory(client=bo, item="naloxone", quantity=50, given_on=THIS_MONTH)
    )
    return {"clients": [alma, bo]}


def _month(day: datetime.date) -> str:
    return formats.month(day)


def test_totals_per_item_and_month(seeded: dict) -> None:
    report = funders_report(LAST_MONTH, THIS_MONTH)

    assert [(r.month, r.given_in_order(), r.referred, r.clients) for r in report.months] == [
        (LAST_MONTH, [3, 10, 0, 0, 0, 0], 0, 2),
        (THIS_MONTH, [3, 0, 0, 0, 0, 0], 1, 1),
    ]
    assert (report.totals, report.referred, report.clients) == ([6, 10, 0, 0, 0, 0], 1, 2)


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(request: pytest.FixtureRequest, client_for: ClientFor, role: str) -> None:
    web = client_for(request.getfixturevalue(role))
    statuses = (
        web.get(reverse("supplies:report"), RANGE).status_code,
        web.get(reverse("supplies:report_csv"), RANGE).status_code,
    )
    assert statuses == (ROLE_STATUS[role], ROLE_STATUS[role])


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor) -> None:
    response = client_for(None).get(reverse("supplies:report"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_page_shows_counts_and_no_identity(
    client_for: ClientFor, clinic_admin: User, seeded: dict
) -> None:
    response = client_for(clinic_admin).get(reverse("supplies:report"), RANGE)

    rows = table_rows(response, "supplies-report")
    assert rows == [
        [_month(LAST_MONTH), "3", "10", "0", "0", "0", "0", "0", "2"],
        [_month(THIS_MONTH), "3", "0", "0", "0", "0", "0", "1", "1"],
    ]
    text = page_text(response)
    for client in seeded["clients"]:
        for identity in (client.legal_name, client.preferred_name, client.chart_number):
            assert identity not in text
    assert AuditEvent.objects.filter(action="supply.report", actor=clinic_admin).count() == 1


def test_csv_has_counts_and_no_identity(
    client_for: ClientFor, supervisor: User, seeded: dict
) -> None:
    response = client_for(supervisor).get(reverse("supplies:report_csv"), RANGE)

    body = response.content.decode()
    assert list(csv.reader(io.StringIO(body))) == [
        [
            "Month",
            "Naloxone kit",
            "Fentanyl test strips",
            "Xylazine test strips",
            "Sterile syringes and injecting supplies",
            "Safer-smoking supplies",
            "Other (describe)",
            "Referred elsewhere (times)",
            "Clients served",
        ],
        [f"{LAST_MONTH:%Y-%m}", "3", "10", "0", "0", "0", "0", "0", "2"],
        [f"{THIS_MONTH:%Y-%m}", "3", "0", "0", "0", "0", "0", "1", "1"],
        ["Total", "6", "10", "0", "0", "0", "0", "1", "2"],
    ]
    for client in seeded["clients"]:
        for identity in (client.legal_name, client.preferred_name, client.chart_number):
            assert identity not in body


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"first": "2026-13", "last": "2026-01"}, "Enter a month such as 2026-01."),
        ({"first": "２０２６-01", "last": "2026-01"}, "Enter a month such as 2026-01."),
        ({"first": "1899-12", "last": "1900-01"}, "Enter a month from 1900 onwards."),
        ({"first": "2020-05", "last": "2020-04"}, "The last month must be on or after the first."),
        ({"first": "2020-01", "last": "2022-01"}, "A report covers at most 24 months."),
        ({"first": "2020-01", "last": "9999-12"}, "The report covers months up to this one."),
    ],
)
def test_bad_ranges_are_refused(
    client_for: ClientFor, clinic_admin: User, params: dict, message: str
) -> None:
    response = client_for(clinic_admin).get(reverse("supplies:report"), params)
    assert response.status_code == 400
    assert message in page_text(response)
    assert AuditEvent.objects.filter(action="supply.report").count() == 0


@pytest.mark.parametrize("records", [1, 30])
def test_query_count_is_constant(
    client_for: ClientFor,
    clinic_admin: User,
    therapist: User,
    records: int,
    django_assert_num_queries,
) -> None:
    for index in range(records):
        SupplyRecordFactory(
            client=ClientFactory(therapist=therapist),
            item=["naloxone", "fentanyl_strips", "sterile"][index % 3],
            given_on=LAST_MONTH + datetime.timedelta(days=index % 20),
        )
    web = client_for(clinic_admin)
    with django_assert_num_queries(REPORT_QUERIES):
        response = web.get(reverse("supplies:report"), RANGE)
    assert response.status_code == 200
