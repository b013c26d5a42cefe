"""Reads for safety plans, overdose prevention plans and tolerance windows: the chart section,
the Overview panels, the Timeline, and the "lower tolerance" flag on the chart header and
caseload (an annotation, so neither page gains a query)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import DateField, DateTimeField, F, Func, OuterRef, QuerySet, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.extensions import TimelineEntry
from clients.models import Client
from clients.selectors import Flag
from hrp import formats
from safety.models import (
    OverdosePlanVersion,
    SafetyPlanVersion,
    ToleranceWindow,
)

# --- Plan versions -------------------------------------------------------------------------------


def safety_versions_for(client: Client) -> QuerySet[SafetyPlanVersion]:
    return SafetyPlanVersion.objects.filter(plan__client=client).select_related("created_by")


def overdose_versions_for(client: Client) -> QuerySet[OverdosePlanVersion]:
    return OverdosePlanVersion.objects.filter(plan__client=client).select_related("created_by")


def latest_safety_version(client: Client) -> SafetyPlanVersion | None:
    return safety_versions_for(client).order_by("-number").first()


def latest_overdose_version(client: Client) -> OverdosePlanVersion | None:
    return overdose_versions_for(client).order_by("-number").first()


# --- Tolerance windows ---------------------------------------------------------------------------


def windows_for(client: Client) -> QuerySet[ToleranceWindow]:
    """Every window of the client, latest first, with who recorded it."""
    return ToleranceWindow.objects.filter(client=client).select_related("created_by")


def open_windows(today: datetime.date) -> QuerySet[ToleranceWindow]:
    """Windows open on `today` (a clinic date): start <= today <= end."""
    return ToleranceWindow.objects.filter(start_date__lte=today, end_date__gte=today)


def open_window_for(client: Client, today: datetime.date | None = None) -> ToleranceWindow | None:
    """The client's window open today that lasts longest, or None. Reads only the windows that
    end today or later (index tolerance_client_end), whatever the client's history."""
    today = today or timezone.localdate()
    return open_windows(today).filter(client=client).order_by("-end_date", "-id").first()


def annotate_open_window(qs: QuerySet[Client]) -> QuerySet[Client]:
    """Adds `tolerance_lower_until`: the last day of the client's open window, or None. A
    subquery in the client query, so the caseload and the chart header gain no query."""
    if "tolerance_lower_until" in qs.query.annotations:
        return qs
    today = timezone.localdate()
    until = (
        open_windows(today)
        .filter(client=OuterRef("pk"))
        .order_by("-end_date")
        .values("end_date")[:1]
    )
    return qs.annotate(tolerance_lower_until=Subquery(until, output_field=DateField()))


def show_date(day: datetime.date) -> str:
    return formats.date(day)


def tolerance_flags(client: Client) -> list[Flag]:
    """ "Lower tolerance until <date>" while a window is open: information for the care team,
    in plain words (DOMAIN.md), at the level of a risk."""
    until = getattr(client, "tolerance_lower_until", None)
    if until is None:
        return []
    return [Flag(_("Lower tolerance until %(date)s") % {"date": show_date(until)}, "risk")]


# --- Overview panels -----------------------------------------------------------------------------


def review_state(review_date: datetime.date, today: datetime.date) -> str:
    """ "overdue", "due" (within 7 days) or ""."""
    if review_date < today:
        return "overdue"
    if review_date <= today + datetime.timedelta(days=7):
        return "due"
    return ""


def safety_panel(client: Client, can: Any) -> dict[str, Any] | None:
    """The Overview's "Safety plan" panel: when it was last reviewed (saved) and when the next
    review is due. One query."""
    version = (
        SafetyPlanVersion.objects.filter(plan__client=client)
        .order_by("-number")
        .only("number", "review_date", "created_at")
        .first()
    )
    if version is None and not can.write:
        return None
    today = timezone.localdate()
    return {
        "version": version,
        "review_state": review_state(version.review_date, today) if version else "",
        "url": reverse("safety:section", args=[client.pk]),
    }


def overdose_panel(client: Client, can: Any) -> dict[str, Any] | None:
    """The Overview's "Overdose prevention" panel: the plan's naloxone and test-strip answers,
    its review date, and an open tolerance window. Two queries."""
    version = (
        OverdosePlanVersion.objects.filter(plan__client=client)
        .order_by("-number")
        .only(
            "number",
            "review_date",
            "created_at",
            "has_naloxone",
            "knows_naloxone",
            "fentanyl_strips",
            "xylazine_strips",
        )
        .first()
    )
    window = open_window_for(client)
    if version is None and window is None and not can.write:
        return None
    today = timezone.localdate()
    return {
        "version": version,
        "review_state": review_state(version.review_date, today) if version else "",
        "window": window,
        "url": reverse("safety:section", args=[client.pk]),
    }


# --- Timeline ------------------------------------------------------------------------------------


class NoonIn(Func):
    """Noon of a date in a time zone, as an aware timestamp (Postgres: date + time is a
    timestamp; AT TIME ZONE reads it as that zone's wall clock)."""

    arg_joiner = " + TIME '12:00') AT TIME ZONE ("
    template = "((%(expressions)s))"
    output_field = DateTimeField()


def safety_timeline_rows(client: Client) -> QuerySet[SafetyPlanVersion]:
    return SafetyPlanVersion.objects.filter(plan__client=client).annotate(
        timeline_at=F("created_at")
    )


def overdose_timeline_rows(client: Client) -> QuerySet[OverdosePlanVersion]:
    return OverdosePlanVersion.objects.filter(plan__client=client).annotate(
        timeline_at=F("created_at")
    )


def window_timeline_rows(client: Client) -> QuerySet[ToleranceWindow]:
    zone = timezone.get_current_timezone_name()
    return ToleranceWindow.objects.filter(client=client).annotate(
        timeline_at=NoonIn(F("start_date"), Value(zone))
    )


def _version_entries(model: Any, pks: list[int], title: str, url_name: str) -> dict[int, Any]:
    rows = model.objects.filter(pk__in=pks).select_related("plan", "created_by")
    rows = rows.only(
        "number", "created_at", "review_date", "plan__client_id", "created_by__full_name"
    )
    return {
        row.pk: TimelineEntry(
            at=row.created_at,
            title=title % {"n": row.number},
            detail=_("Review on %(date)s") % {"date": show_date(row.review_date)},
            url=reverse(url_name, args=[row.plan.client_id, row.number]),
            who=row.created_by.full_name,
        )
        for row in rows
    }


def safety_timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return _version_entries(
        SafetyPlanVersion, pks, _("Safety plan, version %(n)d"), "safety:safety_version"
    )


def overdose_timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    return _version_entries(
        OverdosePlanVersion,
        pks,
        _("Overdose prevention plan, version %(n)d"),
        "safety:overdose_version",
    )


def window_timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    rows = ToleranceWindow.objects.filter(pk__in=pks).select_related("created_by")
    zone = timezone.get_current_timezone()
    entries = {}
    for row in rows:
        noon = datetime.datetime.combine(row.start_date, datetime.time(12), tzinfo=zone)
        entries[row.pk] = TimelineEntry(
            at=noon,
            title=_("Lower tolerance: %(reason)s") % {"reason": row.get_reason_display()},
            detail=_("From %(start)s until %(end)s")
            % {"start": show_date(row.start_date), "end": show_date(row.end_date)},
            url=reverse("safety:section", args=[row.client_id]),
            who=row.created_by.full_name,
        )
    return entries
