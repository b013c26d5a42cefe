"""Helpers shared by the client record tests."""

from __future__ import annotations

import html
from typing import Any

from django.forms.models import model_to_dict
from django.http import HttpResponse

from clients.models import Client
from hrp.audit.models import AuditEvent


def text(response: HttpResponse) -> str:
    """The page as a person reads it: HTML entities decoded."""
    return html.unescape(response.content.decode())


def record_state(record: Client) -> dict[str, Any]:
    """Everything a write to a client's record could change, as plain values."""
    record = Client.objects.get(pk=record.pk)
    return {
        "client": model_to_dict(record),
        "updated_at": record.updated_at,
        "intake": model_to_dict(record.intake),
        "referral": model_to_dict(record.referral),
        "substances": [model_to_dict(s) for s in record.substances.order_by("pk")],
        "consents": [model_to_dict(c) for c in record.consents.order_by("pk")],
        "assignments": list(
            record.assignments.order_by("pk").values(
                "therapist_id", "started_at", "ended_at", "assigned_by_id", "reason"
            )
        ),
    }


def change_event_count() -> int:
    return AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count()


def last_event_id() -> int:
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def events_since(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=event_id).order_by("id"))
