"""Groups for tests: a group led by a therapist with meetings, members under a consent to take
part, and a meeting that has started."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Client, Consent
from groups import services
from groups.models import Group, GroupNote, GroupNoteReview, Meeting, Membership
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.factories import SupervisionFactory, TherapistFactory


def group_consent(client: Client, **kw: object) -> Consent:
    values = {
        "scope": Consent.Scope.GROUP,
        "recipient": "The group's members and facilitators",
        "purpose": "Taking part in a group",
        # In force since before the first meeting of any group a test builds.
        "signed_on": timezone.localdate() - datetime.timedelta(days=90),
        "effective_on": timezone.localdate() - datetime.timedelta(days=90),
        **kw,
    }
    return ConsentFactory(client=client, **values)


def make_group(lead: User, *, kind: str = Group.Kind.CLOSED, weeks: int = 4, **kw: object) -> Group:
    """A group whose first meeting started an hour ago (so attendance may be recorded)."""
    start = timezone.localtime() - datetime.timedelta(hours=1)
    return services.group_create(
        actor=lead,
        name=kw.pop("name", "Tuesday harm reduction group"),
        label="Group, room 2",
        kind=kind,
        weekday=start.weekday(),
        start_time=start.time().replace(second=0, microsecond=0),
        duration_minutes=90,
        starts_on=start.date(),
        ends_on=start.date() + datetime.timedelta(weeks=weeks - 1),
        **kw,
    )


def first_meeting(group: Group) -> Meeting:
    return group.meetings.order_by("starts_at").first()


def add_member(
    group: Group, lead: User, client: Client | None = None, **client_kw: object
) -> Membership:
    client = client or ClientFactory(**client_kw)
    group_consent(client)
    return services.member_add(
        actor=lead,
        group=group,
        chart_number=client.chart_number,
        joined_on=first_meeting(group).day,
    )


def group_note(*, sign: bool = True, trainee: bool = False) -> GroupNote:
    """A group note of a held meeting with two members' private parts, signed unless `sign` is
    False (signed as the demo signs: the author has just proved who they are)."""
    lead = TherapistFactory(requires_cosign=trainee)
    group = make_group(lead)
    members = [add_member(group, lead), add_member(group, lead)]
    meeting = first_meeting(group)
    services.attendance_record(
        actor=lead, meeting=meeting, statuses={m.pk: "attended" for m in members}
    )
    note = services.group_note_start(actor=lead, meeting=meeting)
    note = services.group_note_save(
        actor=lead,
        note=note,
        expected_version=note.version,
        shared="We talked about spacing doses.",
        parts={m.client_id: "Wants to try test strips." for m in members},
    )
    if sign:
        with transaction.atomic():
            note = services.group_note_sign_verified(actor=lead, note=note)
    return note


def returned_group_review(comments: str = "Say more about the themes.") -> GroupNoteReview:
    note = group_note(trainee=True)
    supervisor = SupervisionFactory(supervisee=note.author).supervisor
    services.group_note_return(actor=supervisor, note=note, comments=comments)
    return GroupNoteReview.objects.get(note=note)
