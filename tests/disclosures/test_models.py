"""The accounting of disclosures is append-only: the model, the queryset and, on PostgreSQL, the
database itself refuse to change or remove a row."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from disclosures.models import Disclosure, DisclosureImmutableError
from tests.disclosures.factories import DisclosureFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def _row(pk: int) -> dict:
    return Disclosure.objects.filter(pk=pk).values().get()


def test_save_after_create_refused() -> None:
    disclosure = DisclosureFactory()
    before = _row(disclosure.pk)
    disclosure.recipient = "Someone else"

    with pytest.raises(DisclosureImmutableError, match=r"^Disclosures are never updated\.$"):
        disclosure.save()

    assert _row(disclosure.pk) == before


def test_delete_refused() -> None:
    disclosure = DisclosureFactory()

    with pytest.raises(DisclosureImmutableError, match=r"^Disclosures are never deleted\.$"):
        disclosure.delete()

    assert Disclosure.objects.count() == 1


def test_queryset_update_and_delete_refused() -> None:
    disclosure = DisclosureFactory()
    before = _row(disclosure.pk)

    with pytest.raises(DisclosureImmutableError, match=r"^Disclosures are never updated\.$"):
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient="x")
    with pytest.raises(DisclosureImmutableError, match=r"^Disclosures are never deleted\.$"):
        Disclosure.objects.all().delete()

    assert _row(disclosure.pk) == before


@on_postgresql
@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("UPDATE disclosures_disclosure SET recipient = 'x' WHERE id = %s", "UPDATE"),
        ("DELETE FROM disclosures_disclosure WHERE id = %s", "DELETE"),
    ],
)
def test_raw_sql_refused_by_the_database(sql: str, operation: str) -> None:
    disclosure = DisclosureFactory()
    before = _row(disclosure.pk)

    with (
        pytest.raises(DatabaseError) as raised,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [disclosure.pk])

    assert f"disclosures are append-only ({operation} refused)" in str(raised.value)
    assert _row(disclosure.pk) == before


def test_counts_must_add_up() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DisclosureFactory(scheduled=5)  # 3 attended + 1 missed = 4


def test_hash_must_be_hex() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DisclosureFactory(sha256="not-a-hash")
