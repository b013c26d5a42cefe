"""Migrations a busy clinic survives (hrp/schema.py, the `migrate` wrapper).

Issue 13:
- `CREATE INDEX CONCURRENTLY IF NOT EXISTS` left an INVALID index from an interrupted run in
  place for ever. Now the audit indexes' migration drops such a leftover and builds it again,
  and the deploy check hrp.E102 and /healthz report any INVALID index.
- No lock timeout was set: a migration waiting for a busy table queued every query behind it.
  Now `migrate` runs under `MIGRATION_LOCK_TIMEOUT` and stops with a plain message.

CREATE INDEX CONCURRENTLY cannot run inside a transaction, hence `transaction=True`.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse

from hrp import schema
from hrp.audit.actions import AuditAction
from hrp.audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

PROBE = "hrp_schema_probe"
audit_indexes = importlib.import_module("hrp.audit.migrations.0003_oversight_indexes")


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _index_definition(name: str) -> tuple[str, bool] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [name],
        )
        return cursor.fetchone()


def _leave_invalid_unique_index(name: str, table: str, columns: str) -> None:
    """A unique index built CONCURRENTLY over duplicates: the build fails and leaves the
    index behind, INVALID, as an interrupted migration would."""
    with pytest.raises(IntegrityError):
        _execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} {columns}")
    assert _index_definition(name)[1] is False


@pytest.fixture
def probe_table() -> Iterator[str]:
    _execute(f"CREATE TABLE {PROBE} (n integer)")
    _execute(f"INSERT INTO {PROBE} VALUES (1), (1), (2)")
    yield PROBE
    _execute(f"DROP TABLE IF EXISTS {PROBE}")


@pytest.fixture
def audit_indexes_restored() -> Iterator[None]:
    """Whatever the test does to the audit indexes, later tests find them as migrated."""
    yield
    with connection.schema_editor(atomic=False) as editor:
        for name in audit_indexes.INDEXES:
            editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        audit_indexes.forwards(None, editor)


def test_an_invalid_index_is_reported_then_replaced_by_create_index_concurrently(
    probe_table: str,
) -> None:
    assert schema.invalid_indexes() == []
    assert schema.check_invalid_indexes(None, databases=["default"]) == []

    _leave_invalid_unique_index(f"{PROBE}_n", PROBE, "(n)")

    assert schema.invalid_indexes() == [f"{PROBE}_n"]
    (error,) = schema.check_invalid_indexes(None, databases=["default"])
    assert error.id == "hrp.E102"
    assert error.msg.startswith(f"Index {PROBE}_n is INVALID")
    # Not asked for a database (plain `check --deploy`): nothing read, nothing reported.
    assert schema.check_invalid_indexes(None, databases=None) == []
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200  # slower, not down
    assert response.json()["indexes"] == {"ok": False, "invalid": [f"{PROBE}_n"]}

    # Built again through the helper (once the duplicate is gone): dropped, rebuilt, valid.
    _execute(f"DELETE FROM {PROBE} WHERE n = 1")

    with connection.schema_editor(atomic=False) as editor:
        schema.create_index_concurrently(
            editor, name=f"{PROBE}_n", table=PROBE, columns="(n)", unique=True
        )

    assert _index_definition(f"{PROBE}_n") == (
        f"CREATE UNIQUE INDEX {PROBE}_n ON public.{PROBE} USING btree (n)",
        True,
    )
    assert schema.invalid_indexes() == []
    with pytest.raises(IntegrityError):
        _execute(f"INSERT INTO {PROBE} VALUES (2)")


def test_the_audit_index_migration_run_again_rebuilds_an_interrupted_index(
    audit_indexes_restored: None,
) -> None:
    audit_record(category="security", action=AuditAction.AUTH_LOGIN)
    audit_record(category="security", action=AuditAction.AUTH_LOGIN)
    # An interrupted run: the index of that name exists, INVALID (and not even the right one).
    _execute("DROP INDEX CONCURRENTLY audit_event_at_id")
    _leave_invalid_unique_index("audit_event_at_id", "audit_auditevent", "(action)")
    assert schema.invalid_indexes() == ["audit_event_at_id"]

    with connection.schema_editor(atomic=False) as editor:
        audit_indexes.forwards(None, editor)

    assert schema.invalid_indexes() == []
    assert _index_definition("audit_event_at_id") == (
        "CREATE INDEX audit_event_at_id ON public.audit_auditevent USING btree (at, id)",
        True,
    )


def _lock_of_another_session(table: str) -> psycopg2.extensions.connection:
    """Another session holding a lock on `table` that any query on it must wait for."""
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"],
    )
    with other.cursor() as cursor:  # psycopg2 opens a transaction: the lock is held until close
        # Without a lock timeout migrate would wait for ever: the server ends this session
        # (and its lock) after 10 s, so such a run fails the test instead of hanging it.
        cursor.execute("SET idle_in_transaction_session_timeout = '10s'")
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return other


def test_migrate_gives_up_on_a_busy_table_after_the_lock_timeout(settings: Any) -> None:
    before = _setting("lock_timeout")
    for how in ("option", "setting"):
        other = _lock_of_another_session("django_migrations")
        try:
            started = time.monotonic()
            with pytest.raises(CommandError) as stopped:
                if how == "option":
                    call_command("migrate", lock_timeout="300ms", verbosity=0)
                else:
                    settings.MIGRATION_LOCK_TIMEOUT = "300ms"
                    call_command("migrate", verbosity=0)
            waited = time.monotonic() - started
        finally:
            if not other.closed:
                other.close()

        assert str(stopped.value).startswith(
            "A migration waited longer than the lock timeout (300ms) for a table that other "
            "work was using, and stopped"
        ), how
        assert waited < 5, how
        # The session's own setting is back as it was.
        assert _setting("lock_timeout") == before, how
    call_command("migrate", verbosity=0)  # and, once the table is free, migrate runs


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


# CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS, literally or with CONCURRENTLY in a
# placeholder (f"CREATE INDEX {concurrently}IF NOT EXISTS ...", as audit 0003 had it).
BY_HAND = re.compile(
    r"CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+|\{\w*\})IF\s+NOT\s+EXISTS", re.IGNORECASE
)


@pytest.mark.django_db(transaction=False)
def test_no_migration_builds_an_index_concurrently_by_hand() -> None:
    """`CREATE INDEX CONCURRENTLY IF NOT EXISTS` skips an INVALID leftover for ever: every
    migration builds concurrent indexes through hrp.schema.create_index_concurrently."""
    base = Path(settings.BASE_DIR)
    by_hand = [
        str(path.relative_to(base))
        for config in apps.get_app_configs()
        if base in Path(config.path).parents and "site-packages" not in Path(config.path).parts
        for path in sorted((Path(config.path) / "migrations").glob("*.py"))
        if BY_HAND.search(path.read_text())
    ]
    assert by_hand == []
