"""Recording, voiding and correcting supplies: the edges of every rule, and nothing stored on a
refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from supplies import selectors, services
from supplies.models import SupplyImmutableError, SupplyRecord, SupplyVoid
from tests.clients.factories import ClientFactory
from tests.supplies.factories import SupplyRecordFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
Item = SupplyRecord.Item


def _record(actor: User, client: Client, **changes: object) -> SupplyRecord:
    values: dict = {"item": Item.NALOXONE, "quantity": 2, "given_on": TODAY, **changes}
    return services.supply_record(actor=actor, client=client, **values)


def test_record_stores_the_row_and_audits_without_the_note(therapist: User, record: Client) -> None:
    row = _record(therapist, record, note="Showed how to use it", quantity=3)

    stored = SupplyRecord.objects.get()
    assert (stored.pk, stored.item, stored.quantity, stored.given_on, stored.how) == (
        row.pk,
        "naloxone",
        3,
        TODAY,
        "given",
    )
    assert stored.note == "Showed how to use it"
    event = AuditEvent.objects.get(action="supply.record")
    assert event.changes == {
        "item": [None, "naloxone"],
        "quantity": [None, 3],
        "given_on": [None, TODAY.isoformat()],
        "how": [None, "given"],
    }
    assert "Showed" not in str(event.changes)


@pytest.mark.parametrize("quantity", [1, 500])
def test_quantity_edges_accepted(therapist: User, record: Client, quantity: int) -> None:
    assert _record(therapist, record, quantity=quantity).quantity == quantity


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": 0}, "quantity", "The quantity must be from 1 to 500."),
        ({"quantity": 501}, "quantity", "The quantity must be from 1 to 500."),
        ({"quantity": True}, "quantity", "Enter a whole number, such as 3."),
        ({"item": "heroin"}, "item", "Choose an item from the list."),
        ({"item": Item.OTHER, "item_other": "  "}, "item_other", "Describe the other item."),
        (
            {"how": "sold"},
            "how",
            "Say whether it was given here or the client was referred elsewhere.",
        ),
    ],
)
def test_refusals_store_nothing(
    therapist: User, record: Client, changes: dict, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _record(therapist, record, **changes)

    assert error.value.message_dict == {field: [message]}
    assert SupplyRecord.objects.count() == 0
    assert AuditEvent.objects.filter(action="supply.record").count() == 0


def test_date_today_accepted_tomorrow_and_1899_refused(therapist: User, record: Client) -> None:
    assert _record(therapist, record, given_on=TODAY).given_on == TODAY
    for day in (TODAY + datetime.timedelta(days=1), datetime.date(1899, 12, 31)):
        with pytest.raises(ValidationError) as error:
            _record(therapist, record, given_on=day)
        assert list(error.value.message_dict) == ["given_on"]
    assert SupplyRecord.objects.count() == 1


def test_only_the_treating_clinician_records(
    supervisor: User, other_therapist: User, record: Client
) -> None:
    for actor in (supervisor, other_therapist):
        with pytest.raises(PermissionDenied):
            _record(actor, record)
    assert SupplyRecord.objects.count() == 0


def test_void_keeps_the_row_and_drops_it_from_totals(therapist: User, record: Client) -> None:
    kept = _record(therapist, record, quantity=2)
    voided = _record(therapist, record, quantity=5)

    services.supply_void(actor=therapist, client=record, record=voided, reason="Entered twice")

    assert SupplyRecord.objects.count() == 2
    assert SupplyVoid.objects.get().record_id == voided.pk
    totals = selectors.totals_by_client([record.pk], TODAY, TODAY)[record.pk]
    assert [(t.item, t.given, t.referred) for t in totals] == [("naloxone", 2, 0)]
    assert kept.pk != voided.pk


def test_void_refusals(therapist: User, record: Client) -> None:
    row = _record(therapist, record)
    other = SupplyRecordFactory(client=ClientFactory(therapist=therapist))

    with pytest.raises(ValidationError) as empty:
        services.supply_void(actor=therapist, client=record, record=row, reason="  ")
    with pytest.raises(ValidationError) as elsewhere:
        services.supply_void(actor=therapist, client=record, record=other, reason="x")
    services.supply_void(actor=therapist, client=record, record=row, reason="wrong chart")
    with pytest.raises(ValidationError) as twice:
        services.supply_void(actor=therapist, client=record, record=row, reason="again")

    assert empty.value.message_dict == {"reason": ["Say why this record is set aside."]}
    assert elsewhere.value.messages == ["This record belongs to another client's chart."]
    assert twice.value.messages == ["This record was already set aside."]
    assert SupplyVoid.objects.count() == 1


def test_correct_voids_and_records_the_right_values(therapist: User, record: Client) -> None:
    wrong = _record(therapist, record, item=Item.FENTANYL_STRIPS, quantity=100)

    right = services.supply_correct(
        actor=therapist,
        client=record,
        record=wrong,
        reason="Typed 100 for 10",
        item=Item.FENTANYL_STRIPS,
        quantity=10,
        given_on=TODAY,
    )

    assert right.corrects_id == wrong.pk
    assert SupplyVoid.objects.get().record_id == wrong.pk
    totals = selectors.totals_by_client([record.pk], TODAY, TODAY)[record.pk]
    assert [(t.item, t.given) for t in totals] == [("fentanyl_strips", 10)]
    event = AuditEvent.objects.get(action="supply.correct")
    assert event.changes["quantity"] == [100, 10]


def test_a_refused_correction_stores_nothing(therapist: User, record: Client) -> None:
    wrong = _record(therapist, record)

    with pytest.raises(ValidationError):
        services.supply_correct(
            actor=therapist,
            client=record,
            record=wrong,
            reason="Typo",
            item=Item.NALOXONE,
            quantity=0,
            given_on=TODAY,
        )

    assert SupplyVoid.objects.count() == 0
    assert SupplyRecord.objects.count() == 1


def test_records_are_append_only(therapist: User, record: Client) -> None:
    row = _record(therapist, record)
    row.quantity = 9
    with pytest.raises(SupplyImmutableError):
        row.save()
    with pytest.raises(SupplyImmutableError):
        row.delete()
    assert SupplyRecord.objects.get().quantity == 2
