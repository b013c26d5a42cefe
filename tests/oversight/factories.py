"""Audit events for oversight tests, written straight to the append-only table (inserts are
allowed; only UPDATE and DELETE are refused)."""

from __future__ import annotations

import datetime
from typing import Any

from hrp.audit.models import AuditEvent

# Words that stand in for clinical content: they must never reach an admin's page or export.
CLINICAL_MARKERS = ("MARKER-REASON-ZEBRA", "MARKER-DETAIL-OKAPI", "MARKER-OLD-QUOKKA")


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC)


def audit_event(
    *,
    at: datetime.datetime,
    action: str = "client.view.overview",
    category: str = AuditEvent.Category.ACCESS,
    actor: Any = None,
    chart_number: str = "",
    object_type: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
    detail: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        action=action,
        category=category,
        actor=actor,
        chart_number=chart_number,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
        detail=detail,
    )


def clinical_change(*, at: datetime.datetime, actor: Any, chart_number: str) -> AuditEvent:
    """A change event as the intake service writes one: clinical words in the values."""
    return audit_event(
        at=at,
        action="intake.save",
        category=AuditEvent.Category.CHANGE,
        actor=actor,
        chart_number=chart_number,
        object_type="clients.intake",
        object_id="7",
        changes={
            "reason_for_coming": [CLINICAL_MARKERS[2], CLINICAL_MARKERS[0]],
            "client_goals": ["", "go out again"],
        },
        detail=CLINICAL_MARKERS[1],
    )
