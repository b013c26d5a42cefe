"""Writing the audit trail. The only functions that create AuditEvent rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from hrp.audit import context
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)


def audit_record(
    *,
    category: str,
    action: AuditAction | str,
    actor: Any = None,
    obj: models.Model | None = None,
    chart_number: str = "",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    detail: str = "",
    using: str = "default",
) -> AuditEvent:
    """Append one event to the audit trail.

    `changes` maps a field name to (old, new); values are stored as JSON. `detail` must never
    hold clinical content: it is shown to clinic admins.

    `action` must be an `AuditAction`; anything else raises ValueError. Address and path (or
    "task:<name>" / "command:<name>") come from the audit context (hrp.audit.context), as
    does the actor when none is given. `using` is another database alias (a restore records
    itself in the database it restored).
    """
    try:
        action = AuditAction(action)
    except ValueError:
        raise ValueError(f"Unknown audit action {action!r}: declare it in AuditAction.") from None
    where = context.current()
    if actor is None:
        actor = where.actor
    return AuditEvent.objects.using(using).create(
        category=category,
        action=action.value,
        actor=actor if actor is not None and actor.pk else None,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        chart_number=chart_number,
        changes={k: [_jsonable(o), _jsonable(n)] for k, (o, n) in (changes or {}).items()},
        detail=detail[:255],
        ip_address=where.ip_address,
        path=where.path[:255],
    )


def diff_fields(
    instance: models.Model, before: Mapping[str, Any], fields: list[str]
) -> dict[str, tuple[Any, Any]]:
    """Old and new values of the fields that changed, for a change event."""
    return {
        f: (before.get(f), getattr(instance, f))
        for f in fields
        if before.get(f) != getattr(instance, f)
    }
