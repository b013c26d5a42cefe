"""Demo groups for `manage.py seed_demo` (DEMO_MODE only): a drop-in group and a closed group,
each led by a demo therapist, with members under a consent to take part (recorded by each
member's own therapist), weekly meetings from three weeks ago to five weeks ahead, attendance at
the past meetings and a signed group note for each (the drop-in's latest one still to write).
billing.demo codes the members' attendance. Skips a group that already exists (by name)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients import services as client_services
from clients.models import Client, Consent
from groups import services
from groups.models import Group, Meeting, Membership
from hrp.accounts.models import User
from sessions.models import Appointment

# (name, calendar label, kind, start time, members by legal name; the first member's therapist
# leads, the second's co-facilitates). The shared part and the private parts name no member.
DEMO_GROUPS = (
    (
        "Drop-in harm reduction group",
        "Group, room 2",
        Group.Kind.DROP_IN,
        datetime.time(17, 30),
        ["Jamie Alvarez", "Marcus Bell", "Rosa Delgado", "Fatima Hassan"],
    ),
    (
        "Closed skills group (8 weeks)",
        "Group, room 3",
        Group.Kind.CLOSED,
        datetime.time(14, 0),
        ["Marcus Bell", "Priya Raman", "Hannah Schmidt", "Maya Patel"],
    ),
)
SHARED = (
    "The group checked in on the week. Themes: planning ahead for weekends, carrying "
    "naloxone, spacing doses and telling a friend where you are. Members practised saying no "
    "to a top-up and shared what helped on a hard day."
)
PARTS = (
    "Spoke about a weekend that went to plan and what made it work. Wants to keep a note of "
    "drinks on the phone.",
    "Quieter this week; listened and said the naloxone practice helped. Follow up one to one.",
    "Shared a lapse as information about what the evening needed. Will try eating first.",
    "Asked for test strips and a refill of supplies after the meeting.",
)


def _consent(client: Client, day: datetime.date) -> None:
    """A consent to take part in a group, recorded by the member's therapist."""
    if services.group_consent(client=client, day=day) is not None:
        return
    client_services.consent_create(
        actor=client.therapist,
        client=client,
        values={
            "recipient": "The group's members and facilitators",
            "purpose": "Taking part in group sessions",
            "scope": Consent.Scope.GROUP,
            "signed_on": day,
            "effective_on": day,
            "expires_on": day + datetime.timedelta(days=365),
        },
    )


@transaction.atomic
def seed_demo_groups(*, clients: list[Client]) -> int:
    """The demo groups (DEMO_GROUPS) for those of their members who are current clients;
    returns how many groups were created."""
    by_name = {c.legal_name: c for c in clients if c.status in (Client.Status.ACTIVE,)}
    today = timezone.localdate()
    first_week = today - datetime.timedelta(weeks=3)
    created = 0
    for index, (name, label, kind, start_time, names) in enumerate(DEMO_GROUPS):
        members = [by_name[n] for n in names if n in by_name]
        if len(members) < 2 or Group.objects.filter(name=name).exists():
            continue
        lead = members[0].therapist
        co = [m.therapist for m in members[1:2] if m.therapist_id != lead.pk]
        # A different weekday for each group, both met in the last few days.
        weekday = (today - datetime.timedelta(days=2 + 2 * index)).weekday()
        group = services.group_create(
            actor=lead,
            name=name,
            label=label,
            kind=kind,
            weekday=weekday,
            start_time=start_time,
            duration_minutes=90,
            starts_on=first_week,
            ends_on=today + datetime.timedelta(weeks=5),
            co_facilitators=co,
        )
        for client in members:
            _consent(client, first_week - datetime.timedelta(days=7))
            services.member_add(
                actor=lead, group=group, chart_number=client.chart_number, joined_on=first_week
            )
        _hold_past_meetings(group, lead, leave_last_unsigned=kind == Group.Kind.DROP_IN)
        created += 1
    return created


def _hold_past_meetings(group: Group, lead: User, *, leave_last_unsigned: bool) -> None:
    now = timezone.now()
    past = list(group.meetings.filter(ends_at__lt=now).order_by("starts_at"))
    memberships = list(Membership.objects.filter(group=group).order_by("id"))
    for position, meeting in enumerate(past):
        statuses = {
            # One member misses every third meeting: the record shows it, without judgement.
            m.pk: (
                Appointment.Status.NO_SHOW
                if i == len(memberships) - 1 and position % 3 == 1
                else Appointment.Status.ATTENDED
            )
            for i, m in enumerate(memberships)
        }
        services.attendance_record(actor=lead, meeting=meeting, statuses=statuses)
        note = services.group_note_start(actor=lead, meeting=Meeting.objects.get(pk=meeting.pk))
        parts = {part.client_id: PARTS[i % len(PARTS)] for i, part in enumerate(note.parts.all())}
        note = services.group_note_save(
            actor=lead, note=note, expected_version=note.version, shared=SHARED, parts=parts
        )
        if leave_last_unsigned and position == len(past) - 1:
            continue  # the group's latest note is still to write: "late" on the dashboard
        # Signed as the demo's other notes are: the author has just proved who they are.
        services.group_note_sign_verified(actor=lead, note=note)
