"""The demo clinic's groups (groups/demo.py): a drop-in and a closed group, members under a
consent to take part, past meetings with attendance and signed group notes."""

from __future__ import annotations

from django.utils import timezone

from clients.models import Consent
from groups.demo import DEMO_GROUPS
from groups.models import Attendance, Group, GroupNote, Meeting


def test_the_demo_has_a_drop_in_and_a_closed_group(demo_clinic) -> None:
    groups = {g.name: g for g in Group.objects.all()}
    assert {name: groups[name].kind for name, *_rest in DEMO_GROUPS} == {
        "Drop-in harm reduction group": "drop_in",
        "Closed skills group (8 weeks)": "closed",
    }
    for group in groups.values():
        memberships = list(group.memberships.select_related("consent"))
        assert len(memberships) >= 2
        for membership in memberships:
            assert membership.consent.scope == Consent.Scope.GROUP
            assert membership.consent.client_id == membership.client_id
        past = Meeting.objects.filter(group=group, ends_at__lt=timezone.now())
        assert past.count() >= 3
        assert Attendance.objects.filter(meeting__in=past, status="attended").exists()
        signed = GroupNote.objects.filter(meeting__group=group, signed_at__isnull=False)
        assert signed.count() >= 2
        # The shared part, read on every member's chart, names no member.
        for note in signed:
            for membership in memberships:
                assert membership.client.preferred_name not in note.shared
