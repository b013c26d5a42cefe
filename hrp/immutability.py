"""Which rows the database refuses to change, and the one way key rotation may rewrite them.

`key_rotation()` is the only door through the immutability triggers: inside it, the current
transaction may rewrite the ciphertext of locked rows (signed notes, addenda, reviews) and
nothing else. (Being reworked for issue 12: the door must not be openable by a plain session.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def key_rotation() -> Iterator[None]:
    """Open the rotation door for the rest of the current transaction (which must exist)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("key_rotation() must run inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL hrp.note_reencrypt = 'on'")
    yield
