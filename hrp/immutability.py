"""Which rows the database refuses to change, declared once in each model's `Meta.triggers`, and
the one way key rotation may rewrite their ciphertext.

The rule is stated once per model, as django-pgtrigger triggers in `Meta.triggers`:

    class AuditEvent(AppendOnlyModel):
        class Meta:
            triggers = append_only(error=AuditImmutableError)

- `append_only()` refuses UPDATE and DELETE of any row (a row trigger) and TRUNCATE of the table
  (a statement trigger: row triggers never see TRUNCATE). `makemigrations` writes the triggers
  into the app's migrations; nobody writes trigger SQL by hand.
- `SignedNoteLock` refuses UPDATE and DELETE of a signed note except the two moves out of
  "awaiting co-signature" that leave the content byte-identical (see sessions.SessionNote).
- `LockedWithNote` refuses INSERT, UPDATE and DELETE of a row attached to a note (techniques)
  while that note is signed: the same column (`SIGNED_COLUMN`) and message as
  `SignedNoteLock`, so what is attached to a note is locked exactly when the note is.
- The Python-side guard, `AppendOnlyModel`, takes the error to raise from that declaration:
  `save()` of a stored row, `delete()` and bulk `update()`/`delete()` raise it before the
  database is asked, with a message a person can read. On SQLite (the embedded demo, which has
  no triggers) it is the only guard; a system check (hrp.E101) fails when a model declares the
  triggers without the base or the base without the triggers, so the two cannot drift.

Why our own SQL template rather than pgtrigger's: pgtrigger starts every trigger function with
`IF _pgtrigger_should_ignore(TG_NAME) THEN RETURN ...`, which reads the custom setting
`pgtrigger.ignore`. Any database session may set a custom setting, so with that template any
session could switch the triggers off: the very hole issue 12 closes (`hrp.note_reencrypt`).
`SealedTriggerSql` is pgtrigger's installation template without that hook; everything else
(Meta declaration, migrations, `pgtrigger ls`/`install`) is pgtrigger's own. pgtrigger 4.17.0
works with Django 6.1 as it is.

The rotation door. Ciphertext must move to a new key even in rows nobody may change, so the
triggers let one kind of change through: an UPDATE that changes only the encrypted columns
(found from the model's fields, so a new encrypted field is covered by the next
`makemigrations`), made while `current_user` is the NOLOGIN role `hrp_key_rotation`
(`ROTATION_ROLE`). `key_rotation()` switches the transaction to that role with
`SET LOCAL ROLE`; PostgreSQL allows that only to a session whose login role is a member of it
(or a superuser). The migration `core.0002_key_rotation_role` creates the role, grants it to the
role that runs migrations and gives it SELECT, INSERT and UPDATE (never DELETE or TRUNCATE). The
web app and the workers must connect as a role that is not a member and not a superuser
(README, "Database roles"): such a session cannot `SET ROLE hrp_key_rotation`, and no setting it
can change opens the triggers. A superuser can always disable triggers, so the database's own
owner is trusted by construction, never the application's login.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import pgtrigger
from django.apps import apps
from django.core import checks
from django.db import connection, models, transaction
from django.utils import translation
from pgtrigger import compiler

from hrp.crypto import EncryptedTextField

ROTATION_ROLE = "hrp_key_rotation"

# The role, the migrating login's membership and the role's rights on the schema: run by migration
# core.0002 and again by `manage.py restore` (a restore leaves privileges out of the dump).
ROTATION_ROLE_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROTATION_ROLE}') THEN
        CREATE ROLE {ROTATION_ROLE} NOLOGIN;
    END IF;
    IF NOT pg_has_role(current_user, '{ROTATION_ROLE}', 'MEMBER') THEN
        EXECUTE 'GRANT {ROTATION_ROLE} TO ' || quote_ident(current_user);
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO {ROTATION_ROLE};
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {ROTATION_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROTATION_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO {ROTATION_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROTATION_ROLE};
"""


class ImmutableError(Exception):
    """Raised in Python when code tries to change or remove a row the database would refuse."""


# --- The SQL --------------------------------------------------------------------------------


class SealedTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's installation SQL without its `pgtrigger.ignore` escape hatch.

    Referenced by migrations: do not edit this template in a way that changes the SQL of
    triggers already migrated (as for pgtrigger's own, a change needs a new class)."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class SealedTrigger(pgtrigger.Trigger):
    """A pgtrigger trigger that no session setting can switch off."""

    def compile(self, model: Any) -> compiler.Trigger:
        compiled = super().compile(model)
        kwargs = dict(compiled.sql.kwargs)
        kwargs.pop("ignore_func_name", None)
        return compiler.Trigger(name=self.name, sql=SealedTriggerSql(**kwargs))


def ciphertext_columns(model: type[models.Model]) -> list[str]:
    """The columns of `model` that hold ciphertext: the only ones rotation may rewrite."""
    return sorted(
        f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
    )


def _sql_array(columns: Iterable[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{c}'" for c in columns) + "]::text[]"


def rotation_passes(columns: list[str]) -> str:
    """PL/pgSQL: let this UPDATE through when the rotation role changes ciphertext only."""
    if not columns:
        return ""
    keep = _sql_array(columns)
    return f"""
        IF TG_OP = 'UPDATE' AND current_user = '{ROTATION_ROLE}'
           AND (to_jsonb(NEW) - {keep}) = (to_jsonb(OLD) - {keep}) THEN
            RETURN NEW;
        END IF;
    """


def _what(model: type[models.Model]) -> str:
    # Untranslated: the text is part of the trigger SQL, which must not depend on the locale.
    with translation.override(None):
        return str(model._meta.verbose_name_plural)


class AppendOnly(SealedTrigger):
    """Row trigger: refuse every UPDATE and DELETE (rotation of ciphertext excepted).

    `error` is the exception the Python-side guard raises for this model."""

    when = pgtrigger.Before
    operation = pgtrigger.Update | pgtrigger.Delete
    level = pgtrigger.Row

    def __init__(self, *, error: type[Exception] = ImmutableError, **kwargs: Any) -> None:
        kwargs.setdefault("name", "append_only")
        super().__init__(**kwargs)
        self.error = error

    def get_func(self, model: Any) -> str:
        return self.format_sql(
            rotation_passes(ciphertext_columns(model))
            + f"RAISE EXCEPTION '{_what(model)} are append-only (% refused)', TG_OP;"
        )


class NoTruncate(SealedTrigger):
    """Statement trigger: refuse TRUNCATE, which row triggers never see."""

    when = pgtrigger.Before
    operation = pgtrigger.Truncate
    level = pgtrigger.Statement

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("name", "no_truncate")
        super().__init__(**kwargs)

    def get_func(self, model: Any) -> str:
        return self.format_sql(
            f"RAISE EXCEPTION '{_what(model)} are append-only (TRUNCATE refused)';"
        )


def append_only(*, error: type[Exception] = ImmutableError) -> list[pgtrigger.Trigger]:
    """The `Meta.triggers` of a table whose rows, once written, never change or go away."""
    return [AppendOnly(error=error), NoTruncate()]


# The one statement of what "locked" means for a signed note and for the rows that belong to it
# (SignedNoteLock on the note, LockedWithNote on what is attached to it): a row whose
# `signed_at` is set. A note a supervisor returns has its `signed_at` cleared and opens again,
# together with everything attached to it.
SIGNED_COLUMN = "signed_at"
_LOCKED_RAISE = (
    "RAISE EXCEPTION 'signed session notes are locked (% refused); add an addendum', TG_OP\n"
    "                USING ERRCODE = 'restrict_violation';"
)


class SignedNoteLock(SealedTrigger):
    """Row trigger on session notes: a signed row (signed_at set) refuses DELETE and UPDATE,
    except the moves from status `awaiting` to one of `moves_to` (co-sign, or return to draft)
    that change only the fields in `moving`, and ciphertext-only rotation. Drafts pass.

    The parameters are values, not model attributes, because migrations compile triggers
    against historical models, which have fields but no class attributes."""

    when = pgtrigger.Before
    operation = pgtrigger.Update | pgtrigger.Delete
    level = pgtrigger.Row

    def __init__(
        self, *, moving: Iterable[str], awaiting: str, moves_to: Iterable[str], **kwargs: Any
    ) -> None:
        kwargs.setdefault("name", "signed_note_lock")
        super().__init__(**kwargs)
        self.moving = tuple(moving)
        self.awaiting = str(awaiting)
        self.moves_to = tuple(str(status) for status in moves_to)

    def get_func(self, model: Any) -> str:
        moving = _sql_array(model._meta.get_field(f).column for f in self.moving)
        targets = ", ".join(f"'{status}'" for status in self.moves_to)
        return self.format_sql(f"""
            IF OLD.{SIGNED_COLUMN} IS NULL THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND OLD.status = '{self.awaiting}' AND NEW.status IN ({targets})
               AND (to_jsonb(NEW) - {moving}) = (to_jsonb(OLD) - {moving}) THEN
                RETURN NEW;
            END IF;
            {rotation_passes(ciphertext_columns(model))}
            {_LOCKED_RAISE}
        """)


class LockedWithNote(SealedTrigger):
    """Row trigger on a table whose rows belong to a session note (through the foreign key
    `note`): INSERT, UPDATE and DELETE are refused while that note is signed, with the note's
    own rule and message (SIGNED_COLUMN), so what is attached to a note is locked exactly
    when the note is. Ciphertext-only rotation passes, as for the note.

    The note's row is read FOR SHARE: a change here and the note's signing (which locks the
    note's row FOR UPDATE) wait for each other, so a row is never added to a note that was
    signed in between. For the Python side see `locked_with_note_trigger()`."""

    when = pgtrigger.Before
    operation = pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete
    level = pgtrigger.Row
    declare = [("note_signed_at", "timestamptz")]

    def __init__(
        self, *, note: str = "note", error: type[Exception] = ImmutableError, **kwargs: Any
    ) -> None:
        kwargs.setdefault("name", "locked_with_note")
        super().__init__(**kwargs)
        self.note = note
        self.error = error

    def get_func(self, model: Any) -> str:
        field = model._meta.get_field(self.note)
        column = field.column
        table = field.related_model._meta.db_table
        # Names from the models, never from input.
        read = f"SELECT {SIGNED_COLUMN} INTO note_signed_at FROM {table} WHERE id = %s.{column}"  # noqa: S608
        read += " FOR SHARE;"
        return self.format_sql(f"""
            {rotation_passes(ciphertext_columns(model))}
            IF TG_OP <> 'INSERT' THEN
                {read % "OLD"}
                IF note_signed_at IS NOT NULL THEN {_LOCKED_RAISE} END IF;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {read % "NEW"}
                IF note_signed_at IS NOT NULL THEN {_LOCKED_RAISE} END IF;
                RETURN NEW;
            END IF;
            RETURN OLD;
        """)


def locked_with_note_trigger(model: type[models.Model]) -> LockedWithNote | None:
    """The LockedWithNote trigger `model` declares, if any."""
    for trigger in getattr(model._meta, "triggers", None) or ():
        if isinstance(trigger, LockedWithNote):
            return trigger
    return None


# --- The Python-side guard, derived from the declaration ------------------------------------


def append_only_trigger(model: type[models.Model]) -> AppendOnly | None:
    """The AppendOnly trigger `model` declares, if any: the one statement of the rule."""
    for trigger in getattr(model._meta, "triggers", None) or ():
        if isinstance(trigger, AppendOnly):
            return trigger
    return None


def append_only_models() -> list[type[models.Model]]:
    """Every model that declares append_only(): the one list of append-only tables."""
    return [m for m in apps.get_models() if append_only_trigger(m) is not None]


def _refusal(model: type[models.Model], verb: str) -> Exception:
    trigger = append_only_trigger(model)
    error = trigger.error if trigger else ImmutableError
    return error(f"{_what(model).capitalize()} are never {verb}.")


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk changes of an append-only table (and `bulk_update`, which uses update)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise _refusal(self.model, "updated")

    def delete(self) -> NoReturn:
        raise _refusal(self.model, "deleted")


class AppendOnlyModel(models.Model):
    """The Python side of `append_only()`: `save()` of a stored row, `delete()` and bulk
    changes raise the error the trigger declaration names, before the database is asked (and
    on SQLite, where there are no triggers). A system check keeps the two together."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refusal(type(self), "updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise _refusal(type(self), "deleted")


class LockedWithNoteModel(models.Model):
    """The Python side of `LockedWithNote`: `save()` and `delete()` ask the stored note (not
    an instance that may be stale) and raise the declared error while it is signed, before the
    database is asked (and on SQLite, which has no triggers). A system check keeps the base and
    the trigger together."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_when_signed("The note is signed: this record is locked with it.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse_when_signed("The note is signed: this record is never removed.")
        return super().delete(*args, **kwargs)

    def note_is_signed(self) -> bool:
        trigger = locked_with_note_trigger(type(self))
        if trigger is None:
            return False
        field = self._meta.get_field(trigger.note)
        note_id = getattr(self, field.attname)
        if note_id is None:
            return False
        filters = {"pk": note_id, f"{SIGNED_COLUMN}__isnull": False}
        return field.related_model._base_manager.filter(**filters).exists()

    def _refuse_when_signed(self, message: str) -> None:
        trigger = locked_with_note_trigger(type(self))
        if trigger is not None and self.note_is_signed():
            raise trigger.error(message)


@checks.register(checks.Tags.models)
def check_append_only_models(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each table declaring append_only() has the Python guard, and no guard lacks its triggers."""
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        declared = append_only_trigger(model) is not None
        guarded = issubclass(model, AppendOnlyModel) and issubclass(
            model._default_manager._queryset_class, AppendOnlyQuerySet
        )
        if declared != guarded:
            errors.append(
                checks.Error(
                    f"{model._meta.label}: Meta.triggers = append_only() and the "
                    "AppendOnlyModel base (with its queryset) go together.",
                    obj=model,
                    id="hrp.E101",
                )
            )
    for model in apps.get_models():
        declared = locked_with_note_trigger(model) is not None
        if declared != issubclass(model, LockedWithNoteModel):
            errors.append(
                checks.Error(
                    f"{model._meta.label}: Meta.triggers = [LockedWithNote()] and the "
                    "LockedWithNoteModel base go together.",
                    obj=model,
                    id="hrp.E103",
                )
            )
    return errors


# --- The rotation door ----------------------------------------------------------------------


class RotationRefused(RuntimeError):
    """This database login may not rotate keys (it is not a member of the rotation role)."""


@contextmanager
def key_rotation() -> Iterator[None]:
    """Run the rest of the block as the rotation role, inside the current transaction.

    Inside it, raw UPDATEs may rewrite the ciphertext columns of locked rows (signed notes,
    addenda, reviews and any other append-only table) and nothing else of them. Only a login
    that is a member of `ROTATION_ROLE` (the role that runs migrations) gets in; the app's
    own login is refused by PostgreSQL itself. On SQLite (no triggers) it only checks the
    transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("key_rotation() must run inside transaction.atomic().")
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(session_user, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s",
            [ROTATION_ROLE, ROTATION_ROLE],
        )
        row = cursor.fetchone()
        if not row or not row[0]:
            raise RotationRefused(
                f"The database login {connection.settings_dict.get('USER')!r} may not rotate "
                f"keys: run the rotation with the login that runs migrations (a member of "
                f"{ROTATION_ROLE})."
            )
        cursor.execute(f"SET LOCAL ROLE {ROTATION_ROLE}")
    yield
    # Whatever the transaction does after the block runs as the app's login again.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE NONE")
