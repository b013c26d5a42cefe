"""The audit trail is append-only: in the model, in querysets and (on PostgreSQL) in SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, InternalError, connection, transaction
from django.test import RequestFactory

from hrp.accounts.models import User
from hrp.audit.context import client_ip
from hrp.audit.models import AuditEvent, AuditImmutableError
from hrp.audit.services import audit_record, diff_fields

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@pytest.fixture
def event(therapist: User) -> AuditEvent:
    return audit_record(
        category=AuditEvent.Category.CHANGE,
        action="account.update",
        actor=therapist,
        obj=therapist,
        changes={"credentials": ("", "LCSW")},
        detail="original detail",
    )


def stored(event: AuditEvent) -> tuple[str, str, dict]:
    row = AuditEvent.objects.filter(pk=event.pk).values_list("action", "detail", "changes").get()
    return row


def test_record_stores_who_what_and_old_and_new_values(event: AuditEvent, therapist: User) -> None:
    assert (event.actor, event.category, event.action) == (therapist, "change", "account.update")
    assert (event.object_type, event.object_id) == ("accounts.user", str(therapist.pk))
    assert event.changes == {"credentials": ["", "LCSW"]}
    assert (event.ip_address, event.path) == (None, "")


def test_saving_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.detail = "rewritten"

    with pytest.raises(AuditImmutableError, match="never updated"):
        event.save()

    assert stored(event) == ("account.update", "original detail", {"credentials": ["", "LCSW"]})


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditImmutableError, match="never deleted"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


def test_queryset_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditImmutableError, match="never updated"):
        AuditEvent.objects.filter(pk=event.pk).update(detail="rewritten")

    assert stored(event)[1] == "original detail"


def test_queryset_delete_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AuditImmutableError, match="never deleted"):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 1


def test_bulk_update_is_refused(event: AuditEvent) -> None:
    event.detail = "rewritten"

    # bulk_update runs inside an atomic block without a savepoint; give it one so the test's
    # own transaction survives the refusal.
    with pytest.raises(AuditImmutableError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["detail"])

    assert stored(event)[1] == "original detail"


@needs_postgres
def test_raw_sql_update_is_refused_by_the_database(event: AuditEvent) -> None:
    refused = r"audit events are append-only \(UPDATE refused\)"
    with (
        pytest.raises(InternalError, match=refused),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["rewritten", event.pk]
        )

    assert stored(event)[1] == "original detail"


@needs_postgres
def test_raw_sql_delete_is_refused_by_the_database(event: AuditEvent) -> None:
    refused = r"audit events are append-only \(DELETE refused\)"
    with (
        pytest.raises(DatabaseError, match=refused),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


@needs_postgres
def test_raw_sql_insert_is_still_allowed(event: AuditEvent) -> None:
    # Append-only, not read-only: the trail keeps growing.
    audit_record(category=AuditEvent.Category.ACCESS, action="client.view.overview")

    assert AuditEvent.objects.count() == 2


def test_client_address_behind_the_proxy_is_the_last_forwarded_hop() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9"
    )

    assert client_ip(request) == "203.0.113.9"


def test_detail_is_cut_to_the_column_length(db: None) -> None:
    event = audit_record(
        category=AuditEvent.Category.SECURITY, action="auth.login_failed", detail="d" * 300
    )

    assert len(AuditEvent.objects.get(pk=event.pk).detail) == 255


def test_changes_store_objects_by_primary_key(therapist: User, supervisor: User) -> None:
    event = audit_record(
        category=AuditEvent.Category.CHANGE,
        action="supervision.assign",
        changes={"supervisor": (None, supervisor), "roles": ("a", ["b", "c"])},
    )

    assert AuditEvent.objects.get(pk=event.pk).changes == {
        "supervisor": [None, supervisor.pk],
        "roles": ["a", ["b", "c"]],
    }


def test_diff_fields_lists_only_what_changed(therapist: User) -> None:
    before = {"full_name": therapist.full_name, "credentials": ""}
    therapist.credentials = "LCSW"

    assert diff_fields(therapist, before, ["full_name", "credentials"]) == {
        "credentials": ("", "LCSW")
    }
