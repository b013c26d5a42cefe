"""Writes for the technique records of a session note: add, change and remove, only while the
note is a draft and only by its author while they treat the client. Each locks the note's row
first (as the note's own saves and its signing do), so a record is never added to, changed in
or removed from a note signed in between; the database refuses it too (LockedWithNote). Each
audits what changed by field name, never the client's words."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrp import access
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from sessions.models import SessionNote
from sessions.services import note_require_draft
from techniques.kinds import Kind, kind_of
from techniques.models import TECHNIQUE_TEXT_LIMIT, NoteTechnique


def technique_problems(kind: Kind, values: dict[str, Any]) -> dict[str, list[str]]:
    """What keeps `values` from being saved as a record of `kind`, by field ("__all__" for
    the record as a whole): an empty record, or a field over the limit."""
    problems: dict[str, list[str]] = {}
    fields = kind.model.TEXT_FIELDS
    for name in fields:
        if len(values.get(name) or "") > TECHNIQUE_TEXT_LIMIT:
            problems[name] = [
                _("Keep this to %(limit)s characters (it has %(n)s).")
                % {"limit": f"{TECHNIQUE_TEXT_LIMIT:,}", "n": f"{len(values[name]):,}"}
            ]
    if kind.required:
        if not (values.get(kind.required) or "").strip():
            problems.setdefault(kind.required, []).append(str(kind.empty))
    elif not any((values.get(name) or "").strip() for name in fields):
        problems["__all__"] = [str(kind.empty)]
    return problems


def _clean(kind: Kind, values: dict[str, Any]) -> dict[str, Any]:
    model = kind.model
    cleaned = {name: (values.get(name) or "").strip() for name in model.TEXT_FIELDS}
    for name in model.CHOICE_FIELDS:
        value = values.get(name) or ""
        choices = {key for key, _label in model._meta.get_field(name).choices}
        if value and value not in choices:
            raise ValidationError({name: _("Choose one of the options.")})
        cleaned[name] = value
    problems = technique_problems(kind, cleaned)
    if problems:
        raise ValidationError(problems)
    return cleaned


def _locked_note(*, actor: User, note: SessionNote) -> SessionNote:
    """The note's row, locked, once it is known that `actor` may change what is attached to
    it: its author, treating the client, while it is a draft."""
    note = (
        SessionNote.objects.select_for_update(of=("self",))
        .select_related("client", "appointment")
        .get(pk=note.pk)
    )
    if note.author_id != actor.pk:
        raise PermissionDenied
    access.require_write(actor, note.client)
    note_require_draft(note)
    return note


def _audit(
    action: AuditAction,
    *,
    actor: User,
    note: SessionNote,
    record: NoteTechnique,
    changed: list[str] | None = None,
) -> None:
    audit_record(
        category=AuditEvent.Category.CHANGE,
        action=action,
        actor=actor,
        obj=record,
        chart_number=note.client.chart_number,
        changes={name: ("", "changed") for name in changed} if changed else None,
        detail=f"note {note.pk}",
    )


@transaction.atomic
def technique_add(
    *, actor: User, note: SessionNote, kind: Kind, values: dict[str, Any]
) -> NoteTechnique:
    """Add a record of `kind` to a draft note. Raises ValidationError (by field) for an empty
    record, NoteLockedError for a signed note. Side effect: `technique.add`."""
    cleaned = _clean(kind, values)
    note = _locked_note(actor=actor, note=note)
    now = timezone.now()
    record = kind.model(
        note=note,
        client_id=note.client_id,
        author=actor,
        session_at=note.appointment.starts_at,
        created_at=now,
        updated_at=now,
    )
    for name, value in cleaned.items():
        setattr(record, name, value)
    record.content_hash = record.compute_hash()
    record.save()
    _audit(AuditAction.TECHNIQUE_ADD, actor=actor, note=note, record=record)
    return record


@transaction.atomic
def technique_save(*, actor: User, record: NoteTechnique, values: dict[str, Any]) -> list[str]:
    """Change a record of a draft note; returns the fields changed (none: nothing written).
    Raises as `technique_add`. Side effect: `technique.save` naming the fields changed."""
    kind = kind_of(type(record))
    cleaned = _clean(kind, values)
    note = _locked_note(actor=actor, note=record.note)
    record = type(record).objects.select_for_update().get(pk=record.pk, note=note)
    changed = [name for name, value in cleaned.items() if getattr(record, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(record, name, cleaned[name])
    record.updated_at = timezone.now()
    record.content_hash = record.compute_hash()
    record.save()
    _audit(AuditAction.TECHNIQUE_SAVE, actor=actor, note=note, record=record, changed=changed)
    return changed


@transaction.atomic
def technique_remove(*, actor: User, record: NoteTechnique) -> None:
    """Remove a record from a draft note (a draft is still being written; a signed note's
    records are never removed: an addendum corrects them). Side effect: `technique.remove`."""
    note = _locked_note(actor=actor, note=record.note)
    record = type(record).objects.get(pk=record.pk, note=note)
    _audit(AuditAction.TECHNIQUE_REMOVE, actor=actor, note=note, record=record)
    record.delete()
