"""Move every encrypted value onto the first key of FIELD_ENCRYPTION_KEYS (key rotation).

Put the new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, deploy, run this
command, then remove the old keys (README, "Encryption at rest"). What it rewrites is
`hrp.crypto.registry()`: every field of every installed model that stores ciphertext, found
from the models, so a new encrypted field is rotated without anyone listing it here.

- Batches: each table is read in primary-key order, `--batch-size` rows at a time, locked
  (FOR UPDATE) and rewritten in one transaction per batch, so concurrent edits are not lost and
  an interrupted run keeps what it finished. Rows already on the first key are skipped, so
  running it again continues where it stopped.
- Locked rows (signed notes, addenda, reviews) are rewritten through `key_rotation()`, the one
  door the immutability triggers open, which lets ciphertext and nothing else change.
- Integrity: every new token must open with the first key alone to the same plaintext as the
  old one; and for a model that declares `hash_verified()`, the rows of the batch whose hash
  verified before are checked again after the rewrite. If either fails, the batch is rolled
  back and the command stops.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from hrp import crypto
from hrp.audit.context import AuditedCommand
from hrp.immutability import key_rotation

DEFAULT_BATCH_SIZE = 500


class Command(AuditedCommand):
    help = "Re-encrypt every encrypted field and stored file with the first key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="Rows per transaction (default %(default)s).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total_checked = total_rewritten = 0
        for table in crypto.registry():
            checked, rewritten = self._rotate(table, batch_size)
            self.stdout.write(f"{table.label}: checked {checked}, re-encrypted {rewritten}")
            total_checked += checked
            total_rewritten += rewritten
        self.stdout.write(f"Checked {total_checked} rows; re-encrypted {total_rewritten}.")

    def _rotate(self, table: crypto.EncryptedTable, batch_size: int) -> tuple[int, int]:
        checked = rewritten = 0
        batches = table.batches(size=batch_size, lock=True)
        while True:
            with transaction.atomic(), key_rotation():
                rows = next(batches, None)
                if rows is None:
                    return checked, rewritten
                stale = [
                    (pk, values)
                    for pk, values in rows
                    if not all(crypto.is_current(value) for value in values)
                ]
                if stale:
                    self._rewrite(table, stale, done=(checked, rewritten))
                checked += len(rows)
                rewritten += len(stale)

    @staticmethod
    def _rewrite(
        table: crypto.EncryptedTable, stale: list[tuple[Any, list[Any]]], done: tuple[int, int]
    ) -> None:
        """Rewrite one batch's stale rows; raise (rolling the batch back) if a row cannot be
        opened or a hash that verified stops verifying."""
        stopped = (
            f"Batches before it are saved ({table.label}: checked {done[0]}, re-encrypted "
            f"{done[1]}); fix that row or add its key, then run rotate_keys again."
        )
        pks = [pk for pk, _values in stale]
        verified_before = table.verified(pks)
        rotated = []
        for pk, values in stale:
            try:
                new = [crypto.rotate(value) for value in values]
            except (InvalidToken, ValueError):
                raise CommandError(
                    f"{table.label} {pk}: no configured key opens it. {stopped}"
                ) from None
            if not all(map(crypto.same_plaintext, values, new)):
                raise CommandError(
                    f"{table.label} {pk}: re-encryption changed the value; that batch was not "
                    f"changed. {stopped}"
                )
            rotated.append((pk, new))
        table.write(rotated)
        broken = verified_before - table.verified(pks)
        if broken:
            raise CommandError(
                f"{table.label} {sorted(broken)}: the integrity hash no longer verifies after "
                f"re-encryption; that batch was not changed. {stopped}"
            )
