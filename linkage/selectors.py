"""Reads for referrals: the chart section, the Overview panel, the Timeline, progress summaries,
and the consents under which information may go with a referral."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, F, Prefetch, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.extensions import TimelineEntry
from clients.models import Client, Consent
from disclosures import selectors as disclosure_selectors
from linkage.models import OPEN_STATUSES, ReferralStatusChange, ServiceReferral, Status

OVERVIEW_LIMIT = 5


def referrals_for(client: Client) -> QuerySet[ServiceReferral]:
    """The chart's list: open referrals first, then the rest, newest step first; each with its
    steps (oldest first), who recorded them and any disclosure made. Two queries."""
    return (
        ServiceReferral.objects.filter(client=client)
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=ReferralStatusChange.objects.select_related(
                    "changed_by", "disclosure", "disclosure__consent"
                ).order_by("changed_at", "id"),
            )
        )
        .annotate(
            open_first=Case(
                When(status__in=list(OPEN_STATUSES), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        # Open ones first.
        .order_by("-open_first", "-updated_at", "-id")
    )


def referral_for(client: Client, pk: int) -> ServiceReferral | None:
    return ServiceReferral.objects.filter(client=client, pk=pk).first()


def consents_for_sharing(client: Client, provider: str) -> QuerySet[Consent]:
    """Consents in force today under which information may go to `provider`."""
    return disclosure_selectors.valid_consents_for_referral(client, provider, timezone.localdate())


def consents_in_force(client: Client) -> QuerySet[Consent]:
    """Every consent in force today that could allow sharing with some provider: the form
    offers these, and the service checks the one chosen names the provider."""
    return (
        Consent.objects.in_force(timezone.localdate())
        .filter(client=client, scope__in=disclosure_selectors.REFERRAL_SCOPES)
        .order_by("-effective_on", "-id")
    )


def overview(client: Any, can: Any) -> dict[str, Any] | None:
    """The Overview panel "Open referrals": up to five, with their status and follow-up date
    (one query, reading at most six rows)."""
    rows = list(
        ServiceReferral.objects.filter(
            client_id=client.pk, status__in=list(OPEN_STATUSES)
        ).order_by(F("follow_up_on").asc(nulls_last=True), "-updated_at", "-id")[
            : OVERVIEW_LIMIT + 1
        ]
    )
    if not rows and not can.write:
        return None
    return {
        "referrals": rows[:OVERVIEW_LIMIT],
        "more": len(rows) > OVERVIEW_LIMIT,
        "today": timezone.localdate(),
    }


# --- Timeline ------------------------------------------------------------------------------------


def timeline_rows(client: Any) -> QuerySet[ReferralStatusChange]:
    return ReferralStatusChange.objects.filter(referral__client=client).annotate(
        timeline_at=F("changed_at")
    )


def timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    entries = {}
    for change in ReferralStatusChange.objects.filter(pk__in=pks).select_related(
        "referral", "changed_by"
    ):
        referral = change.referral
        title = _("Referral to %(service)s: %(status)s") % {
            "service": referral.service_label,
            "status": change.get_status_display(),
        }
        detail = referral.provider
        if change.disclosure_id:
            detail = _("%(provider)s · information shared under consent") % {
                "provider": referral.provider
            }
        entries[change.pk] = TimelineEntry(
            at=change.changed_at,
            title=title,
            detail=detail,
            url=reverse("linkage:section", args=[referral.client_id]),
            who=change.changed_by.full_name,
        )
    return entries


# --- Progress summaries --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralSummary:
    service: str
    provider: str
    status: str  # the label of the status at the end of the period
    since: datetime.date  # the day of that step
    steps_in_period: int


def summaries_by_client(
    ids: Iterable[int], begin: datetime.datetime, finish: datetime.datetime
) -> dict[int, list[ReferralSummary]]:
    """Per client, the referrals a progress summary for [begin, finish) shows: those offered
    before the period's end that were still open at its end or had a step in it, each with
    its status at the period's end. One query: each referral's steps up to the end, whose
    number is the handful of steps one offer takes."""
    labels = dict(Status.choices)
    found: dict[int, list[ReferralSummary]] = defaultdict(list)
    current: dict[int, ReferralStatusChange] = {}
    in_period: dict[int, int] = defaultdict(int)
    referrals: dict[int, ServiceReferral] = {}
    for change in (
        ReferralStatusChange.objects.filter(
            referral__client_id__in=list(ids), changed_at__lt=finish
        )
        .select_related("referral")
        .order_by("referral__created_at", "referral_id", "changed_at", "id")
    ):
        referrals[change.referral_id] = change.referral
        current[change.referral_id] = change
        if change.changed_at >= begin:
            in_period[change.referral_id] += 1
    for referral_id, referral in referrals.items():
        last = current[referral_id]
        if last.status not in OPEN_STATUSES and not in_period[referral_id]:
            continue  # closed before the period began
        found[referral.client_id].append(
            ReferralSummary(
                service=referral.service_label,
                provider=referral.provider,
                status=str(labels[last.status]),
                since=timezone.localdate(last.changed_at),
                steps_in_period=in_period[referral_id],
            )
        )
    return found
