"""Reminders about group meetings, registered from GroupsConfig.ready() (see
notifications/extensions.py): before each scheduled meeting, to each current member by the
channel they chose. The text says a group meets and when: never the group's name or subject,
never another member."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from disclosures.services import check_in_force
from groups.models import Meeting, Membership
from hrp import formats
from notifications.extensions import (
    HORIZON,
    Kind,
    ReminderRule,
    Spec,
    client_channel,
    in_window,
    timing,
)
from notifications.models import Reminder


def _current(meeting: Meeting) -> Q:
    day = meeting.day
    return Q(group_id=meeting.group_id, joined_on__lte=day) & (
        Q(left_on__isnull=True) | Q(left_on__gt=day)
    )


def _takes_part(membership: Membership, day: datetime.date) -> bool:
    """A member is reminded of a meeting only while their consent to take part holds that day
    (the consents' one rule): a client who revoked it is no longer contacted about the group."""
    if not membership.active_on(day):
        return False
    try:
        check_in_force(consent=membership.consent, today=day)
    except ValidationError:
        return False
    return True


class GroupMeetingClient(ReminderRule):
    """`client_session_hours` before a scheduled group meeting, to each member active that day
    who chose a channel (the same timing and choices as an appointment's reminder)."""

    key = "group_meeting_client"
    kinds = (Kind.CLIENT_GROUP,)
    order = 12

    def plan(self, now: datetime.datetime) -> list[Spec]:
        before = datetime.timedelta(hours=timing("client_session_hours"))
        meetings = list(
            Meeting.objects.filter(
                status=Meeting.Status.SCHEDULED,
                starts_at__gt=now,
                starts_at__lte=now + HORIZON + before,
            )
        )
        if not meetings:
            return []
        members = Membership.objects.filter(
            group_id__in={m.group_id for m in meetings}
        ).select_related("client", "consent")
        by_group: dict[int, list[Membership]] = {}
        for membership in members:
            by_group.setdefault(membership.group_id, []).append(membership)
        specs = []
        for meeting in meetings:
            due = meeting.starts_at - before
            if not in_window(due, now):
                continue
            for membership in by_group.get(meeting.group_id, []):
                if not _takes_part(membership, meeting.day):
                    continue
                channel = client_channel(membership.client)
                if channel:
                    specs.append(
                        Spec(
                            Kind.CLIENT_GROUP, meeting.pk, membership.client_id, due, None, channel
                        )
                    )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        meeting = Meeting.objects.filter(pk=reminder.object_id).first()
        if meeting is None or meeting.status != Meeting.Status.SCHEDULED:
            return False
        if meeting.starts_at <= now:
            return False
        membership = (
            Membership.objects.filter(_current(meeting), client_id=reminder.client_id)
            .select_related("client", "consent")
            .first()
        )
        return (
            membership is not None
            and _takes_part(membership, meeting.day)
            and client_channel(membership.client) == reminder.channel
        )

    def render(self, reminder: Reminder) -> tuple[str, str]:
        starts_at = Meeting.objects.values_list("starts_at", flat=True).get(pk=reminder.object_id)
        local = timezone.localtime(starts_at)
        text = _("Reminder: your group meets on %(day)s at %(time)s.") % {
            "day": formats.weekday_date(local),
            "time": formats.time(local),
        }
        client = Client.objects.only("reminder_hide_clinic_name").get(pk=reminder.client_id)
        if not client.reminder_hide_clinic_name:
            text += f" {settings.CLINIC_DISPLAY_NAME}"
        return text, ""
