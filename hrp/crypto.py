"""Field-level encryption at rest, and the one registry of what is encrypted.

Values are Fernet tokens (AES-128-CBC with HMAC-SHA256, random IV) under the keys in
settings.FIELD_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, which is what makes
rotation possible without downtime (README, "Encryption at rest"). Without configured keys a
key is derived from SECRET_KEY so the demo and tests run; `check --deploy` warns about it.

Three field types store ciphertext, each prefixed `enc1:` in the database: EncryptedTextField
(clinical free text), EncryptedJSONField (small JSON values) and EncryptedBinaryField (stored
files such as a summary's PDF). A model declares what it encrypts by using them, and nothing
else: `registry()` finds every such field by scanning the installed models, and the rotation
command (`manage.py rotate_keys`), the deploy check and the tests all read that one list. A
model whose rows carry an integrity hash over encrypted content declares it with a
`hash_verified()` method; rotation checks it before and after rewriting each batch.

A value that cannot be decrypted (wrong key, a tampered column) is returned as an
`Unreadable` string (or `UnreadableBytes`) rather than raising, so the page that shows it can
say so loudly instead of failing with a 500; the row's integrity hash then fails too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import connections, models

PREFIX = "enc1:"
PREFIX_BYTES = PREFIX.encode()
# The method a model defines when its rows carry an integrity hash over encrypted content.
HASH_CHECK = "hash_verified"


class Unreadable(str):
    """The stand-in for a value that did not decrypt. Compares unequal to every real text."""

    def __new__(cls) -> Unreadable:
        return super().__new__(cls, "")

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True


class UnreadableBytes(bytes):
    """Unreadable, for stored files: never equal to real bytes, never saved back."""

    def __new__(cls) -> UnreadableBytes:
        return super().__new__(cls, b"")

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        return True


def _derived_key() -> bytes:
    digest = hashlib.sha256(b"hrp-field-encryption:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    return MultiFernet([Fernet(_derived_key())])


def fernet() -> MultiFernet:
    # Keyed on the settings themselves so override_settings in tests takes effect.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def _keys() -> list[bytes]:
    """The keys in force, first (the one that encrypts) first."""
    if settings.FIELD_ENCRYPTION_KEYS:
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]
    return [_derived_key()]


def key_fingerprint(key: bytes) -> str:
    """A short public name for a key, safe to print and to store beside a backup: 16 hex
    digits of SHA-256 over the key (256 random bits, so the digest reveals nothing of it)."""
    return hashlib.sha256(b"hrp-key-fingerprint:" + key).hexdigest()[:16]


@cache
def _fernets_by_fingerprint(keys: tuple[bytes, ...]) -> tuple[tuple[str, Fernet], ...]:
    return tuple((key_fingerprint(key), Fernet(key)) for key in keys)


def key_fingerprints() -> list[str]:
    """The fingerprints of the keys in force, in order (the first encrypts)."""
    return [fingerprint for fingerprint, _f in _fernets_by_fingerprint(tuple(_keys()))]


def opening_key(stored: str | bytes | memoryview) -> str | None:
    """The fingerprint of the key in force that opens `stored` (a non-empty stored value), or
    None when none does (a missing key, a damaged or plaintext value)."""
    if isinstance(stored, memoryview):
        stored = bytes(stored)
    prefix = PREFIX if isinstance(stored, str) else PREFIX_BYTES
    if not stored.startswith(prefix):
        return None
    token = _token(stored)
    for fingerprint, key in _fernets_by_fingerprint(tuple(_keys())):
        try:
            key.decrypt(token)
        except (InvalidToken, ValueError):
            continue
        return fingerprint
    return None


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if stored == "":
        return ""
    if not stored.startswith(PREFIX):
        return Unreadable()
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except (InvalidToken, ValueError):
        return Unreadable()


def encrypt_bytes(plaintext: bytes) -> bytes:
    if plaintext == b"":
        return b""
    return PREFIX_BYTES + fernet().encrypt(plaintext)


def decrypt_bytes(stored: bytes) -> bytes:
    if stored == b"":
        return b""
    if not stored.startswith(PREFIX_BYTES):
        return UnreadableBytes()
    try:
        return fernet().decrypt(stored[len(PREFIX_BYTES) :])
    except (InvalidToken, ValueError):
        return UnreadableBytes()


def _token(stored: str | bytes) -> bytes:
    if isinstance(stored, str):
        return stored[len(PREFIX) :].encode()
    return stored[len(PREFIX_BYTES) :]


def rotate(stored: str | bytes | memoryview | None) -> Any:
    """The same plaintext under the current first key (MultiFernet.rotate keeps the token's
    timestamp), stored the same way (text or bytes). Raises InvalidToken if no configured key
    opens it."""
    if isinstance(stored, memoryview):
        stored = bytes(stored)
    if not stored:
        return stored
    token = fernet().rotate(_token(stored))
    if isinstance(stored, str):
        return PREFIX + token.decode()
    return PREFIX_BYTES + token


def is_current(stored: str | bytes | memoryview | None) -> bool:
    """True when `stored` (text or bytes) is empty or already encrypted with the first key."""
    if isinstance(stored, memoryview):
        stored = bytes(stored)
    if not stored:
        return True
    first = fernet()._fernets[0]
    try:
        first.decrypt(_token(stored))
    except InvalidToken:
        return False
    return True


def same_plaintext(old: Any, new: Any) -> bool:
    """`new` opens with the first key alone and holds the same plaintext as `old` (opened with
    any key): what a rewrite by rotation must preserve."""
    if isinstance(old, memoryview):
        old = bytes(old)
    if not old or not new:
        return old == new
    try:
        before = fernet().decrypt(_token(old))
        after = fernet()._fernets[0].decrypt(_token(new))
    except InvalidToken:
        return False
    return before == after


class EncryptedField:
    """Marks a field whose column holds `enc1:` ciphertext: what `registry()` looks for."""


class EncryptedTextField(EncryptedField, models.TextField):
    """A TextField stored as a Fernet token. Not searchable or orderable in SQL, by design.

    `client_words=True` says the field holds the client's own words, which the language hint
    (hrp/language.py) never corrects. It changes nothing in the database, so it is left out
    of migrations."""

    def __init__(self, *args: Any, client_words: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_words = client_words

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return decrypt(value) if value is not None else None

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return decrypt(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        if isinstance(value, Unreadable):
            raise ValueError("An unreadable encrypted value cannot be saved back.")
        return encrypt(value)


class EncryptedJSONField(EncryptedTextField):
    """JSON (lists and dicts of plain values) stored encrypted as one token."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        if isinstance(text, Unreadable):
            return text
        return json.loads(text) if text else []

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            text = decrypt(value) if value.startswith(PREFIX) else value
            return json.loads(text) if text else []
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Unreadable):
            raise ValueError("An unreadable encrypted value cannot be saved back.")
        return encrypt(json.dumps(value, sort_keys=True, separators=(",", ":")) if value else "")

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))


class EncryptedBinaryField(EncryptedField, models.BinaryField):
    """Bytes (a stored file: a summary's PDF) kept as `enc1:` + a Fernet token in a bytea
    column. Reads back as the plaintext bytes, or UnreadableBytes."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        return decrypt_bytes(bytes(value)) if value is not None else None

    def to_python(self, value: Any) -> Any:
        # Plaintext in Python: never the base64 text BinaryField.to_python would decode.
        return bytes(value) if isinstance(value, memoryview) else value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, UnreadableBytes):
            raise ValueError("An unreadable encrypted value cannot be saved back.")
        return super().get_db_prep_value(encrypt_bytes(bytes(value)), connection, prepared)


# --- The registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedTable:
    """One table holding ciphertext: its model, its encrypted fields, and whether its rows
    declare an integrity hash (`hash_verified()`)."""

    model: type[models.Model]
    fields: tuple[models.Field, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> list[str]:
        return [field.column for field in self.fields]

    @property
    def hashed(self) -> bool:
        return callable(getattr(self.model, HASH_CHECK, None))

    def verified(self, pks: list[Any]) -> set[Any]:
        """The rows among `pks` whose integrity hash verifies (none without a hash check)."""
        if not self.hashed:
            return set()
        rows = self.model._base_manager.filter(pk__in=pks)
        return {row.pk for row in rows if getattr(row, HASH_CHECK)()}

    def batches(
        self, *, size: int, using: str = "default", lock: bool = False
    ) -> Iterator[list[tuple[Any, list[Any]]]]:
        """The stored (still encrypted) values, `size` rows at a time in primary-key order,
        as (pk, [value per column]); `lock` takes the rows FOR UPDATE. Each batch is read
        when the previous one has been consumed, so a caller may commit in between."""
        connection = connections[using]
        quote = connection.ops.quote_name
        pk = quote(self.model._meta.pk.column)
        cols = ", ".join(quote(column) for column in self.columns)
        select = f"SELECT {pk}, {cols} FROM {quote(self.db_table)}"  # noqa: S608 (model names)
        tail = f" ORDER BY {pk} LIMIT %s" + (" FOR UPDATE" if lock else "")
        last = None
        while True:
            with connection.cursor() as cursor:
                if last is None:
                    cursor.execute(select + tail, [size])
                else:
                    cursor.execute(f"{select} WHERE {pk} > %s{tail}", [last, size])
                rows = [(row[0], list(row[1:])) for row in cursor.fetchall()]
            if not rows:
                return
            last = rows[-1][0]
            yield rows

    def write(self, rows: list[tuple[Any, list[Any]]], *, using: str = "default") -> None:
        """Store `rows` (pk, [value per column]) as given, already ciphertext (not encrypted
        again): for rotation, which rewrites tokens and nothing else."""
        connection = connections[using]
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(column)} = %s" for column in self.columns)
        sql = (
            f"UPDATE {quote(self.db_table)} SET {sets} "  # noqa: S608 (names from models)
            f"WHERE {quote(self.model._meta.pk.column)} = %s"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[*values, pk] for pk, values in rows])


def encrypted_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The fields of `model` stored in its own table that hold ciphertext."""
    return tuple(f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedField))


def registry() -> list[EncryptedTable]:
    """Every table that holds ciphertext, from the installed models, ordered by label."""
    tables = [
        EncryptedTable(model=model, fields=fields)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed and (fields := encrypted_fields(model))
    ]
    return sorted(tables, key=lambda table: table.label)


# --- The deploy check ----------------------------------------------------------------------


def _stale_rows(table: EncryptedTable, using: str) -> int:
    return sum(
        1
        for batch in table.batches(size=500, using=using)
        for _pk, values in batch
        if not all(is_current(value) for value in values)
    )


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(
            checks.Warning(
                "FIELD_ENCRYPTION_KEYS is not set: clinical text is encrypted with a key derived "
                "from SECRET_KEY, so rotating SECRET_KEY would make it unreadable.",
                hint="Set FIELD_ENCRYPTION_KEYS to a key from "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.",
                id="hrp.W001",
            )
        )
    for key in settings.FIELD_ENCRYPTION_KEYS:
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                checks.Error(
                    "A key in FIELD_ENCRYPTION_KEYS is not a valid Fernet key.", id="hrp.E001"
                )
            )
    return errors


# Tagged "database": Django runs it only when asked for a database
# (`check --deploy --database default`), since it reads every encrypted row.
@checks.register(checks.Tags.database, deploy=True)
def check_rows_on_first_key(
    app_configs: Any, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Every registered table's rows are on the first key: what must hold before an old key
    is removed from FIELD_ENCRYPTION_KEYS."""
    keys = check_encryption_keys(app_configs)
    if not databases or any(message.is_serious() for message in keys):
        return []
    warnings: list[checks.CheckMessage] = []
    for using in databases:
        for table in registry():
            stale = _stale_rows(table, using)
            if stale:
                warnings.append(
                    checks.Warning(
                        f"{stale} row(s) of {table.label} ({', '.join(table.columns)}) are not "
                        "on the first key of FIELD_ENCRYPTION_KEYS.",
                        hint="Run `manage.py rotate_keys` before removing any old key.",
                        obj=table.model,
                        id="hrp.W002",
                    )
                )
    return warnings
