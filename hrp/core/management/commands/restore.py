"""`manage.py restore <dump>`: restore a backup into an empty database and verify it
(hrp/backup.py; README, "Backup and restore"). Refuses, changing nothing, when the dump does
not match its manifest, when a key it needs is not in FIELD_ENCRYPTION_KEYS, or when the
database is not empty; exits non-zero when the restored database fails verification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from hrp import backup
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database, then verify it."
    # The target is empty: there are no tables for the system checks to look at yet.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dump", help="The .dump file; its .manifest.json lies beside it.")
        parser.add_argument("--database", default="default", help="Database alias to restore into.")

    def handle(self, *args: Any, dump: str, database: str, **options: Any) -> None:
        try:
            restored = backup.restore(dump=Path(dump), using=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        for note in restored.notes:
            self.stderr.write(note)
        if restored.integrity is None:
            self.stdout.write(
                f"Restored. The backup predates {restored.unapplied_migrations} migration(s) of "
                "this version: run `manage.py migrate`, then `manage.py verify_integrity`."
            )
            return
        for line in restored.integrity.summary():
            self.stdout.write(line)
        if restored.problems:
            raise CommandError(
                "Restored, but the restored database does not verify; do not serve from it:\n"
                + "\n".join(restored.problems)
            )
        self.stdout.write(
            "Restored and verified: every encrypted value opens, every hash verifies."
        )
        self.stdout.write(
            "Grant the app's database login its rights again (README, \"Immutability, and "
            'the database logins it needs").'
        )
