"""Reads for group sessions, scoped to the reader: groups and meetings through
`hrp.access.group_facilitators_visible_q`, a member's chart rows (only that member's
attendance, the shared part and their own part), the calendar's meetings and the members an
encounter is for."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from clients.extensions import TimelineEntry
from groups.models import Attendance, Facilitator, Group, GroupNote, Meeting, MemberNote
from hrp import access
from scheduling.extensions import Busy
from sessions.models import Appointment

CHART_ROWS = 50


@dataclass(frozen=True)
class GroupAccess:
    """What the reader may do with a group: run it (a facilitator) or supervise it."""

    write: bool
    supervise: bool


def _visible(user: Any) -> Exists:
    return Exists(
        Facilitator.objects.filter(group=OuterRef("pk")).filter(
            access.group_facilitators_visible_q(user)
        )
    )


def groups_for(user: Any) -> QuerySet[Group]:
    """The groups `user` facilitates or supervises, with whether they facilitate, and the
    number of current members and of meetings with a note still to sign."""
    return (
        Group.objects.filter(_visible(user))
        .annotate(
            is_facilitator=Exists(Facilitator.objects.filter(group=OuterRef("pk"), clinician=user))
        )
        .prefetch_related(
            Prefetch(
                "facilitators",
                queryset=Facilitator.objects.select_related("clinician"),
            )
        )
        .order_by("status", "name", "id")
    )


def group_for(user: Any, pk: int) -> tuple[Group, GroupAccess]:
    """The group with what `user` may do; 404 for who may not see it."""
    group = groups_for(user).filter(pk=pk).first()
    if group is None:
        raise Http404
    return group, GroupAccess(write=group.is_facilitator, supervise=not group.is_facilitator)


def meeting_for(user: Any, pk: int) -> tuple[Meeting, GroupAccess]:
    """A meeting of a group `user` may see, with its group and note; 404 otherwise."""
    meeting = (
        Meeting.objects.filter(pk=pk)
        .filter(Exists(Group.objects.filter(pk=OuterRef("group_id")).filter(_visible(user))))
        .annotate(
            is_facilitator=Exists(
                Facilitator.objects.filter(group=OuterRef("group_id"), clinician=user)
            )
        )
        .select_related("group", "note__author", "note__signed_by", "note__cosigned_by")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting, GroupAccess(write=meeting.is_facilitator, supervise=not meeting.is_facilitator)


def meetings_of(group: Group) -> QuerySet[Meeting]:
    """The group's meetings with how many attended (one query)."""
    return group.meetings.annotate(
        attended=_count_attended(),
        has_signed_note=Exists(
            GroupNote.objects.filter(meeting=OuterRef("pk"), signed_at__isnull=False)
        ),
    ).order_by("starts_at", "id")


def _count_attended() -> Any:
    return Count("attendances", filter=Q(attendances__status=Appointment.Status.ATTENDED))


def note_with_parts(meeting: Meeting) -> GroupNote | None:
    """The meeting's note with its parts and reviews (two prefetches), or None."""
    return (
        GroupNote.objects.filter(meeting=meeting)
        .select_related("author", "signed_by", "cosigned_by")
        .prefetch_related(
            Prefetch("parts", queryset=MemberNote.objects.select_related("client")),
            Prefetch("reviews"),
        )
        .first()
    )


# --- A member's chart: their attendance, the shared part and their own part only -------------


def chart_rows(client: Any) -> list[Attendance]:
    """The client's latest `CHART_ROWS` group meetings, newest first, each with the group, the
    meeting, a signed note's shared part and this client's own part: never another member's
    row, name or part (the prefetch filters on the client)."""
    own_parts = MemberNote.objects.filter(client=client)
    return list(
        Attendance.objects.filter(client=client)
        .select_related("meeting__group", "meeting__note")
        .prefetch_related(Prefetch("meeting__note__parts", queryset=own_parts, to_attr="own_parts"))
        .order_by("-meeting__starts_at", "-id")[:CHART_ROWS]
    )


def timeline_rows(client: Any) -> QuerySet[Attendance]:
    """The client's group meetings on the Timeline, at the meeting's start."""
    return Attendance.objects.filter(client=client).annotate(timeline_at=_start())


def _start() -> Any:
    return F("meeting__starts_at")


def timeline_load(pks: list[int]) -> dict[int, TimelineEntry]:
    entries = {}
    for row in Attendance.objects.filter(pk__in=pks).select_related("meeting__group"):
        entries[row.pk] = TimelineEntry(
            at=row.meeting.starts_at,
            title=_("Group: %(group)s") % {"group": row.meeting.group.name},
            detail=row.get_status_display(),
            url=reverse("groups:section", args=[row.client_id]),
        )
    return entries


# --- For the calendar and for billing (wired by the lead) -------------------------------------


def meetings_between(
    user: Any, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Meeting]:
    """Meetings of the groups `user` facilitates that start in [start, end), with the group
    (its neutral `label` is what a calendar shows; nothing about members)."""
    return (
        Meeting.objects.filter(
            starts_at__gte=start,
            starts_at__lt=end,
            group__facilitators__clinician=user,
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("group")
        .order_by("starts_at", "id")
    )


def attended_members(meeting: Meeting) -> QuerySet[Attendance]:
    """The members who attended `meeting` (an encounter each), with their client."""
    return (
        Attendance.objects.filter(meeting=meeting, status=Appointment.Status.ATTENDED)
        .select_related("client", "membership")
        .order_by("client_id")
    )


def calendar_busy(
    clinician_ids: list[int], begin: datetime.datetime, end: datetime.datetime
) -> list[Busy]:
    """The meetings of the groups these clinicians facilitate overlapping [begin, end), as the
    calendar shows them (scheduling.extensions): the group's neutral label and times, nothing
    about its members. One query."""
    rows = (
        Meeting.objects.filter(
            group__facilitators__clinician_id__in=clinician_ids,
            starts_at__lt=end,
            ends_at__gt=begin,
        )
        # A meeting cancelled when its group ended frees the facilitator's time.
        .exclude(status=Meeting.Status.CANCELLED)
        .values_list(
            "pk", "starts_at", "ends_at", "group__label", "group__facilitators__clinician_id"
        )
        .order_by("starts_at", "pk")
    )
    return [
        Busy(
            clinician_id=clinician_id,
            starts_at=starts_at,
            ends_at=ends_at,
            label=label,
            url=reverse("groups:meeting", args=[pk]),
            key=f"group-meeting-{pk}-{clinician_id}",
        )
        for pk, starts_at, ends_at, label, clinician_id in rows
    ]
