"""bench.profile puts each function's own time in one bucket; the buckets must add up to the
whole, so every function lands in exactly one, the first that matches."""

from __future__ import annotations

from bench.buckets import PROJECT, bucket


def test_each_part_of_the_stack_has_its_bucket() -> None:
    site = "/srv/venv/lib/python3.13/site-packages"
    cases = {
        ("~", "<method 'execute' of 'psycopg2.extensions.cursor' objects>"): "database",
        (f"{site}/django/db/models/sql/compiler.py", "as_sql"): "ORM",
        (f"{site}/django/template/base.py", "render"): "templates",
        (f"{site}/django/forms/boundfield.py", "__str__"): "templates",
        (f"{PROJECT}/hrp/crypto.py", "decrypt"): "decrypt",
        (f"{site}/cryptography/fernet.py", "decrypt"): "decrypt",
        (f"{site}/django/utils/translation/trans_real.py", "gettext"): "translation",
        (f"{site}/django/middleware/csrf.py", "process_view"): "request",
        (f"{PROJECT}/clients/selectors.py", "caseload"): "our code",
        (f"{PROJECT}/.venv/lib/python3.13/site-packages/rules/predicates.py", "test"): "other",
        ("/usr/lib/python3.13/copy.py", "copy"): "other",
        ("~", "<built-in method builtins.getattr>"): "other",
    }
    assert {key: bucket(*key) for key in cases} == cases
