"""Actor, address and origin reach the audit trail one way: the audit context, set by the
middleware for pages, by the task runner for Celery tasks and by our management commands."""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command, find_commands, load_command_class
from django.db import InternalError, connection, transaction
from django.test import Client as HttpClient

from clients import services as client_services
from clients.models import Client
from hrp.accounts.models import User
from hrp.audit import context
from hrp.audit.actions import AuditAction, action_label
from hrp.audit.context import AuditedCommand, audit_context
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.celery import app as celery_app
from tests.clients.factories import ClientFactory


@celery_app.task(name="tests.audit.record_access")
def record_access(client_id: int) -> str:
    """A task like ours: takes an id, writes an audit event, has no request and no actor."""
    client = Client.objects.get(pk=client_id)
    audit_record(
        category=AuditEvent.Category.ACCESS, action=AuditAction.CLIENT_VIEW_OVERVIEW, obj=client
    )
    return context.current().path


class RecordingCommand(AuditedCommand):
    """A command like ours: writes one audit event, with no actor."""

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("client_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.get(pk=options["client_id"])
        audit_record(
            category=AuditEvent.Category.ACCESS, action=AuditAction.CLIENT_VIEW_OVERVIEW, obj=client
        )


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist)


def _views() -> list[tuple[int | None, str | None, str]]:
    return list(
        AuditEvent.objects.filter(action="client.view.overview")
        .order_by("id")
        .values_list("actor_id", "ip_address", "path")
    )


def test_a_page_records_its_user_address_and_path(
    client_for: Callable[[User | None], HttpClient], therapist: User, record: Client
) -> None:
    response = client_for(therapist).get(f"/clients/{record.pk}/", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert _views() == [(therapist.pk, "203.0.113.9", f"/clients/{record.pk}/")]


def test_a_page_behind_the_proxy_records_the_forwarded_address(
    client_for: Callable[[User | None], HttpClient], therapist: User, record: Client
) -> None:
    client_for(therapist).get(
        f"/clients/{record.pk}/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9",
    )

    assert _views() == [(therapist.pk, "203.0.113.9", f"/clients/{record.pk}/")]


def test_sign_in_is_recorded_with_the_address_of_its_request(therapist: User) -> None:
    # The sign-in receiver no longer sees the request: the middleware's context supplies it,
    # and the actor is the person who just signed in (the context read at write time).
    therapist.set_password("correct horse battery")
    therapist.save()

    HttpClient().post(
        "/account/sign-in/",
        {"username": therapist.email, "password": "correct horse battery"},
        REMOTE_ADDR="198.51.100.20",
    )

    assert list(
        AuditEvent.objects.filter(action="auth.login").values_list("actor_id", "ip_address", "path")
    ) == [(therapist.pk, "198.51.100.20", "/account/sign-in/")]


def test_a_task_records_its_name_as_origin_and_no_address(record: Client) -> None:
    with audit_context(path="/outside/", ip_address="203.0.113.9"):
        inside = record_access.delay(record.pk).get()
        after = context.current().path

    assert inside == "task:tests.audit.record_access"
    assert _views() == [(None, None, "task:tests.audit.record_access")]
    # The caller (here a page-like context) gets its own context back.
    assert after == "/outside/"


def test_a_management_command_records_its_name_as_origin(record: Client) -> None:
    call_command(RecordingCommand(), str(record.pk), stdout=io.StringIO())

    assert _views() == [(None, None, "command:test_context")]
    assert context.current().path == ""


def test_every_command_of_ours_sets_the_audit_context() -> None:
    base = Path(settings.BASE_DIR)
    ours = {
        name: config.name
        for config in apps.get_app_configs()
        # The project's own apps: under BASE_DIR but not in a virtualenv kept there (.venv).
        if base in Path(config.path).parents and "site-packages" not in Path(config.path).parts
        for name in find_commands(str(Path(config.path) / "management"))
    }

    # Exactly which commands exist changes with other work; every one of them must be audited.
    assert {"demo_code", "run_reminders", "seed_demo"} <= set(ours)
    commands = {n: load_command_class(app, n) for n, app in ours.items()}
    assert [n for n, c in commands.items() if not isinstance(c, AuditedCommand)] == []


def test_an_unknown_action_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match=r"Unknown audit action 'note\.signed'"):
        audit_record(category=AuditEvent.Category.CHANGE, action="note.signed")

    assert AuditEvent.objects.count() == 0


def test_a_service_records_the_actor_it_is_given(
    therapist: User, supervisor: User, record: Client
) -> None:
    # Even inside a page signed in as someone else, the actor passed to the service counts.
    with audit_context(path="/somewhere/", actor_source=lambda: supervisor):
        client_services.access_record(actor=therapist, client=record, what="overview")

    assert _views() == [(therapist.pk, None, "/somewhere/")]


def test_outside_any_context_nothing_is_invented(therapist: User, record: Client) -> None:
    client_services.access_record(actor=therapist, client=record, what="overview")

    assert _views() == [(therapist.pk, None, "")]


def test_every_action_is_imperative_and_labelled() -> None:
    past = [a.value for a in AuditAction if a.value.split(".")[-1].endswith(("ed", "_left"))]
    # An attempt the clinic refused keeps its verb and says so; nothing else is past tense.
    assert [v for v in past if not v.endswith(("_refused", "_failed"))] == []
    assert action_label("supervision.comment_acknowledge") == "Chart comment acknowledged"
    assert action_label("no.such.action") == "Unrecognised action"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_the_rename_migration_rewrites_old_codes_and_keeps_the_trail_append_only(
    therapist: User,
) -> None:
    migration = importlib.import_module("hrp.audit.migrations.0004_action_names_imperative")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_id, category, action, object_type,"
            " object_id, chart_number, changes, detail, path)"
            " VALUES (now(), %s, 'change', 'supervision.comment_left', '', '', '', '{}', '', '')",
            [therapist.pk],
        )

    with connection.schema_editor(atomic=False) as editor:
        migration.forwards(None, editor)

    assert list(AuditEvent.objects.values_list("action", "actor_id")) == [
        ("supervision.comment_add", therapist.pk)
    ]
    # The triggers are back on: the same UPDATE is refused again.
    with (
        pytest.raises(InternalError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x'")
