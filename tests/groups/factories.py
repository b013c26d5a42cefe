"""Groups for tests: a group led by a therapist with meetings, members under a consent to take
part, and a meeting that has started."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Client, Consent
from groups import services
from groups.models import Group, Meeting, Membership
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, ConsentFactory


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
