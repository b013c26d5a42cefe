"""Reads for the reminders inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Value, When

from hrp import access
from notifications.models import Reminder
from notifications.services import inbox_queryset


def inbox(user: Any) -> Any:
    """The user's inbox, newest first, with each reminder's client and whether the user may
    still read that client's record (`client_visible`): inside the app a reminder names its
    client, but only while the reader may open the chart (a reassignment or the end of a
    supervision takes effect at once). One query per page, whatever the number of rows."""
    visible = access.through(access.clients_visible_q(user), "client")
    return (
        inbox_queryset(user)
        .select_related("client")
        .annotate(
            client_visible=Case(
                When(visible, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by("-sent_at", "-id")
    )


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox: the newest of `count` reminders that read exactly alike."""

    reminder: Reminder
    count: int
    unread: bool


def collapse(reminders: list[Reminder]) -> list[InboxRow]:
    """Rows alike (same kind, client, text and link) as one line, in order of their newest."""
    groups: dict[tuple[str, int, str, str], list[Reminder]] = {}
    for reminder in reminders:
        key = (reminder.kind, reminder.client_id, reminder.text, reminder.url)
        groups.setdefault(key, []).append(reminder)
    return [
        InboxRow(
            reminder=alike[0],
            count=len(alike),
            unread=any(r.read_at is None for r in alike),
        )
        for alike in groups.values()
    ]
