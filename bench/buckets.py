"""Which part of the stack a profiled function belongs to (bench.profile), by where its code
lives. Kept apart from the profiler so that a test can pin it without starting Django."""

from __future__ import annotations

from pathlib import Path

PROJECT = str(Path(__file__).resolve().parent.parent)
BUCKETS = (
    ("database", ("psycopg2", "psycopg/", "<method 'execute' of", "<method 'fetch")),
    ("ORM", ("django/db/",)),
    ("templates", ("django/template/", "django/templatetags/", "django/forms/")),
    ("decrypt", ("hrp/crypto.py", "cryptography/")),
    ("translation", ("django/utils/translation/", "gettext")),
    (
        "request",
        (
            "django/core/handlers/",
            "django/middleware/",
            "django/contrib/",
            "django/http/",
            "django/urls/",
            "django_otp/",
            "axes/",
            "django/test/",
        ),
    ),
)


def bucket(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    for label, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return label
    if filename.startswith(PROJECT) and "/.venv/" not in filename:
        return "our code"
    return "other"
