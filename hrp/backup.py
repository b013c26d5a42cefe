"""Backups a restore can check before it starts, and the integrity check of a database.

A backup is two files with one name, both written 0600 (they hold PHI, or describe it):
- `hrp-<UTC time>.dump`: `pg_dump --format=custom` of the whole database;
- `hrp-<UTC time>.manifest.json`: what a restore checks, and nothing a person wrote: the dump's
  size and SHA-256, the fingerprints of the keys in force (`crypto.key_fingerprint`, never the
  keys), and per table of `crypto.registry()` how many encrypted values each key opens, per
  table whose rows carry an integrity hash how many rows verify, and every table's row count.

The manifest is taken from the same snapshot as the dump (`pg_export_snapshot()`, passed to
`pg_dump --snapshot`), so its counts describe exactly what the dump holds.

A restore refuses, before it touches anything, when the dump does not match its manifest or
when a key that encrypted values in the backup is not in force: without it those notes would
come back unreadable. Otherwise it restores into an empty database in one transaction
(`pg_restore --single-transaction`), gives the key-rotation role its rights again, and then
checks the restored database: every encrypted value of every row opens, every integrity hash
verifies, and the counts match the manifest.

`integrity()` is that check; `manage.py verify_integrity` runs it on a live database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from hrp import crypto, formats
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.immutability import ROTATION_ROLE_SQL

FORMAT = "hrp-backup/1"
# Every model declaring `hash_verified()` keeps its hash here; empty means "no hash yet" (a
# draft note, a summary still being built), which is not a failure.
HASH_FIELD = "content_hash"
DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"
# Row ids listed per table when something fails to open or verify (ids only, never content).
SHOWN_IDS = 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --- The integrity check ---------------------------------------------------------------------


@dataclass
class EncryptedCount:
    values: int = 0
    by_key: Counter[str] = field(default_factory=Counter)
    unreadable: list[Any] = field(default_factory=list)


@dataclass
class HashCount:
    rows: int = 0
    verified: int = 0
    failed: list[Any] = field(default_factory=list)


@dataclass
class Integrity:
    """What a database holds, in counts: enough to compare two copies, nothing clinical."""

    row_counts: dict[str, int]
    encrypted: dict[str, EncryptedCount]
    hashed: dict[str, HashCount]

    def problems(self) -> list[str]:
        """One line per table with values no key opens or hashes that do not verify."""
        lines = []
        for label, count in self.encrypted.items():
            if count.unreadable:
                lines.append(
                    f"{label}: {len(count.unreadable)} encrypted value(s) open with no key in "
                    f"force (rows {_ids(count.unreadable)})."
                )
        for label, count in self.hashed.items():
            if count.failed:
                lines.append(
                    f"{label}: {len(count.failed)} integrity hash(es) do not verify "
                    f"(rows {_ids(count.failed)})."
                )
        return lines

    def summary(self) -> list[str]:
        lines = []
        for label, count in self.encrypted.items():
            opened = count.values - len(count.unreadable)
            line = f"{label}: {opened} of {count.values} encrypted values open"
            if count.by_key:
                keys = sorted(count.by_key.items())
                line += " (" + ", ".join(f"key {key}: {n}" for key, n in keys) + ")"
            if label in self.hashed:
                hashed = self.hashed[label]
                line += f"; {hashed.verified} of {hashed.rows} hashes verify"
            lines.append(line)
        for label, hashed in self.hashed.items():
            if label not in self.encrypted:
                lines.append(f"{label}: {hashed.verified} of {hashed.rows} hashes verify")
        return lines

    def manifest(self) -> dict[str, Any]:
        return {
            "row_counts": self.row_counts,
            "encrypted": {
                label: {
                    "values": count.values,
                    "by_key": dict(sorted(count.by_key.items())),
                    "unreadable": len(count.unreadable),
                }
                for label, count in self.encrypted.items()
            },
            "hashed": {
                label: {"rows": count.rows, "verified": count.verified}
                for label, count in self.hashed.items()
            },
        }


def _ids(pks: list[Any]) -> str:
    shown = ", ".join(str(pk) for pk in pks[:SHOWN_IDS])
    return shown + (f" and {len(pks) - SHOWN_IDS} more" if len(pks) > SHOWN_IDS else "")


def hashed_models() -> list[type[models.Model]]:
    """Every installed model whose rows carry an integrity hash (`hash_verified()`)."""
    found = [
        model
        for model in apps.get_models()
        if callable(getattr(model, crypto.HASH_CHECK, None)) and not model._meta.proxy
    ]
    return sorted(found, key=lambda model: model._meta.label)


def _tables() -> list[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def integrity(using: str = "default") -> Integrity:
    """Open every encrypted value of every table in `crypto.registry()` (noting which key
    opened it) and verify the hash of every row that carries one; count every table's rows.
    Reads in batches, so memory stays flat on a large clinic."""
    connection = connections[using]
    quote = connection.ops.quote_name
    row_counts = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 (model tables)
            row_counts[table] = cursor.fetchone()[0]
    encrypted = {}
    for table in crypto.registry():
        count = EncryptedCount()
        for batch in table.batches(size=500, using=using):
            for pk, values in batch:
                for value in values:
                    if not value:
                        continue
                    count.values += 1
                    key = crypto.opening_key(value)
                    if key is None:
                        count.unreadable.append(pk)
                    else:
                        count.by_key[key] += 1
        encrypted[table.label] = count
    hashed = {}
    for model in hashed_models():
        count = HashCount()
        rows = (
            model._base_manager.using(using)
            .exclude(**{HASH_FIELD: ""})
            .order_by("pk")
            .iterator(chunk_size=100)
        )
        for row in rows:
            count.rows += 1
            if getattr(row, crypto.HASH_CHECK)():
                count.verified += 1
            else:
                count.failed.append(row.pk)
        hashed[model._meta.label] = count
    return Integrity(row_counts=row_counts, encrypted=encrypted, hashed=hashed)


# --- Talking to pg_dump and pg_restore -------------------------------------------------------


def _client_env(using: str) -> dict[str, str]:
    """libpq's environment for the database `using`: the password travels in the
    environment, never on a command line that `ps` shows."""
    settings_dict = connections[using].settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", settings_dict.get("HOST")),
        ("PGPORT", settings_dict.get("PORT")),
        ("PGUSER", settings_dict.get("USER")),
        ("PGPASSWORD", settings_dict.get("PASSWORD")),
        ("PGDATABASE", settings_dict.get("NAME")),
        ("PGSSLMODE", (settings_dict.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools, of the server's "
            "major version or newer (Debian: postgresql-client)."
        )
    return path


def _run(args: list[str], using: str) -> None:
    result = subprocess.run(  # noqa: S603 (a fixed tool, arguments we build)
        args, env=_client_env(using), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed (exit {result.returncode}):\n{result.stderr.strip()}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _create_private(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only; never overwrite."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _require_postgresql(using: str) -> None:
    if connections[using].vendor != "postgresql":
        raise BackupError(
            "Backup and restore work on PostgreSQL. The embedded SQLite database is for the "
            "demo clinic only; copy its file if you need to."
        )


def _latest_migrations(using: str) -> dict[str, str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (app) app, name FROM django_migrations ORDER BY app, id DESC"
        )
        return dict(cursor.fetchall())


# --- Backup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    dump: Path
    manifest: Path
    integrity: Integrity


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(DUMP_SUFFIX) + MANIFEST_SUFFIX)


def backup_create(*, directory: Path, using: str = "default") -> Backup:
    """Dump database `using` into `directory` with its manifest, both 0600.

    The dump is written under a `.partial` name and renamed when complete, and the manifest
    is written last: a dump without a manifest beside it is not a finished backup. Side
    effect: a `backup.create` security event (the file's name) in the database dumped."""
    _require_postgresql(using)
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("A backup takes its own snapshot: run it outside a transaction.")
    pg_dump = _tool("pg_dump")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = "hrp-" + formats.utc_stamp(timezone.now())
    dump = directory / (stem + DUMP_SUFFIX)
    manifest_file = manifest_path(dump)
    partial = dump.with_name(dump.name + ".partial")
    if dump.exists() or manifest_file.exists():
        raise BackupError(f"{dump.name} already exists; wait a second and run backup again.")
    try:
        _create_private(partial)
    except FileExistsError:
        raise BackupError(f"Another backup is writing {partial.name} right now.") from None
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            # The dump and the counts below read one snapshot: the manifest describes exactly
            # what the dump holds, whatever the clinic writes meanwhile.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                using,
            )
            found = integrity(using)
            migrations = _latest_migrations(using)
        size = partial.stat().st_size
        digest = _sha256(partial)
        os.replace(partial, dump)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "dump": {"file": dump.name, "bytes": size, "sha256": digest},
        "server_version": connection.pg_version,
        "migrations": migrations,
        "keys_in_force": crypto.key_fingerprints(),
        **found.manifest(),
    }
    _create_private(manifest_file)
    manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.BACKUP_CREATE,
        detail=dump.name,
        using=using,
    )
    return Backup(dump=dump, manifest=manifest_file, integrity=found)


# --- Restore ---------------------------------------------------------------------------------


def read_manifest(dump: Path) -> dict[str, Any]:
    """The manifest of `dump`, after checking that the dump is the one it describes."""
    path = manifest_path(dump)
    if not dump.is_file():
        raise BackupError(f"{dump} does not exist.")
    if not path.is_file():
        raise BackupError(
            f"{path.name} is missing: a dump without its manifest cannot be checked before "
            "it is restored. Restore the manifest written with it (same name)."
        )
    try:
        manifest = json.loads(path.read_text())
    except ValueError:
        raise BackupError(f"{path.name} is not a readable manifest.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path.name} is not a manifest this version understands ({FORMAT}).")
    expected = manifest["dump"]
    if dump.stat().st_size != expected["bytes"] or _sha256(dump) != expected["sha256"]:
        raise BackupError(
            f"{dump.name} does not match its manifest (size or SHA-256 differ): the file is "
            "incomplete or damaged. Use another backup."
        )
    return manifest


def missing_keys(manifest: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Fingerprint of each key the backup needs that is not in force -> {table: values}."""
    in_force = set(crypto.key_fingerprints())
    missing: dict[str, dict[str, int]] = {}
    for label, count in manifest["encrypted"].items():
        for key, values in count["by_key"].items():
            if key not in in_force:
                missing.setdefault(key, {})[label] = values
    return missing


def check_keys(manifest: dict[str, Any], *, name: str) -> None:
    """Refuse (BackupError) when a key that encrypted values in the backup is not in force."""
    missing = missing_keys(manifest)
    if not missing:
        return
    lines = [
        f"Refusing to restore {name}: the keys in force cannot open it, so its notes would "
        "come back unreadable. Nothing was restored."
    ]
    for key, tables in sorted(missing.items()):
        where = ", ".join(f"{label} ({values})" for label, values in sorted(tables.items()))
        lines.append(f"  key {key} is not in FIELD_ENCRYPTION_KEYS; it encrypted: {where}")
    lines.append(f"  keys in force: {', '.join(crypto.key_fingerprints())}")
    lines.append(
        "Put the clinic's keys from the key backup (kept apart from the database backups) in "
        "FIELD_ENCRYPTION_KEYS, then run restore again."
    )
    raise BackupError("\n".join(lines))


def compare(manifest: dict[str, Any], restored: Integrity) -> list[str]:
    """What the restored database lacks compared with the manifest of its backup."""
    problems = restored.problems()
    now = restored.manifest()
    for table, rows in sorted(manifest["row_counts"].items()):
        if now["row_counts"].get(table) != rows:
            problems.append(
                f"{table}: {now['row_counts'].get(table)} rows restored, the backup held {rows}."
            )
    for label, count in sorted(manifest["encrypted"].items()):
        if now["encrypted"].get(label, {}).get("values") != count["values"]:
            problems.append(f"{label}: encrypted values differ from the backup.")
    for label, count in sorted(manifest["hashed"].items()):
        if now["hashed"].get(label, {}).get("verified", 0) < count["verified"]:
            problems.append(f"{label}: fewer hashes verify than in the backup.")
    return problems


@dataclass(frozen=True)
class Restored:
    integrity: Integrity | None  # None: not verified yet, migrations are pending
    problems: list[str]
    unapplied_migrations: int
    notes: list[str]


def restore(*, dump: Path, using: str = "default") -> Restored:
    """Restore `dump` into the empty database `using`, then verify it against its manifest.

    Refuses before touching the database when the dump does not match its manifest, when a
    key it needs is not in force, or when the database is not empty. pg_restore runs in one
    transaction: it restores all or nothing. A backup from an older version is verified
    only after `migrate` (`verify_integrity`), one from a newer version not at all. Side effect:
    once the restored database verifies, a `backup.restore` security event (the dump's name)."""
    _require_postgresql(using)
    manifest = read_manifest(dump)
    check_keys(manifest, name=dump.name)
    connection = connections[using]
    name = connection.settings_dict["NAME"]
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as error:
        raise BackupError(
            f"Cannot reach the database {name} ({type(error).__name__}): create it first "
            "(`createdb`), point DATABASE_URL at it, and run restore again. Nothing was restored."
        ) from None
    if tables:
        raise BackupError(
            f"The database {name} already holds {len(tables)} tables; restore only into an "
            "empty database (create one with `createdb`, point DATABASE_URL at it, and run "
            "restore again). Nothing was restored."
        )
    _run(
        [
            _tool("pg_restore"),
            "--exit-on-error",
            "--single-transaction",
            # Owner and grants name roles of the old server; the restoring login owns the
            # tables, and the app login's rights are granted again (README, "Immutability,
            # and the database logins it needs").
            "--no-owner",
            "--no-privileges",
            f"--dbname={name}",
            str(dump),
        ],
        using,
    )
    notes = []
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(ROTATION_ROLE_SQL)
    except DatabaseError as error:
        notes.append(
            "The key-rotation role could not be given its rights "
            f"({type(error).__name__}); a DBA must run migration core.0002's SQL "
            "(hrp.immutability.ROTATION_ROLE_SQL) before keys are next rotated."
        )
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    newer = set(executor.loader.applied_migrations) - set(executor.loader.graph.nodes)
    if newer:
        # This code's models may not match the restored tables: reading them could fail.
        raise BackupError(
            f"Restored, but {dump.name} comes from a newer version of HRP Clinic ({len(newer)} "
            "migration(s) this version does not know): serve and verify it with that version."
        )
    if unapplied:
        # Older tables than this code's models: verified after `migrate` (verify_integrity).
        return Restored(integrity=None, problems=[], unapplied_migrations=unapplied, notes=notes)
    found = integrity(using)
    problems = compare(manifest, found)
    if not problems:
        audit_record(
            category=AuditEvent.Category.SECURITY,
            action=AuditAction.BACKUP_RESTORE,
            detail=dump.name,
            using=using,
        )
    return Restored(integrity=found, problems=problems, unapplied_migrations=0, notes=notes)
