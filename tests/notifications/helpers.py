"""Shared helpers for the reminder tests: the rows as comparable tuples, and the clocks."""

from __future__ import annotations

import datetime

from notifications.models import Reminder

Row = tuple[str, str, int | None, int, datetime.datetime]


def planned() -> set[Row]:
    """Every reminder row as (kind, channel, recipient id, object id, due time)."""
    return {
        (r.kind, r.channel, r.recipient_id, r.object_id, r.due_at) for r in Reminder.objects.all()
    }


def statuses() -> dict[str, str]:
    return dict(Reminder.objects.values_list("key", "status"))
