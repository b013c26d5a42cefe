"""The chart's Overview and Timeline through a real browser: on a 1366px laptop the Overview's
panels sit three to a row, on a tablet two, with no sideways scrolling; the Timeline's kind
filter works without JavaScript (a form), and "Older" reaches the second page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.clients.chart_records import record_with_events
from tests.e2e.helpers import sign_in_as
from tests.factories import TEST_PASSWORD, TherapistFactory


def _columns(page: Page) -> int:
    """How many panels share a row of the Overview's grid."""
    tops = page.locator("section[data-panel]").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    # The first panel is wide (two columns on a laptop, the whole row on a tablet): count the
    # row of the third.
    return tops.count(tops[2])


@pytest.mark.e2e
@pytest.mark.parametrize(("width", "height", "columns"), [(1366, 768, 3), (820, 1180, 2)])
def test_the_overview_fits_a_laptop_and_a_tablet(
    page: Page, width: int, height: int, columns: int
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    record = record_with_events(therapist, 6, discharged=False)
    page.set_viewport_size({"width": width, "height": height})
    sign_in_as(page, therapist)

    page.goto(f"/clients/{record.pk}/")

    expect(page.get_by_role("region", name="Plan per substance")).to_contain_text("Alcohol")
    expect(page.get_by_role("region", name="Latest measures")).to_contain_text("PHQ-9")
    assert _columns(page) == columns
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False


@pytest.mark.e2e
def test_the_timeline_filters_by_kind_and_pages_without_javascript(
    browser, live_server, browser_errors
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    record = record_with_events(therapist, 55, discharged=False)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="en-US"
    )
    page = context.new_page()
    sign_in_as(page, therapist)

    page.goto(f"/clients/{record.pk}/timeline/")
    page.get_by_label("Kind of event").select_option(label="Measures")
    page.get_by_role("button", name="Filter").click()

    entries = page.locator("li[data-kind]")
    expect(entries).to_have_count(50)
    assert set(entries.evaluate_all("els => els.map(e => e.dataset.kind)")) == {"measures"}
    page.get_by_role("link", name="Older").click()
    expect(entries).to_have_count(5)
    expect(page.get_by_role("navigation", name="Timeline pages")).to_have_text("Newer Page 2")
    context.close()
