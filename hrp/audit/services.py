"""Writing the audit trail. The only functions that create AuditEvent rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest

from hrp.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the production proxy REMOTE_ADDR is the proxy; the proxy count is fixed at one
    # (see docker-compose.yml), so the last X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    chart_number: str = "",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event to the audit trail.

    `changes` maps a field name to (old, new); values are stored as JSON. `detail` must never
    hold clinical content: it is shown to clinic admins.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return AuditEvent.objects.create(
        category=category,
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        chart_number=chart_number,
        changes={k: [_jsonable(o), _jsonable(n)] for k, (o, n) in (changes or {}).items()},
        detail=detail[:255],
        ip_address=client_ip(request),
        path=request.path[:255] if request is not None else "",
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
