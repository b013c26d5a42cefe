"""The chart's Supplies section and its forms, per role: the treating clinician records, voids
and corrects; the supervisor and a reader under an emergency grant read; everyone else gets 404
(a client's existence is private); nothing is stored on a refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from hrp import formats
from hrp.accounts.models import User
from supplies.models import SupplyRecord, SupplyVoid
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import page_text, table_rows
from tests.supplies.factories import SupplyRecordFactory, SupplyVoidFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]
TODAY = timezone.localdate()

# role: (section, record POST, void page, correct page)
ROLE_STATUS = {
    "therapist": (200, 302, 200, 200),
    "other_therapist": (404, 404, 404, 404),
    "supervisor": (200, 403, 403, 403),
    "other_supervisor": (404, 404, 404, 404),
    "clinic_admin": (404, 404, 404, 404),
}
# The section: session, user, authenticator; client with header data; 3 flag prefetches; the
# records with their voids and recorders; the access event.
SECTION_QUERIES = 9


def _form(**changes: str) -> dict[str, str]:
    return {
        "item": "naloxone",
        "item_other": "",
        "quantity": "2",
        "given_on": TODAY.isoformat(),
        "how": "given",
        "note": "",
        **changes,
    }


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    row = SupplyRecordFactory(client=record)
    web = client_for(request.getfixturevalue(role))

    statuses = (
        web.get(reverse("supplies:section", args=[record.pk])).status_code,
        web.post(reverse("supplies:record", args=[record.pk]), _form()).status_code,
        web.get(reverse("supplies:void", args=[record.pk, row.pk])).status_code,
        web.get(reverse("supplies:correct", args=[record.pk, row.pk])).status_code,
    )

    assert statuses == ROLE_STATUS[role]
    assert SupplyRecord.objects.count() == (2 if role == "therapist" else 1)


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, record: Client) -> None:
    url = reverse("supplies:section", args=[record.pk])
    response = client_for(None).get(url)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next={url}",
    )


def test_emergency_reader_reads_without_forms(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    SupplyRecordFactory(client=record, quantity=3)
    EmergencyGrantFactory(user=other_therapist, client=record)
    web = client_for(other_therapist)

    page = web.get(reverse("supplies:section", args=[record.pk]))
    post = web.post(reverse("supplies:record", args=[record.pk]), _form())

    assert (page.status_code, post.status_code) == (200, 403)
    assert "Record supplies or services given" not in page_text(page)
    assert SupplyRecord.objects.count() == 1


def test_section_lists_records_with_voids_marked(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    SupplyRecordFactory(client=record, item="fentanyl_strips", quantity=10, note="test each bag")
    SupplyVoidFactory(record=SupplyRecordFactory(client=record, quantity=4), reason="Entered twice")

    rows = table_rows(
        client_for(therapist).get(reverse("supplies:section", args=[record.pk])), "supplies"
    )

    day = formats.date(TODAY)
    assert [row[:4] for row in rows] == [
        [day, "Naloxone kit", "4", "Given at the clinic"],
        [day, "Fentanyl test strips", "10", "Given at the clinic"],
    ]
    assert rows[0][4] == f"Set aside by Tess Therapist on {day}: Entered twice"


def test_invalid_form_is_refused_with_messages(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("supplies:record", args=[record.pk]),
        _form(quantity="٣", item="other", given_on="2999-01-01"),
    )

    text = page_text(response)
    assert response.status_code == 400
    assert "Enter a whole number, such as 3." in text
    assert "Describe the other item." in text
    assert "This date is in the future." in text
    assert SupplyRecord.objects.count() == 0


def test_void_and_correct_through_the_pages(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    first = SupplyRecordFactory(client=record, quantity=5)
    second = SupplyRecordFactory(client=record, quantity=7)
    web = client_for(therapist)

    refused = web.post(reverse("supplies:void", args=[record.pk, first.pk]), {"reason": ""})
    voided = web.post(reverse("supplies:void", args=[record.pk, first.pk]), {"reason": "Twice"})
    corrected = web.post(
        reverse("supplies:correct", args=[record.pk, second.pk]),
        {**_form(quantity="6"), "reason": "Miscounted"},
    )

    assert (refused.status_code, voided.status_code, corrected.status_code) == (400, 302, 302)
    assert sorted(SupplyVoid.objects.values_list("record_id", flat=True)) == [first.pk, second.pk]
    assert SupplyRecord.objects.get(corrects=second).quantity == 6


def test_another_clients_record_is_404(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = SupplyRecordFactory(client__therapist=therapist)
    response = client_for(therapist).post(
        reverse("supplies:void", args=[record.pk, elsewhere.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    assert SupplyVoid.objects.count() == 0


@pytest.mark.parametrize("rows", [1, 12])
def test_section_query_count_is_constant(
    client_for: ClientFor, therapist: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    for index in range(rows):
        row = SupplyRecordFactory(client=record)
        if index % 3 == 0:
            SupplyVoidFactory(record=row)
    web = client_for(therapist)
    url = reverse("supplies:section", args=[record.pk])
    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(url)
    assert response.status_code == 200
    assert len(table_rows(response, "supplies")) == rows
