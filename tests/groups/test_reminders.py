"""The group meeting reminder: before each scheduled meeting, to each member active that day
by the channel they chose (none without consent to be contacted); the text names no group,
subject or member. Planning costs the same at one and at many members."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from groups import services as group_services
from groups.models import Group
from groups.reminders import GroupMeetingClient
from hrp import formats
from hrp.accounts.models import User
from notifications import services
from notifications.models import Reminder
from tests.clients.factories import ClientFactory
from tests.groups.factories import group_consent

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def _group(lead: User, members: list[dict[str, Any]]) -> Group:
    """A closed group meeting tomorrow at 18:00 (and the week after), with these members."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    group = group_services.group_create(
        actor=lead,
        name="Thursday evening substance use group",
        label="Group",
        kind=Group.Kind.CLOSED,
        weekday=tomorrow.weekday(),
        start_time=datetime.time(18),
        duration_minutes=90,
        starts_on=tomorrow,
        ends_on=tomorrow + datetime.timedelta(days=7),
    )
    for fields in members:
        client = ClientFactory(**fields)
        group_consent(client)
        group_services.member_add(
            actor=lead, group=group, chart_number=client.chart_number, joined_on=tomorrow
        )
    return group


CONTACTABLE = {"may_contact": True, "reminder_channel": "sms", "phone": "555-0100"}


def test_each_contactable_member_gets_a_content_free_reminder(therapist: User) -> None:
    group = _group(
        therapist,
        [
            {**CONTACTABLE, "preferred_name": "Ayo"},
            {"may_contact": False, "preferred_name": "Birgit"},
            {**CONTACTABLE, "reminder_channel": "email", "email": "c@example.org"},
        ],
    )
    meeting = group.meetings.order_by("starts_at").first()
    due = meeting.starts_at - 24 * HOUR

    services.plan_reminders(now=due)

    rows = Reminder.objects.filter(kind="client_group").order_by("client_id")
    members = list(group.memberships.order_by("client_id"))
    assert list(rows.values_list("client_id", "channel", "object_id", "due_at", "recipient")) == [
        (members[0].client_id, "sms", meeting.pk, due, None),
        (members[2].client_id, "email", meeting.pk, due, None),
    ]
    text, url = services.render(rows[0])
    local = timezone.localtime(meeting.starts_at)
    assert text.startswith(f"Reminder: your group meets on {formats.weekday_date(local)} at 18:00.")
    assert url == ""
    for secret in ("Thursday evening", "substance", "Ayo", "Birgit", group.label + ","):
        assert secret not in text


def test_no_reminder_after_the_member_left(therapist: User) -> None:
    group = _group(therapist, [CONTACTABLE])
    meeting = group.meetings.order_by("starts_at").first()
    membership = group.memberships.get()
    services.plan_reminders(now=meeting.starts_at - 30 * HOUR)
    # Leaving on the meeting's day: the meeting is no longer theirs.
    group_services.member_leave(actor=therapist, membership=membership, left_on=meeting.day)

    services.send_due_reminders(now=meeting.starts_at - 23 * HOUR)

    assert list(Reminder.objects.filter(kind="client_group").values_list("status", flat=True)) == [
        "cancelled"
    ]


@pytest.mark.parametrize("size", [1, 6])
def test_planning_queries_do_not_grow_with_members(
    therapist: User, size: int, django_assert_num_queries: Any
) -> None:
    group = _group(therapist, [CONTACTABLE] * size)
    meeting = group.meetings.order_by("starts_at").first()
    rule = GroupMeetingClient()
    with django_assert_num_queries(2):
        specs = rule.plan(meeting.starts_at - 24 * HOUR)
    assert len(specs) == size


def test_no_reminder_once_the_member_revoked_their_consent(therapist: User) -> None:
    group = _group(therapist, [CONTACTABLE, CONTACTABLE])
    meeting = group.meetings.order_by("starts_at").first()
    first, second = group.memberships.order_by("id")
    services.plan_reminders(now=meeting.starts_at - 30 * HOUR)
    assert Reminder.objects.filter(kind="client_group").count() == 2
    # The first member revokes their consent to take part before the reminder goes out.
    type(first.consent).objects.filter(pk=first.consent_id).update(
        revoked_on=timezone.localdate(), revoked_by="the client"
    )

    services.send_due_reminders(now=meeting.starts_at - 23 * HOUR)

    assert dict(
        Reminder.objects.filter(kind="client_group").values_list("client_id", "status")
    ) == {first.client_id: "cancelled", second.client_id: "sent"}
    # Nor is a new one planned for them.
    Reminder.objects.all().delete()
    specs = GroupMeetingClient().plan(meeting.starts_at - 24 * HOUR)
    assert [spec.client_id for spec in specs] == [second.client_id]
