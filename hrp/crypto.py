"""Field-level encryption at rest for clinical free text (session notes, addenda).

Values are Fernet tokens (AES-128-CBC with HMAC-SHA256, random IV) under the keys in
settings.FIELD_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, which is what makes
rotation possible without downtime (README, "Encryption at rest"). Without configured keys a
key is derived from SECRET_KEY so the demo and tests run; `check --deploy` warns about it.

A value that cannot be decrypted (wrong key, a tampered column) is returned as an
`Unreadable` string rather than raising, so the page that shows it can say so loudly instead of
failing with a 500; the note's content hash then fails too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.db import models

PREFIX = "enc1:"


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


def rotate(stored: str) -> str:
    """The same plaintext under the current first key (MultiFernet.rotate keeps the token's
    timestamp). Raises InvalidToken if no configured key opens it."""
    if not stored:
        return stored
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def is_current(stored: str) -> bool:
    """True when `stored` is empty or already encrypted with the first key."""
    if not stored:
        return True
    first = fernet()._fernets[0]
    try:
        first.decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A TextField stored as a Fernet token. Not searchable or orderable in SQL, by design."""

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


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        errors.append(
            checks.Warning(
                "FIELD_ENCRYPTION_KEYS is not set: note text is encrypted with a key derived "
                "from SECRET_KEY, so rotating SECRET_KEY would make notes unreadable.",
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
