"""Layout that axe cannot judge: the chart's tabs keep to one row on a 1366 px laptop and on
tablets (768 to 1024 px), their "More" menu works with the keyboard alone, dates keep to one
line in tables, and a printed chart page shows the record without navigation."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sessions.models import Appointment
from tests.clients.factories import ClientFactory
from tests.e2e.a11y import LAPTOP, TABLET, axe_violations
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory
from tests.sessions.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    at,
    days_from_today,
)

pytestmark = pytest.mark.e2e

WIDTHS = [1366, 1024, 820, 768]


def tab_rows(page: Page) -> tuple[int, bool]:
    """How many rows the tab row's items sit on, and whether it overflows its box."""
    return page.evaluate(
        """() => {
            const row = document.querySelector('nav.chart-tabs > ul');
            const tops = new Set([...row.children].map((li) => li.getBoundingClientRect().top));
            return [tops.size, row.scrollWidth > row.clientWidth];
        }"""
    )


def test_the_chart_tabs_keep_to_one_row_on_laptops_and_tablets(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess)
    sign_in_as(page, tess)
    # The widest row: the primary tabs and "More" named after the longest other tab.
    page.goto(f"/clients/{client.pk}/access-log/")
    expect(page).to_have_title(re.compile(r"^Who accessed this record · "))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        assert tab_rows(page) == [1, False], width


def test_more_opens_and_follows_a_tab_with_the_keyboard_alone(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess)
    sign_in_as(page, tess)
    page.goto(f"/clients/{client.pk}/")
    tabs = page.get_by_role("navigation", name="Chart sections")
    timeline = tabs.get_by_role("link", name="Timeline")
    expect(timeline).to_be_hidden()

    # Tab from the last primary tab to "More", open it with Enter, Tab to its first link.
    tabs.get_by_role("link", name="Sessions", exact=True).focus()
    page.keyboard.press("Tab")
    expect(tabs.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    expect(timeline).to_be_visible()
    assert axe_violations(page) == []
    page.keyboard.press("Tab")
    expect(tabs.get_by_role("link", name="Intake")).to_be_focused()
    # Space closes it again (a <details> summary is a button).
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(timeline).to_be_hidden()
    page.keyboard.press("Space")
    for _ in range(5):  # Intake, Medical evaluation, Techniques, Contacts, Supplies ...
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(rf"^{re.escape(focused)} · "))
    # "More" now carries the name of the section being read, so it stays in sight.
    expect(tabs.locator("summary")).to_have_text(
        f"{focused} (current section), more chart sections"
    )
    expect(tabs.locator("summary")).to_be_visible()
    expect(tabs.locator('a[aria-current="page"]')).to_have_text(focused)


def test_dates_in_tables_keep_to_one_line(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess)
    sign_in_as(page, tess)
    page.goto(f"/clients/{client.pk}/")  # an access to list on the next page
    page.goto(f"/clients/{client.pk}/access-log/")
    page.set_viewport_size(TABLET)
    when = page.locator("table tbody tr").first.locator("td").first
    expect(when).to_contain_text(str(timezone.localdate().year))
    assert when.evaluate("(td) => getComputedStyle(td).whiteSpace") == "nowrap"
    line = when.evaluate("(td) => parseFloat(getComputedStyle(td).lineHeight)")
    padding = when.evaluate(
        "(td) => parseFloat(getComputedStyle(td).paddingTop)"
        " + parseFloat(getComputedStyle(td).paddingBottom)"
    )
    assert when.evaluate("(td) => td.clientHeight") <= line + padding + 1


def test_a_printed_chart_page_shows_the_record_without_navigation(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess, preferred_name="Sam")
    sign_in_as(page, tess)
    page.set_viewport_size(LAPTOP)
    page.goto(f"/clients/{client.pk}/")
    header = page.locator(".print-header")
    expect(header).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Chart sections")).to_be_hidden()
    expect(page.get_by_role("link", name="Edit details")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(header).to_be_visible()
    expect(header).to_contain_text(f"{client.display_name} · {client.chart_number} · HRP Clinic")
    expect(header).to_contain_text("Printed ")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(client.display_name))


def test_the_sessions_tab_reads_one_line_per_appointment(page: Page) -> None:
    tess = TherapistFactory(password=TEST_PASSWORD)
    client = ClientFactory(therapist=tess)
    AttendedAppointmentFactory(client=client)  # "Write note" and "Record outcome"
    AppointmentFactory(
        client=client,
        starts_at=at(days_from_today(-9), "10:00"),
        status=Appointment.Status.NO_SHOW,
    )
    sign_in_as(page, tess)
    page.goto(f"/clients/{client.pk}/sessions/")
    rows = page.get_by_role("region", name="History").locator("tbody tr")
    expect(rows).to_have_count(2)
    for size in (LAPTOP, TABLET):
        page.set_viewport_size(size)
        # No cell's text breaks over lines: every visible piece of text in a cell starts on
        # the same line (within less than a line's height).
        heights = rows.evaluate_all(
            """(trs) => trs.map((tr) => [...tr.cells].map((td) => {
                const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
                const tops = [];
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    const hidden = node.parentElement.closest('.visually-hidden');
                    if (!node.textContent.trim() || hidden) continue;
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    for (const rect of range.getClientRects()) tops.push(rect.top);
                }
                const line = parseFloat(getComputedStyle(td).lineHeight);
                return tops.length > 0 && Math.max(...tops) - Math.min(...tops) < line;
            }))"""
        )
        assert heights == [[True] * 5, [True] * 5], size
    assert axe_violations(page) == []
