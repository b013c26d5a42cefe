"""`manage.py backup`, `restore` and `verify_integrity` (hrp/backup.py).

Issue 13: there was no way back from a lost database, and a restore without the right keys
would have yielded unreadable notes without a word.
- A backup restored into a fresh database reads back: every encrypted field of every row of
  every table in `crypto.registry()` opens to what was written, every integrity hash (signed
  notes, addenda, reviews, summaries) verifies, every table has its rows.
- A restore under keys that do not open the backup refuses, non-zero, and changes nothing.
- Dump and manifest are 0600; the manifest holds no plaintext and no ciphertext.
- A damaged dump, a non-empty target and a live database with a damaged value are reported.

The tests dump committed rows (pg_dump reads its own snapshot), hence `transaction=True`.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import override_settings

from hrp import backup, crypto
from hrp.audit.models import AuditEvent
from sessions.models import SessionNote
from supervision.models import ChartComment
from tests.crypto.conftest import NEW_KEY, OLD_KEY, build_every_table
from tests.supervision.factories import ChartCommentFactory

# pg_dump reads committed rows only.
dumps = pytest.mark.django_db(transaction=True)

TARGET = "restore_target"


def _plaintexts(using: str) -> dict[tuple[str, Any, str], Any]:
    """What every encrypted field of every row of every registered table reads as."""
    return {
        (table.label, row.pk, field.name): getattr(row, field.attname)
        for table in crypto.registry()
        for row in table.model._base_manager.using(using).order_by("pk")
        for field in table.fields
    }


def _hashes(using: str) -> dict[str, dict[Any, bool]]:
    """Per model carrying integrity hashes: row -> whether its hash verifies."""
    return {
        model._meta.label: {
            row.pk: row.hash_verified()
            for row in model._base_manager.using(using).exclude(content_hash="")
        }
        for model in backup.hashed_models()
    }


@pytest.fixture
def target() -> Iterator[str]:
    """A fresh, empty database on the same server, reachable as the alias TARGET."""
    name = connection.settings_dict["NAME"] + "_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    # A connection made here and registered by hand, outside settings.DATABASES: Django's test
    # case lets such "dynamically created" connections through (and pytest-django would
    # otherwise build a test database for every configured alias).
    connections.settings[TARGET] = {**connection.settings_dict, "NAME": name}
    connections[TARGET] = connections.create_connection(TARGET)
    del connections.settings[TARGET]
    yield TARGET
    connections[TARGET].close()
    del connections[TARGET]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Made:
    def __init__(self, dump: Path) -> None:
        self.dump = dump
        self.manifest = backup.manifest_path(dump)


def _backup(directory: Path) -> Made:
    call_command("backup", output_dir=str(directory), stdout=io.StringIO())
    (dump,) = directory.glob("*.dump")
    return Made(dump)


@dumps
@override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
def test_a_backup_restored_into_a_fresh_database_opens_and_verifies_everything(
    tmp_path: Path, target: str
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        build_every_table()  # every encrypted field of every registered table, under OLD_KEY
    ChartCommentFactory(text="Written under the new key.")
    written = _plaintexts("default")
    hashes = _hashes("default")
    unreadable = (crypto.Unreadable, crypto.UnreadableBytes)
    assert [key for key, value in written.items() if isinstance(value, unreadable)] == []
    # A hash to verify in every hashed table, and all of them verify.
    assert {label: all(rows.values()) and bool(rows) for label, rows in hashes.items()} == {
        "groups.GroupNote": True,
        "summaries.SummaryRequest": True,
        "techniques.ScriptRewrite": True,
        "techniques.UseEpisodeChain": True,
        "techniques.VoiceDialoguePart": True,
        "therapy_sessions.ContactAddendum": True,
        "therapy_sessions.ContactReview": True,
        "therapy_sessions.NoteAddendum": True,
        "therapy_sessions.NoteReview": True,
        "therapy_sessions.OutsideContact": True,
        "therapy_sessions.SessionNote": True,
    }

    made = _backup(tmp_path)

    out = io.StringIO()
    call_command("restore", str(made.dump), database=target, stdout=out)

    assert _plaintexts(target) == written
    assert _hashes(target) == hashes
    restored = backup.integrity(target)
    assert restored.problems() == []
    manifest = json.loads(made.manifest.read_text())
    # Every table has the rows it had, and the trail says a restore happened (and which).
    assert restored.row_counts == {
        **manifest["row_counts"],
        "audit_auditevent": manifest["row_counts"]["audit_auditevent"] + 1,
    }
    assert sum(restored.row_counts.values()) > 100
    event = AuditEvent.objects.using(target).get(action="backup.restore")
    assert (event.category, event.detail, event.path) == (
        "security",
        made.dump.name,
        "command:restore",
    )
    assert "Restored and verified" in out.getvalue()
    # The dump's grants are left out; the key-rotation role got its rights back.
    with connections[target].cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege('hrp_key_rotation', 'therapy_sessions_sessionnote', "
            "'UPDATE'), has_table_privilege('hrp_key_rotation', 'audit_auditevent', 'DELETE')"
        )
        assert cursor.fetchone() == (True, False)


@dumps
def test_a_backup_under_other_keys_a_damaged_one_or_into_a_database_in_use_is_refused(
    tmp_path: Path, target: str, settings: Any
) -> None:
    """One backup, every refusal; the files are private and the manifest holds no content."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    build_every_table()
    comment = ChartCommentFactory(text="Mentioned the naloxone last spring.")
    old = crypto.key_fingerprint(OLD_KEY.encode())
    new = crypto.key_fingerprint(NEW_KEY.encode())
    made = _backup(tmp_path / "backups")

    # Private files; a manifest with counts and fingerprints, no plaintext, ciphertext or key.
    assert sorted(p.name for p in made.dump.parent.iterdir()) == sorted(
        [made.dump.name, made.manifest.name]
    )
    assert stat.S_IMODE(made.dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.manifest.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.dump.parent.stat().st_mode) == 0o700
    text = made.manifest.read_text()
    manifest = json.loads(text)
    assert manifest["keys_in_force"] == [old]
    assert manifest["encrypted"]["supervision.ChartComment"] == {
        "values": 2,
        "by_key": {old: 2},
        "unreadable": 0,
    }
    signed = SessionNote.objects.exclude(content_hash="").count()
    assert signed >= 1
    assert manifest["hashed"]["therapy_sessions.SessionNote"] == {
        "rows": signed,
        "verified": signed,
    }
    assert "naloxone" not in text and comment.text not in text
    assert "enc1:" not in text and "gAAAAA" not in text
    assert OLD_KEY not in text
    made_events = AuditEvent.objects.filter(action="backup.create")
    assert list(made_events.values_list("category", "detail", "path")) == [
        ("security", made.dump.name, "command:backup")
    ]

    # Under keys that do not open it: refused, loudly, before anything is touched.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(made.dump), database=target)
    message = str(refused.value)
    assert message.startswith(
        f"Refusing to restore {made.dump.name}: the keys in force cannot open it, so its "
        "notes would come back unreadable. Nothing was restored.\n"
    )
    assert f"key {old} is not in FIELD_ENCRYPTION_KEYS; it encrypted: " in message
    assert "supervision.ChartComment (2)" in message
    assert f"keys in force: {new}\n" in message
    assert connections[target].introspection.table_names() == []

    # The same from the command line: exit status 1 and the message on stderr.
    db = connection.settings_dict
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(made.dump)],
        cwd=django_settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "PGPASSWORD": db["PASSWORD"] or "",
            "FIELD_ENCRYPTION_KEYS": NEW_KEY,
            "SECRET_KEY": "x",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"CommandError: Refusing to restore {made.dump.name}" in result.stderr

    # Under the right keys, into a database in use: refused, nothing changed.
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    rows = backup.integrity("default").row_counts
    with pytest.raises(CommandError, match=r"already holds \d+ tables; restore only into an empty"):
        call_command("restore", str(made.dump))
    assert backup.integrity("default").row_counts == rows

    # A damaged dump, then a dump without its manifest.
    with made.dump.open("r+b") as file:
        file.seek(-10, os.SEEK_END)
        file.write(b"0123456789")
    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("restore", str(made.dump), database=target)
    made.manifest.unlink()
    with pytest.raises(CommandError, match=r"manifest\.json is missing"):
        call_command("restore", str(made.dump), database=target)
    assert connections[target].introspection.table_names() == []


@dumps
def test_a_backup_from_an_older_version_is_restored_and_verified_after_migrate(
    tmp_path: Path, target: str
) -> None:
    ChartCommentFactory()
    # The backup of a clinic one migration behind this code.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'core' AND name = %s RETURNING app, name, "
            "applied",
            ["0002_key_rotation_role"],
        )
        (row,) = cursor.fetchall()
    try:
        made = _backup(tmp_path)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)", row
            )
    out = io.StringIO()

    call_command("restore", str(made.dump), database=target, stdout=out)

    assert out.getvalue() == (
        "Restored. The backup predates 1 migration(s) of this version: run `manage.py "
        "migrate`, then `manage.py verify_integrity`.\n"
    )
    assert ChartComment.objects.using(target).count() == 1
    # Not verified yet, so not recorded as a restore yet.
    assert not AuditEvent.objects.using(target).filter(action="backup.restore").exists()


@pytest.mark.django_db
def test_verify_integrity_names_the_rows_that_fail(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    build_every_table()
    out = io.StringIO()
    call_command("verify_integrity", stdout=out)
    assert out.getvalue().endswith("Every encrypted value opens and every hash verifies.\n")

    comment = ChartCommentFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    ChartCommentFactory()  # opens under NEW_KEY
    with pytest.raises(CommandError) as failed:
        call_command("verify_integrity", stdout=io.StringIO())

    problems = str(failed.value).splitlines()
    first, second = ChartComment.objects.order_by("pk").values_list("pk", flat=True)[:2]
    assert second == comment.pk
    assert (
        f"supervision.ChartComment: 2 encrypted value(s) open with no key in force "
        f"(rows {first}, {second})." in problems
    )
    # Signed notes whose text no key opens: their hashes cannot verify either.
    signed = SessionNote.objects.exclude(content_hash="").order_by("pk")
    rows = ", ".join(str(pk) for pk in signed.values_list("pk", flat=True))
    assert (
        f"therapy_sessions.SessionNote: {signed.count()} integrity hash(es) do not verify "
        f"(rows {rows})." in problems
    )
