"""Booking from a free slot through a real browser: a therapist with working hours opens their
week, moves to next week by keyboard, clicks a free slot, finds a client by name (sent by POST:
no name in any address), picks a room and a pasted video link, and sees the appointment on the
day; the slot is gone. At 820 px wide (a tablet), each page passes axe-core."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hrp import formats
from hrp.accounts.models import User
from scheduling.models import WorkingHours
from sessions.models import Appointment, Room
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import sign_in_as, status_messages
from tests.e2e.test_appointments import active_client
from tests.factories import TEST_PASSWORD, TherapistFactory


@pytest.mark.e2e
def test_therapist_books_a_client_from_a_free_slot(page: Page) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    therapist: User = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = active_client(therapist)
    room = Room.objects.create(name="Garden room")
    today = timezone.localdate()
    next_monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=1)
    WorkingHours.objects.create(
        clinician=therapist,
        weekday=next_monday.weekday(),
        starts=datetime.time(9),
        ends=datetime.time(11),
    )
    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(request.url))
    sign_in_as(page, therapist)

    # At tablet width the menu is behind its toggle.
    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Calendar"
    ).click()
    expect(page).to_have_url(re.compile(rf"/schedule/clinicians/{therapist.pk}/week/$"))
    assert axe_violations(page) == []
    next_week = page.get_by_role("navigation", name="Move through the calendar").get_by_role(
        "link", name="Next week"
    )
    next_week.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"\?date={next_monday.isoformat()}$"))
    monday = page.get_by_role("region", name=re.compile(rf"^{formats.weekday_date(next_monday)}"))
    slots = monday.get_by_role("link", name=re.compile(r"^Book "))
    expect(slots).to_have_count(2)
    slots.first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Book {formats.weekday_date(next_monday)}, 09:00–10:00"
    )
    assert axe_violations(page) == []
    page.get_by_label("Client's name or chart number").fill("noo")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("radio", name=re.compile(rf"^Noor · {client.chart_number}$")).check()
    page.get_by_role("button", name="Choose").click()
    expect(page.get_by_text(f"For Noor ({client.chart_number}).")).to_be_visible()
    page.get_by_role("combobox", name="How").select_option("video")
    page.get_by_role("combobox", name="Room").select_option(label="Garden room")
    page.get_by_role("radio", name="Paste a link").check()
    page.get_by_label("Link to paste").fill("https://meet.example.org/tess-1")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Book", exact=True).click()

    expect(status_messages(page)).to_have_text("Appointment booked.")
    expect(page).to_have_url(
        re.compile(rf"/schedule/clinicians/{therapist.pk}/day/\?date={next_monday.isoformat()}$")
    )
    booked = Appointment.objects.get(client=client)
    assert (booked.room, booked.video_link, booked.modality) == (
        room,
        "https://meet.example.org/tess-1",
        "video",
    )
    item = page.get_by_role("listitem").filter(has_text="09:00–10:00")
    expect(item).to_contain_text("Noor")
    expect(item).to_contain_text("Video · Scheduled · Garden room")
    expect(item.get_by_role("link", name="Open the video link")).to_have_attribute(
        "href", "https://meet.example.org/tess-1"
    )
    expect(page.get_by_role("link", name=re.compile(r"^Book "))).to_have_count(1)
    assert axe_violations(page) == []
    # The name typed and the client chosen travelled in POST bodies only.
    assert [url for url in addresses if "noo" in url.lower() or "Noor" in url] == []
