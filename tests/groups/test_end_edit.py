"""Changing and ending a group: the facilitators change its name, kind, label and the schedule
of its meetings to come (a held meeting keeps its time); ending it cancels its meetings from
that day, ends every membership and stops members' reminders; each is audited without names.
Every other role gets 404. A member whose consent to take part lapsed stays a member but cannot
be recorded as attending, and the pages say why."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import resolve_url
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from groups import services
from groups.models import Attendance, Group, Meeting, Membership
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from notifications import services as reminders
from notifications.models import Reminder
from tests.clients.factories import ClientFactory
from tests.groups.factories import add_member, first_meeting, group_consent, make_group
from tests.htmltext import page_text

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]
HOUR = datetime.timedelta(hours=1)
TOMORROW = datetime.timedelta(days=1)


def _edit_data(group: Group, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": group.name,
        "label": group.label,
        "kind": group.kind,
        "weekday": group.weekday,
        "start_time": group.start_time.isoformat(timespec="minutes"),
        "duration_minutes": group.duration_minutes,
    }
    data.update(changes)
    return data


# role: (settings page GET, edit POST, end POST)
ROLE_STATUS = {
    "therapist": (200, 302, 302),
    "other_therapist": (404, 404, 404),
    "supervisor": (404, 404, 404),
    "other_supervisor": (404, 404, 404),
    "clinic_admin": (404, 404, 404),
}


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_change_and_end_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, therapist: User, role: str
) -> None:
    group = make_group(therapist)
    web = client_for(request.getfixturevalue(role))
    statuses = (
        web.get(reverse("groups:edit", args=[group.pk])).status_code,
        web.post(
            reverse("groups:edit", args=[group.pk]), _edit_data(group, name="Renamed")
        ).status_code,
        web.post(
            reverse("groups:end", args=[group.pk]),
            {"ended_on": (timezone.localdate() + TOMORROW).isoformat()},
        ).status_code,
    )
    assert statuses == ROLE_STATUS[role]
    group.refresh_from_db()
    if role == "therapist":
        assert (group.name, group.status) == ("Renamed", Group.Status.ENDED)
    else:
        # Nothing changed on refusal.
        assert (group.name, group.status) == ("Tuesday harm reduction group", Group.Status.ACTIVE)
        assert not AuditEvent.objects.filter(action__in=["group.edit", "group.end"]).exists()


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, therapist: User) -> None:
    group = make_group(therapist)
    response = client_for(None).get(reverse("groups:edit", args=[group.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_a_new_schedule_moves_the_meetings_to_come(therapist: User) -> None:
    group = make_group(therapist, weeks=4)
    held = first_meeting(group)
    member = add_member(group, therapist)
    services.attendance_record(actor=therapist, meeting=held, statuses={member.pk: "attended"})
    weekday = (group.weekday + 1) % 7

    services.group_edit(
        actor=therapist,
        group=group,
        name="Renamed group",
        label="Room 3",
        kind=Group.Kind.DROP_IN,
        weekday=weekday,
        start_time=datetime.time(17, 30),
        duration_minutes=60,
    )

    meetings = list(Meeting.objects.filter(group=group).order_by("starts_at"))
    assert meetings[0] == held
    assert meetings[0].starts_at == held.starts_at
    later = meetings[1:]
    assert [
        (
            timezone.localtime(m.starts_at).weekday(),
            timezone.localtime(m.starts_at).time(),
            m.ends_at - m.starts_at,
        )
        for m in later
    ] == [(weekday, datetime.time(17, 30), datetime.timedelta(minutes=60))] * len(later)
    # The weeks of the series stay: no week gets two meetings, none after the last week.
    weeks = [
        timezone.localdate(m.starts_at) - datetime.timedelta(days=m.day.weekday()) for m in meetings
    ]
    assert len(set(weeks)) == len(weeks)
    assert all(m.day <= group.ends_on for m in meetings)
    event = AuditEvent.objects.get(action="group.edit")
    # The name may say what the group is about: the event says it changed, not to what.
    assert event.changes["name"] == ["", "changed"]
    assert event.changes["label"] == ["Group, room 2", "Room 3"]
    assert "Renamed" not in str(event.changes)


def test_nothing_to_change_is_refused(therapist: User) -> None:
    group = make_group(therapist)
    with pytest.raises(ValidationError) as refused:
        services.group_edit(
            actor=therapist,
            group=group,
            name=group.name,
            label=group.label,
            kind=group.kind,
            weekday=group.weekday,
            start_time=group.start_time,
            duration_minutes=group.duration_minutes,
        )
    assert refused.value.messages == ["Nothing to change: edit a field first."]
    assert not AuditEvent.objects.filter(action="group.edit").exists()


def test_ending_cancels_meetings_ends_memberships_and_stops_reminders(therapist: User) -> None:
    group = make_group(therapist, weeks=4)
    held = first_meeting(group)
    client = ClientFactory(may_contact=True, reminder_channel="sms", phone="555-0100")
    member = add_member(group, therapist, client)
    services.attendance_record(actor=therapist, meeting=held, statuses={member.pk: "attended"})
    second = group.meetings.order_by("starts_at")[1]
    reminders.plan_reminders(now=second.starts_at - 30 * HOUR)
    assert Reminder.objects.filter(kind="client_group", status="pending").count() == 1
    ended_on = timezone.localdate() + TOMORROW

    services.group_end(actor=therapist, group=group, ended_on=ended_on)

    group.refresh_from_db()
    assert (group.status, group.ended_on) == (Group.Status.ENDED, ended_on)
    statuses = list(group.meetings.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["held", "cancelled", "cancelled", "cancelled"]
    assert Membership.objects.get(pk=member.pk).left_on == ended_on
    reminders.send_due_reminders(now=second.starts_at - 23 * HOUR)
    assert list(Reminder.objects.filter(kind="client_group").values_list("status", flat=True)) == [
        "cancelled"
    ]
    event = AuditEvent.objects.get(action="group.end")
    assert event.changes == {
        "ended_on": [None, ended_on.isoformat()],
        "meetings_cancelled": [0, 3],
        "memberships_ended": [0, 1],
    }
    leave = AuditEvent.objects.get(action="group.member_leave")
    assert leave.chart_number == client.chart_number
    # An ended group no longer changes, nor takes members or attendance.
    with pytest.raises(ValidationError):
        services.group_end(actor=therapist, group=group, ended_on=ended_on)
    with pytest.raises(ValidationError):
        add_member(group, therapist)
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(
            actor=therapist, meeting=second, statuses={member.pk: "cancelled_client"}
        )
    assert refused.value.messages == ["This meeting was cancelled when the group ended."]


def test_a_group_does_not_end_in_the_past(therapist: User) -> None:
    group = make_group(therapist)
    with pytest.raises(ValidationError) as refused:
        services.group_end(actor=therapist, group=group, ended_on=timezone.localdate() - TOMORROW)
    assert refused.value.message_dict == {
        "ended_on": ["A group ends today or later: past meetings keep their record."]
    }
    assert Group.objects.get(pk=group.pk).status == Group.Status.ACTIVE


def test_only_a_facilitator_ends_the_group(therapist: User, other_therapist: User) -> None:
    group = make_group(therapist)
    with pytest.raises(PermissionDenied):
        services.group_end(actor=other_therapist, group=group, ended_on=timezone.localdate())
    assert Group.objects.get(pk=group.pk).status == Group.Status.ACTIVE


def test_the_settings_page_keeps_what_was_typed_on_refusal(
    client_for: ClientFor, therapist: User
) -> None:
    group = make_group(therapist)
    response = client_for(therapist).post(
        reverse("groups:edit", args=[group.pk]), _edit_data(group, name="New", label="")
    )
    assert response.status_code == 400
    assert response.context["edit_form"]["name"].value() == "New"
    assert Group.objects.get(pk=group.pk).name == "Tuesday harm reduction group"


# --- A lapsed consent ---------------------------------------------------------------------------


def test_a_revoked_consent_blocks_attendance_and_is_shown(
    client_for: ClientFor, therapist: User
) -> None:
    group = make_group(therapist)
    client = ClientFactory(preferred_name="Robin")
    consent = group_consent(client)
    member = services.member_add(
        actor=therapist,
        group=group,
        chart_number=client.chart_number,
        joined_on=first_meeting(group).day,
    )
    type(consent).objects.filter(pk=consent.pk).update(
        revoked_on=timezone.localdate(), revoked_by="the client"
    )
    meeting = first_meeting(group)

    with pytest.raises(ValidationError) as refused:
        services.attendance_record(
            actor=therapist, meeting=meeting, statuses={member.pk: "attended"}
        )
    day = formats.date(timezone.localdate())
    assert refused.value.messages == [
        f"Robin cannot be recorded as attending: This consent was revoked on "
        f"{day}: nothing may be disclosed under it. Their therapist "
        "records a new consent to take part on the chart's Consents tab."
    ]
    assert not Attendance.objects.exists()
    # The membership stays (its history too); a cancellation may still be recorded.
    services.attendance_record(
        actor=therapist, meeting=meeting, statuses={member.pk: "cancelled_client"}
    )
    assert Membership.objects.get(pk=member.pk).left_on is None
    web = client_for(therapist)
    for url in (
        reverse("groups:detail", args=[group.pk]),
        reverse("groups:meeting", args=[meeting.pk]),
    ):
        assert "Consent to take part not in force" in page_text(web.get(url))


# The session, user and two-factor device, the group with the reader's access, and its
# facilitators (a prefetch): the same at one week and at twelve, with members or none.
SETTINGS_QUERIES = 5


@pytest.mark.parametrize("weeks", [1, 12])
def test_the_settings_page_queries_do_not_grow(
    client_for: ClientFor, therapist: User, weeks: int, django_assert_num_queries: object
) -> None:
    group = make_group(therapist, weeks=weeks)
    for _ in range(weeks // 4):
        add_member(group, therapist)
    web = client_for(therapist)
    url = reverse("groups:edit", args=[group.pk])
    web.get(url)
    with django_assert_num_queries(SETTINGS_QUERIES):  # type: ignore[operator]
        response = web.get(url)
    assert response.status_code == 200
    assert response.context["edit_form"]["label"].value() == "Group, room 2"


def test_only_facilitators_see_the_billing_link_on_the_meeting(
    client_for: ClientFor, therapist: User, supervisor: User
) -> None:
    group = make_group(therapist)
    member = add_member(group, therapist)
    meeting = first_meeting(group)
    services.attendance_record(actor=therapist, meeting=meeting, statuses={member.pk: "attended"})
    url = reverse("groups:meeting", args=[meeting.pk])
    link = reverse("billing:meeting_coding", args=[meeting.pk])
    assert link in client_for(therapist).get(url).content.decode()
    assert link not in client_for(supervisor).get(url).content.decode()
