"""`manage.py verify_integrity`: open every encrypted value and verify every integrity hash
of a live database (hrp/backup.py). Prints counts per table and row ids, never content; exits
non-zero when anything fails to open or verify."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from hrp import backup, crypto
from hrp.audit.context import AuditedCommand


class Command(AuditedCommand):
    help = "Check that every encrypted value opens and every integrity hash verifies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="Database alias to check.")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        found = backup.integrity(database)
        self.stdout.write(f"Keys in force: {', '.join(crypto.key_fingerprints())}")
        for line in found.summary():
            self.stdout.write(line)
        problems = found.problems()
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("Every encrypted value opens and every hash verifies.")
