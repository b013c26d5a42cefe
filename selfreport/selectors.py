from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from clients.models import Client
from selfreport import kinds
from selfreport.models import ClientLink, LinkSchedule, PracticeLog


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


def annotate_new_from_client(qs: QuerySet[Client]) -> QuerySet[Client]:
    """`new_from_client`: the client sent answers the therapist has not seen yet. A subquery on
    the partial index `selfreport_unseen`, so the caseload keeps its query count."""
    return qs.annotate(
        new_from_client=Exists(
            ClientLink.objects.filter(
                client=OuterRef("pk"), submitted_at__isnull=False, seen_at__isnull=True
            )
        )
    )


def schedules_for_chart(client: Client) -> list[LinkSchedule]:
    """The client's schedules still running: one query."""
    return list(LinkSchedule.objects.filter(client=client, stopped_at__isnull=True))
