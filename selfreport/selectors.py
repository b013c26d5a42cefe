from __future__ import annotations

from clients.models import Client
from selfreport import kinds
from selfreport.models import ClientLink, PracticeLog


def links_for_chart(client: Client) -> list[ClientLink]:
    """The client's links, newest first, with what each produced (every kind's record joined,
    kinds.py naming it as `summary`): one query."""
    links = list(
        ClientLink.objects.filter(client=client)
        .select_related(
            "administration", "session_rating", "use_diary", "practice_log", "appointment"
        )
        .defer("use_diary__entries", "practice_log__practice_other")
        .order_by("-created_at", "-id")[:50]
    )
    for link in links:
        spec = kinds.kind_of(link)
        link.kind_label = spec.label  # type: ignore[attr-defined]
        link.summary = spec.summary(link) if link.submitted_at else None  # type: ignore[attr-defined]
    return links


# The chart's Overview lists the latest relaxation practice the client reported.
REPORTS_SHOWN = 5


def client_reports_panel(client: Client, can: object) -> dict[str, object] | None:
    """The Overview's "Relaxation practice, from the client" panel: the latest logs, newest
    first, one LIMITed query; left out when the client has sent none. (A use diary shows where
    use is read: its weeks are goals' check-ins, marked "reported by the client".)"""
    practice = list(
        PracticeLog.objects.filter(client=client).order_by("-recorded_at", "-id")[:REPORTS_SHOWN]
    )
    return {"practice": practice} if practice else None
