"""A group meeting through a real browser: the facilitator opens Groups, the group and the
meeting that started an hour ago, records who attended, writes the group note (a shared part
and a private part for the member who came), signs it with their password, and the member's
chart shows the shared part and their own part only. axe-core finds nothing on each page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from groups.models import GroupNote
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import sign_in_as, status_messages
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.groups.factories import add_member, make_group

SHARED = "We practised slow breathing and talked about spacing doses."
OWN = "Plans to carry naloxone this weekend."


@pytest.mark.e2e
def test_facilitator_runs_a_meeting_with_attendance_and_a_group_note(page: Page) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    group = make_group(therapist, name="Tuesday group")
    ayo = ClientFactory(therapist=therapist, preferred_name="Ayo")
    birgit = ClientFactory(therapist=therapist, preferred_name="Birgit")
    add_member(group, therapist, ayo)
    add_member(group, therapist, birgit)

    sign_in_as(page, therapist)
    page.get_by_role("link", name="Groups", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Groups")
    assert axe_violations(page) == []
    page.get_by_role("link", name="New group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New group")
    assert axe_violations(page) == []
    page.go_back()
    page.get_by_role("link", name="Tuesday group").click()
    expect(page.locator(".group-members li")).to_have_count(2)
    assert axe_violations(page) == []
    page.locator("table.group-meetings a").first.click()
    expect(page).to_have_url(re.compile(r"/groups/meetings/\d+/$"))

    page.get_by_label("Ayo").select_option("attended")
    page.get_by_label("Birgit").select_option("no_show")
    page.get_by_role("button", name="Save attendance").click()
    expect(status_messages(page)).to_have_text("Attendance recorded.")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Start the group note").click()
    page.get_by_label("Shared part: what the group did, themes").fill(SHARED)
    page.get_by_label("Private part for Ayo").fill(OWN)
    # Birgit did not come: no private part for her.
    expect(page.get_by_label("Private part for Birgit")).to_have_count(0)
    page.get_by_role("button", name="Save draft").click()
    expect(status_messages(page)).to_have_text("Draft saved.")
    assert axe_violations(page) == []

    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(status_messages(page)).to_have_text("Signed. The note is now locked.")
    expect(page.locator(".note-status")).to_contain_text("Signed")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    note = GroupNote.objects.get()
    assert (note.status, note.shared) == ("signed", SHARED)
    assert note.hash_verified() is True
    assert note.signed_at <= timezone.now()

    page.goto(page.url.split("/groups/")[0] + f"/clients/{ayo.pk}/groups/")
    expect(page.locator(".group-shared")).to_have_text(SHARED)
    expect(page.locator(".group-own-part")).to_have_text(OWN)
    expect(page.locator("main")).not_to_contain_text("Birgit")
    assert axe_violations(page) == []
