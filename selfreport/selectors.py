from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from clients.models import Client
from goals import selectors as goal_selectors
from goals.models import PlanVersion
from notifications.extensions import at_send_hour
from safety import selectors as safety_selectors
from safety.models import OverdosePlanVersion, SafetyPlanVersion
from selfreport import kinds
from selfreport.models import ClientLink, LinkSchedule, PlanShare, PracticeLog
from sessions.models import Appointment

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


def booked_sessions(now: datetime.datetime) -> QuerySet[Appointment]:
    """Sessions still to come: booked, not cancelled, not moved, not begun."""
    return Appointment.objects.filter(status=Appointment.Status.SCHEDULED, starts_at__gt=now)


def session_link_due(starts_at: datetime.datetime, days_before: int) -> datetime.datetime:
    """When a before-session schedule's link for a session starting at `starts_at` goes out:
    `days_before` days before the session's day, at the clinic's send hour, both in the
    clinic's time zone (a session just after a change of clock still gets its link at the
    usual hour)."""
    day = timezone.localtime(starts_at).date() - datetime.timedelta(days=days_before)
    return at_send_hour(day)


def moved_from(appointment_id: int, ancestor_id: int) -> bool:
    """Whether appointment `appointment_id` is `ancestor_id` or was moved from it, however
    many times (sessions.services.appointment_reschedule keeps the old row and links the new
    one by `rescheduled_from`). One query: the chain is walked in the database."""
    table = Appointment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE chain(id, rescheduled_from_id) AS (
                SELECT id, rescheduled_from_id FROM {table} WHERE id = %s
                UNION ALL
                SELECT a.id, a.rescheduled_from_id FROM {table} a
                JOIN chain ON a.id = chain.rescheduled_from_id
            )
            SELECT EXISTS (SELECT 1 FROM chain WHERE id = %s)
            """,  # noqa: S608 - the table name is the model's, the values are parameters
            [appointment_id, ancestor_id],
        )
        return bool(cursor.fetchone()[0])


def schedules_for_chart(
    client: Client, *, now: datetime.datetime | None = None
) -> list[LinkSchedule]:
    """The client's schedules still running, each with `next_send`: when its next link is
    expected (None when no session is booked for a before-session schedule; at once for a
    session booked later than its days before). One query: the next booked session comes as a
    subquery, the same sessions the scan reads (selfreport.services.send_one_scheduled), except
    that a session moved after its link went out shows until the scan passes it over."""
    now = now or timezone.now()
    next_session = (
        booked_sessions(now)
        .filter(client=OuterRef("client"), starts_at__gte=OuterRef("next_session_from"))
        .order_by("starts_at", "id")
        .values("starts_at")[:1]
    )
    schedules = list(
        LinkSchedule.objects.filter(client=client, stopped_at__isnull=True)
        .annotate(next_session_at=Subquery(next_session))
        .order_by("created_at", "id")
    )
    for schedule in schedules:
        schedule.next_send = schedule.next_send_at
        if schedule.timing == LinkSchedule.Timing.BEFORE_SESSION:
            schedule.next_send = (
                max(now, session_link_due(schedule.next_session_at, schedule.days_before))
                if schedule.next_session_at is not None and schedule.days_before
                else None
            )
    return schedules


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
