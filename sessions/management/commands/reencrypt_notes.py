"""Move encrypted note text onto the first key of FIELD_ENCRYPTION_KEYS (key rotation).

Put the new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, deploy, run this
command, then remove the old keys. Signed notes are re-encrypted too: on PostgreSQL the lock
trigger lets this one transaction change ciphertext only (hrp.note_reencrypt), and each
signed note's content hash is verified after its row is rewritten, so a rotation can never
change what was signed. Safe to run again: rows already on the first key are skipped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction

from hrp import crypto
from hrp.audit.context import AuditedCommand
from hrp.immutability import key_rotation
from sessions.models import NoteAddendum, NoteReview, SessionNote

TABLES: list[tuple[Any, list[str]]] = [
    (SessionNote, [*SessionNote.TEXT_FIELDS, "goal_checkins"]),
    (NoteAddendum, ["text"]),
    (NoteReview, ["comments"]),
]


class Command(AuditedCommand):
    help = "Re-encrypt session note text with the first key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = 0
        checked = 0
        with transaction.atomic(), key_rotation():
            verified_before = self._verified()
            with connection.cursor() as cursor:
                for model, columns in TABLES:
                    table = connection.ops.quote_name(model._meta.db_table)
                    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
                    cursor.execute(f"SELECT id, {cols} FROM {table}")  # noqa: S608 (fixed names)
                    for row in cursor.fetchall():
                        checked += 1
                        pk, values = row[0], row[1:]
                        if all(crypto.is_current(v or "") for v in values):
                            continue
                        try:
                            new = [crypto.rotate(v or "") for v in values]
                        except Exception as error:
                            raise CommandError(
                                f"{model.__name__} {pk}: no configured key opens it ({error})."
                            ) from None
                        sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
                        with connection.cursor() as update:
                            update.execute(
                                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                                [*new, pk],
                            )
                        rewritten += 1
            broken = verified_before - self._verified()
            if broken:
                raise CommandError(
                    f"Signed notes {sorted(broken)} do not verify after re-encryption; "
                    "nothing was changed."
                )
        self.stdout.write(f"Checked {checked} rows; re-encrypted {rewritten}.")

    @staticmethod
    def _verified() -> set[int]:
        return {
            note.pk
            for note in SessionNote.objects.filter(signed_at__isnull=False)
            if note.hash_verified()
        }
