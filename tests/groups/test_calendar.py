"""Group meetings on the facilitators' calendars (scheduling.extensions' busy sources): shown
under the group's neutral label, no free slot offered over them, carried by the phone feed;
never a member's name."""

from __future__ import annotations

import datetime
import re

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from groups import selectors
from hrp import formats
from hrp.accounts.models import User
from scheduling import extensions
from scheduling import selectors as scheduling_selectors
from scheduling.models import WorkingHours
from tests.groups.factories import add_member, first_meeting, make_group

pytestmark = pytest.mark.django_db


def test_each_facilitator_asked_for_gets_the_meeting_once(
    therapist: User, other_therapist: User, django_assert_num_queries
) -> None:
    group = make_group(therapist, weeks=3, co_facilitators=[other_therapist])
    meetings = list(group.meetings.order_by("starts_at"))
    begin = meetings[0].starts_at - datetime.timedelta(minutes=1)
    end = meetings[1].starts_at + datetime.timedelta(minutes=1)

    with django_assert_num_queries(1):
        mine = selectors.calendar_busy([therapist.pk], begin, end)
    both = selectors.calendar_busy([therapist.pk, other_therapist.pk], begin, end)

    assert [(b.clinician_id, b.starts_at, b.label) for b in mine] == [
        (therapist.pk, m.starts_at, "Group, room 2") for m in meetings[:2]
    ]
    assert sorted((b.clinician_id, b.key) for b in both) == sorted(
        (who.pk, f"group-meeting-{m.pk}-{who.pk}")
        for m in meetings[:2]
        for who in (therapist, other_therapist)
    )
    # The registry the calendar reads holds the groups' source.
    assert selectors.calendar_busy in extensions._SOURCES


def test_the_calendar_shows_the_meeting_and_no_free_slot_over_it(
    client_for, therapist: User
) -> None:
    group = make_group(therapist, weeks=2)
    meeting = group.meetings.order_by("starts_at").last()  # next week's, still to come
    add_member(group, therapist, preferred_name="Quinn Member")
    local = timezone.localtime(meeting.starts_at)
    WorkingHours.objects.create(
        clinician=therapist,
        weekday=local.weekday(),
        starts=datetime.time(0, 0),
        ends=datetime.time(23, 59),
    )
    day = local.date()

    (calendar,) = scheduling_selectors.calendars(
        clinicians=[therapist], dates=[day], with_clients=True
    )
    (entry,) = calendar.days
    assert [(b.starts_at, b.label) for b in entry.busy] == [(meeting.starts_at, "Group, room 2")]
    assert not [
        s for s in entry.slots if s.starts_at < meeting.ends_at and s.ends_at > meeting.starts_at
    ]
    page = client_for(therapist).get(
        reverse("scheduling:day", args=[therapist.pk]), {"date": formats.iso_date(day)}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="{reverse("groups:meeting", args=[meeting.pk])}">Group, room 2</a>' in html
    assert "Quinn" not in html


def test_the_feed_carries_the_meeting_under_its_label(client_for, therapist: User) -> None:
    group = make_group(therapist, weeks=2)
    add_member(group, therapist, preferred_name="Quinn Member")
    web = client_for(therapist)
    made = web.post(reverse("scheduling:feed"), {"action": "create"})
    token = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", made.context["feed_url"]).group(1)

    body = web.get(f"/feeds/{token}.ics").content.decode()

    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert sorted((str(e["SUMMARY"]), e["DTSTART"].dt) for e in events) == sorted(
        ("Group, room 2", m.starts_at) for m in group.meetings.all()
    )
    assert "Quinn" not in body
    assert first_meeting(group).pk  # the series exists as rows
