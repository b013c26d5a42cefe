"""`manage.py backup`: a pg_dump of the database and the manifest a restore checks first
(hrp/backup.py; README, "Backup and restore"). Both files are created 0600: they hold PHI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from hrp import backup, crypto
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = "Dump the database with a manifest (key fingerprints and counts, never content)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output-dir",
            default=settings.BACKUP_DIR,
            help="Directory for the dump and its manifest (default BACKUP_DIR: %(default)s).",
        )
        parser.add_argument("--database", default="default", help="Database alias to dump.")

    def handle(self, *args: Any, output_dir: str, database: str, **options: Any) -> None:
        try:
            made = backup.backup_create(directory=Path(output_dir), using=database)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Dump:     {made.dump}")
        self.stdout.write(f"Manifest: {made.manifest}")
        self.stdout.write(f"Keys in force: {', '.join(crypto.key_fingerprints())}")
        for line in made.integrity.summary():
            self.stdout.write(line)
        problems = made.integrity.problems()
        for line in problems:
            self.stderr.write(line)
        if problems:
            # The backup is kept (a damaged clinic is still worth keeping), but nobody should
            # mistake it for a clean one.
            raise CommandError(
                "The backup was written, but the database it copies has the problems above."
            )
        self.stdout.write(
            "Backup complete. Copy both files off this server; keep the keys "
            "(FIELD_ENCRYPTION_KEYS) in a separate place."
        )
