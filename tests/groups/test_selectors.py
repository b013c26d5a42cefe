"""The reads the lead wires at merge: a facilitator's meetings for the calendar (the group's
neutral label, nothing about members) and the members who attended a meeting (an encounter
each). And a group consent is not a consent for a collateral contact."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from groups import selectors, services
from hrp.accounts.models import User
from sessions.services import consent_covering
from tests.groups.factories import add_member, first_meeting, group_consent, make_group

pytestmark = pytest.mark.django_db


def test_meetings_between_are_the_facilitators_own(
    therapist: User, other_therapist: User, django_assert_num_queries
) -> None:
    group = make_group(therapist, weeks=3)
    make_group(other_therapist)
    start = timezone.now() - datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=10)

    with django_assert_num_queries(1):
        found = [
            (m.group.label, m.starts_at) for m in selectors.meetings_between(therapist, start, end)
        ]

    assert found == [(group.label, m.starts_at) for m in group.meetings.order_by("starts_at")[:2]]
    assert list(selectors.meetings_between(other_therapist, start, start)) == []


def test_attended_members_are_those_who_came(therapist: User) -> None:
    group = make_group(therapist)
    a, b, c = (add_member(group, therapist) for _ in range(3))
    meeting = first_meeting(group)
    services.attendance_record(
        actor=therapist,
        meeting=meeting,
        statuses={a.pk: "attended", b.pk: "no_show", c.pk: "attended"},
    )

    assert [row.client_id for row in selectors.attended_members(meeting)] == sorted(
        [a.client_id, c.client_id]
    )


def test_a_group_consent_does_not_cover_a_collateral_contact(therapist: User) -> None:
    group = make_group(therapist)
    membership = add_member(group, therapist)
    consent = group_consent(membership.client)
    assert (
        consent_covering(client=membership.client, consent=consent, day=timezone.localdate())
        is None
    )
