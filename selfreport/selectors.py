from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from clients.models import Client
from goals import selectors as goal_selectors
from goals.models import PlanVersion
from safety import selectors as safety_selectors
from safety.models import OverdosePlanVersion, SafetyPlanVersion
from selfreport.models import ClientLink, LinkSchedule, PlanShare

# Which field of PlanShare holds each kind's version, and that version's model.
PLAN_SHARE_FIELDS = {
    PlanShare.Kind.SAFETY: "safety_version",
    PlanShare.Kind.OVERDOSE: "overdose_version",
    PlanShare.Kind.USE_PLAN: "use_plan_version",
}
PLAN_VERSION_MODELS: dict[str, Any] = {
    PlanShare.Kind.SAFETY: SafetyPlanVersion,
    PlanShare.Kind.OVERDOSE: OverdosePlanVersion,
    PlanShare.Kind.USE_PLAN: PlanVersion,
}


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


# --- Plans shared to read ----------------------------------------------------------------------


def current_plan_versions(client: Client) -> dict[str, Any]:
    """The current version of each plan that may be shared (None where there is none yet):
    one query each, the newest row by its unique (plan, number) index."""
    return {
        PlanShare.Kind.SAFETY: safety_selectors.latest_safety_version(client),
        PlanShare.Kind.OVERDOSE: safety_selectors.latest_overdose_version(client),
        PlanShare.Kind.USE_PLAN: goal_selectors.latest_version(client),
    }


def plan_shares_for_chart(client: Client) -> list[PlanShare]:
    """The client's shared plans, newest first, each with its version: one query."""
    return list(
        PlanShare.objects.filter(client=client)
        .select_related(*PLAN_SHARE_FIELDS.values())
        .order_by("-created_at", "-id")[:50]
    )


def plan_share_by_hash(token_hash: str) -> PlanShare | None:
    """The share with this token hash, its client and its version: one query."""
    return (
        PlanShare.objects.select_related("client", *PLAN_SHARE_FIELDS.values())
        .filter(token_hash=token_hash)
        .first()
    )


def newer_version_exists(share: PlanShare) -> bool:
    """Whether the plan shared has been saved again since (one query on its own plan)."""
    version = share.version
    return (
        PLAN_VERSION_MODELS[share.kind]
        .objects.filter(plan_id=version.plan_id, number__gt=version.number)
        .exists()
    )
