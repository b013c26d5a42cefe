"""Coding a group meeting through a real browser: the facilitator opens the meeting, follows
"Code the meeting for billing", keeps 90853 for the group, gives one member their own minutes
and codes every attending member at once; each member's chart then shows their own coding.
axe-core on the coding page, at 1366 and 820 pixels wide."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from billing import services
from billing.models import Encounter
from groups import services as group_services
from groups.models import Attendance
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import axe_violations
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.groups.factories import add_member, first_meeting, make_group
from tests.sessions.factories import days_from_today


@pytest.mark.e2e
def test_code_a_group_meetings_attended_members(page: Page, browser_errors: list[str]) -> None:
    lead = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    members = []
    for preferred, code in (("Ari", "F10.10"), ("Bo", "F11.20"), ("Cy", "F14.10")):
        client = ClientFactory(therapist=lead, preferred_name=preferred)
        services.diagnosis_add(actor=lead, client=client, code=code, onset_on=days_from_today(-60))
        members.append(client)
    group = make_group(lead)
    memberships = [add_member(group, lead, client) for client in members]
    meeting = first_meeting(group)
    # Ari and Bo came; Cy did not: only those who attended are offered for coding.
    group_services.attendance_record(
        actor=lead,
        meeting=meeting,
        statuses={
            memberships[0].pk: "attended",
            memberships[1].pk: "attended",
            memberships[2].pk: "no_show",
        },
    )
    ari, bo = (Attendance.objects.get(meeting=meeting, client=c) for c in members[:2])

    sign_in_as(page, lead)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/groups/meetings/{meeting.pk}/")
    page.get_by_role("link", name="Code the meeting for billing").click()
    expect(page).to_have_url(re.compile(rf"/groups/meetings/{meeting.pk}/billing/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Code the meeting for billing")
    assert axe_violations(page) == []
    expect(page.locator("#id_code")).to_have_value("90853")
    expect(page.locator("#id_minutes")).to_have_value("90")
    rows = page.locator("tr.member-coding")
    expect(rows).to_have_count(2)
    expect(page.locator("#member-coding")).not_to_contain_text("Cy")
    # Each member's own diagnosis is proposed; Bo arrived late: 60 minutes.
    expect(page.locator(f"#id_member-{ari.pk}-diagnosis_codes_0")).to_be_checked()
    page.locator(f"#id_member-{bo.pk}-minutes").fill("60")
    page.get_by_role("button", name="Code the chosen members").click()

    expect(page.locator(".messages")).to_contain_text("2 members' attendance coded.")
    expect(rows.nth(0).locator(".coded")).to_have_text("90853 × 1 · F10.10")
    expect(rows.nth(1).locator(".coded")).to_have_text("90853 × 1 · F11.20")
    coded = {
        e.client.preferred_name: (e.code, e.units, e.minutes, e.diagnosis_codes, e.rendering_id)
        for e in Encounter.objects.select_related("client")
    }
    assert coded == {
        "Ari": ("90853", 1, 90, ["F10.10"], lead.pk),
        "Bo": ("90853", 1, 60, ["F11.20"], lead.pk),
    }

    # Each member's chart shows their own group coding.
    page.goto(f"/clients/{members[1].pk}/billing/")
    expect(page.locator("#encounters .group-encounter-row")).to_contain_text(
        "90853 × 1 · 11 · F11.20"
    )

    page.goto(f"/groups/meetings/{meeting.pk}/billing/")
    page.set_viewport_size({"width": 820, "height": 900})
    assert axe_violations(page) == []
    assert browser_errors == []
