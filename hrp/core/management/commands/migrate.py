"""Django's `migrate`, under a lock timeout (hrp/schema.py).

Every migration runs with PostgreSQL's `lock_timeout` set to `--lock-timeout` (default
`MIGRATION_LOCK_TIMEOUT`, 10s; "0" for no limit), so a migration waiting for a table that a
long query holds gives up instead of stalling every page that uses the table behind it. The
setting is put back when migrate ends. A migration stopped this way rolls back (or, if it is
non-atomic, is written so that running it again finishes it) and migrate says so plainly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import migrate
from django.db import DatabaseError, connections

from hrp import schema
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand, migrate.Command):
    help = migrate.Command.help + " Runs under a lock timeout (MIGRATION_LOCK_TIMEOUT)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lock-timeout",
            default=None,
            help="Longest wait for a table lock, in PostgreSQL units (e.g. 10s, 500ms; 0 for "
            f"no limit). Default: MIGRATION_LOCK_TIMEOUT ({settings.MIGRATION_LOCK_TIMEOUT}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        timeout = options.pop("lock_timeout", None) or settings.MIGRATION_LOCK_TIMEOUT
        connection = connections[options["database"]]
        try:
            with schema.lock_timeout(connection, timeout):
                super().handle(*args, **options)
        except DatabaseError as error:
            if not schema.is_lock_timeout(error):
                raise
            raise CommandError(
                f"A migration waited longer than the lock timeout ({timeout}) for a table "
                "that other work was using, and stopped; what it had started was rolled "
                "back. Run migrate again when the clinic is quieter, or allow a longer wait "
                "with --lock-timeout (or MIGRATION_LOCK_TIMEOUT)."
            ) from error
