"""Schema changes that a busy clinic's database survives: the lock timeout migrations run
under, concurrent index builds that recover from an interrupted run, and the check that finds
indexes such a run left behind.

- Lock timeout. A migration that alters a table waits for an ACCESS EXCLUSIVE lock, and while
  it waits every query on that table queues behind it: one long report would freeze every page
  that touches the table. `manage.py migrate` (our wrapper, hrp/core/management/commands)
  therefore runs with `lock_timeout` = `MIGRATION_LOCK_TIMEOUT` (default 10s, `--lock-timeout`
  per run, `0` for none): a migration that cannot get its lock in time stops, its transaction
  rolls back, and it can be run again at a quieter moment.
- Concurrent indexes. `CREATE INDEX CONCURRENTLY` that is interrupted (a cancelled deploy, a
  lock timeout, a duplicate under a unique index) leaves the index in the catalog marked
  INVALID: unused by queries but still updated by every write. `IF NOT EXISTS` then skips it
  for ever. `create_index_concurrently()` drops such a leftover and builds it again.
- The check. `invalid_indexes()` lists what is left INVALID; the deploy check hrp.E102 (with a
  database) and /healthz report it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core import checks
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# SQLSTATE 55P03 lock_not_available: what a lock_timeout raises.
LOCK_NOT_AVAILABLE = "55P03"

# Indexes left INVALID, excluding those a CREATE INDEX CONCURRENTLY is building right now
# (they are INVALID until it finishes). The progress view shows other sessions' builds only to
# members of pg_read_all_stats; without it a build in progress is listed too, which is harmless.
INVALID_INDEXES_SQL = """
    SELECT index_class.relname
    FROM pg_index index
    JOIN pg_class index_class ON index_class.oid = index.indexrelid
    JOIN pg_namespace namespace ON namespace.oid = index_class.relnamespace
    WHERE NOT index.indisvalid
      AND namespace.nspname = current_schema()
      AND NOT EXISTS (
          SELECT 1 FROM pg_stat_progress_create_index progress
          WHERE progress.index_relid = index.indexrelid
      )
    ORDER BY index_class.relname
"""


def _setting(connection: BaseDatabaseWrapper, name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def _set(connection: BaseDatabaseWrapper, name: str, value: str) -> None:
    with connection.cursor() as cursor:
        # set_config rather than SET: it takes the value as a parameter. Session-wide (false).
        cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


@contextmanager
def lock_timeout(connection: BaseDatabaseWrapper, value: str) -> Iterator[None]:
    """Run the block with the session's `lock_timeout` at `value` (PostgreSQL units: "10s",
    "500ms"; "0" waits for ever), then put back what it was. Nothing on other databases."""
    if connection.vendor != "postgresql":
        yield
        return
    previous = _setting(connection, "lock_timeout")
    _set(connection, "lock_timeout", value)
    try:
        yield
    finally:
        # After a failed statement outside a transaction the session is usable again; inside
        # an aborted one (never the case for migrate, whose atomic blocks have rolled back by
        # now) the reset would fail, and the session is discarded anyway.
        if connection.connection is not None and not connection.needs_rollback:
            _set(connection, "lock_timeout", previous)


def is_lock_timeout(error: BaseException | None) -> bool:
    """True when `error` (or what caused it) is PostgreSQL's lock_not_available."""
    while error is not None:
        # psycopg2 names the SQLSTATE `pgcode`, psycopg 3 `sqlstate`.
        code = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
        if code == LOCK_NOT_AVAILABLE:
            return True
        error = error.__cause__
    return False


def _index_is_invalid(schema_editor: BaseDatabaseSchemaEditor, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT index.indisvalid FROM pg_index index "
            "JOIN pg_class index_class ON index_class.oid = index.indexrelid "
            "JOIN pg_namespace namespace ON namespace.oid = index_class.relnamespace "
            "WHERE index_class.relname = %s AND namespace.nspname = current_schema()",
            [name],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def create_index_concurrently(
    schema_editor: BaseDatabaseSchemaEditor,
    *,
    name: str,
    table: str,
    columns: str,
    unique: bool = False,
) -> None:
    """Create index `name` on `table` `columns` (SQL, e.g. "(at, id)") without blocking writes,
    from a non-atomic migration. A leftover INVALID index of that name (an earlier run was
    interrupted) is dropped first, so running the migration again finishes the job. A valid
    index of that name is kept. On SQLite (the embedded demo) a plain CREATE INDEX.

    The build waits for running transactions as long as they last (no lock timeout): the lock
    it takes, SHARE UPDATE EXCLUSIVE, lets reads and writes go on while it waits."""
    quote = schema_editor.quote_name
    kind = "UNIQUE INDEX" if unique else "INDEX"
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        schema_editor.execute(
            f"CREATE {kind} IF NOT EXISTS {quote(name)} ON {quote(table)} {columns}", params=None
        )
        return
    with lock_timeout(connection, "0"):
        if _index_is_invalid(schema_editor, name):
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}", params=None)
        schema_editor.execute(
            f"CREATE {kind} CONCURRENTLY IF NOT EXISTS {quote(name)} ON {quote(table)} {columns}",
            params=None,
        )


def drop_index_concurrently(schema_editor: BaseDatabaseSchemaEditor, *, name: str) -> None:
    """The reverse of create_index_concurrently()."""
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}", params=None
    )


def invalid_indexes(using: str = "default") -> list[str]:
    """Names of the indexes in the database's schema that PostgreSQL marks INVALID."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(INVALID_INDEXES_SQL)
        return [row[0] for row in cursor.fetchall()]


# Tagged "database": run only when a database is named (`check --deploy --database default`).
@checks.register(checks.Tags.database, deploy=True)
def check_invalid_indexes(
    app_configs: Any, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for using in databases or ():
        for name in invalid_indexes(using):
            errors.append(
                checks.Error(
                    f"Index {name} is INVALID (a concurrent build was interrupted): queries "
                    "do not use it and, if it is unique, it does not guarantee uniqueness.",
                    hint="Run `manage.py migrate` again (it rebuilds an interrupted index), "
                    f"or `DROP INDEX CONCURRENTLY {name};` and rebuild it by hand.",
                    id="hrp.E102",
                )
            )
    return errors
