"""The private calendar feed: a random token stored only as its hash, revocable and
regenerable; wrong, revoked and replaced tokens answer 404; events carry "Client session" and
the time, never a client's name or chart number; the body parses as RFC 5545 (icalendar)."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable

import icalendar
import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from hrp.accounts.models import User
from scheduling import ical
from scheduling.models import CalendarFeed
from sessions.models import Room
from tests.clients.factories import ClientFactory
from tests.sessions.factories import AppointmentFactory

ClientFor = Callable[[User | None], HttpClient]


def _make_feed(web: HttpClient) -> str:
    response = web.post(reverse("scheduling:feed"), {"action": "create"})
    assert response.status_code == 200
    match = re.fullmatch(
        r"http://testserver/feeds/([A-Za-z0-9_-]{43})\.ics", response.context["feed_url"]
    )
    assert match is not None
    return match.group(1)


def test_the_token_is_stored_only_as_its_hash(client_for: ClientFor, therapist: User) -> None:
    token = _make_feed(client_for(therapist))

    feed = CalendarFeed.objects.get()
    assert feed.clinician == therapist
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values()))
    # Shown once: the page opened again does not show it.
    again = client_for(therapist).get(reverse("scheduling:feed"))
    assert again.context["feed_url"] == ""
    assert again.context["has_feed"] is True
    assert token not in again.content.decode()


def test_feed_carries_times_only_and_parses(
    client_for: ClientFor, therapist: User, other_therapist: User
) -> None:
    record = ClientFactory(
        therapist=therapist, preferred_name="Robin; Lee, Jr", chart_number="C-777"
    )
    room = Room.objects.create(name="Blue, upstairs; east")
    starts = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    mine = AppointmentFactory(
        client=record,
        starts_at=starts,
        room=room,
        location="Robin's kitchen",
        video_link="https://meet.example.org/xyz",
    )
    AppointmentFactory(
        client=record, starts_at=starts + datetime.timedelta(days=1), status="cancelled_client"
    )
    AppointmentFactory(client=ClientFactory(therapist=other_therapist), starts_at=starts)
    token = _make_feed(client_for(therapist))

    response = HttpClient().get(reverse("scheduling:ical", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    for private in ("Robin", "Lee", "C-777", record.legal_name, "kitchen", "meet.example.org"):
        assert private not in body
    parsed = icalendar.Calendar.from_ical(body)
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Client session"
    assert str(event["LOCATION"]) == "Blue, upstairs; east"
    assert event["DTSTART"].dt == starts.astimezone(datetime.UTC)
    assert event["DTEND"].dt == mine.ends_at.astimezone(datetime.UTC)
    assert str(event["UID"]) == f"appointment-{mine.pk}@testserver"
    assert event["DTSTAMP"].dt.tzinfo is not None


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "a" * 500])
def test_a_wrong_token_is_404(client_for: ClientFor, therapist: User, token: str) -> None:
    _make_feed(client_for(therapist))
    assert HttpClient().get(reverse("scheduling:ical", args=[token])).status_code == 404


def test_revoked_and_replaced_tokens_stop_at_once(client_for: ClientFor, therapist: User) -> None:
    web = client_for(therapist)
    first = _make_feed(web)
    second = _make_feed(web)
    assert first != second
    assert CalendarFeed.objects.count() == 1
    anonymous = HttpClient()
    assert anonymous.get(reverse("scheduling:ical", args=[first])).status_code == 404
    assert anonymous.get(reverse("scheduling:ical", args=[second])).status_code == 200

    web.post(reverse("scheduling:feed"), {"action": "revoke"})

    assert CalendarFeed.objects.count() == 0
    assert anonymous.get(reverse("scheduling:ical", args=[second])).status_code == 404


def test_a_deactivated_clinicians_feed_stops(client_for: ClientFor, therapist: User) -> None:
    token = _make_feed(client_for(therapist))
    User.objects.filter(pk=therapist.pk).update(is_active=False, deactivated_at=timezone.now())
    assert HttpClient().get(reverse("scheduling:ical", args=[token])).status_code == 404


def test_folding_and_escaping_follow_rfc_5545() -> None:
    assert ical.escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    line = "SUMMARY:" + "é" * 60  # 128 octets: folded, never inside a two-octet character
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
