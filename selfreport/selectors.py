from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from clients.models import Client
from selfreport.models import ClientLink, LinkSchedule


def links_for_chart(client: Client) -> list[ClientLink]:
    """The client's links, newest first, with what each produced: one query."""
    return list(
        ClientLink.objects.filter(client=client)
        .select_related("administration")
        .order_by("-created_at", "-id")[:50]
    )


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
