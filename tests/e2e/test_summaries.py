"""Progress summaries through a real browser: a therapist asks for a summary from the chart's
Summaries tab, watches the progress bar (htmx polling) until the summary is ready, and
downloads the PDF.

The worker's part is played by the test itself: publishing is held back (as if the worker had
not started yet) so the page shows a queued summary and polls; the test then prepares it, as a
worker would, and the polling page moves to 100 and offers the download.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from summaries import services
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import open_chart_tab, sign_in
from tests.factories import TEST_PASSWORD, TherapistFactory, TOTPDeviceFactory
from tests.summaries.conftest import seed


@pytest.mark.e2e
def test_therapist_requests_a_summary_watches_it_finish_and_downloads_the_pdf(
    page: Page, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    therapist = TherapistFactory(full_name="Tess Therapist", password=TEST_PASSWORD)
    client = ClientFactory(therapist=therapist, preferred_name="Noor", pronouns="she/her")
    seed(client)
    held: list[int] = []
    monkeypatch.setattr(services, "_publish", lambda summary_id: held.append(summary_id))

    sign_in(
        page,
        email=therapist.email,
        password=TEST_PASSWORD,
        device=TOTPDeviceFactory(user=therapist),
    )
    page.goto(f"/clients/{client.pk}/")
    open_chart_tab(page, "Summaries")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/summaries/$"))
    expect(page.get_by_role("cell", name="No summaries yet.")).to_be_visible()

    # The form offers the last 90 days; ask for the last 30 instead.
    main = page.get_by_role("main")
    today = timezone.localdate()
    expect(main.get_by_label("From")).to_have_value(
        (today - datetime.timedelta(days=89)).isoformat()
    )
    expect(main.get_by_label("To")).to_have_value(today.isoformat())
    start = today - datetime.timedelta(days=29)
    main.get_by_label("From").fill(start.isoformat())
    page.get_by_role("button", name="Prepare summary").click()

    expect(page.locator(".messages [role=status]")).to_have_text(
        "Summary requested. It is being prepared below."
    )
    bar = page.get_by_role("progressbar", name="Preparing the summary")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_text("Waiting to start · 0%")).to_be_visible()
    summary = SummaryRequest.objects.get()
    assert held == [summary.pk]
    assert (summary.period_start, summary.period_end) == (start, today)

    # A worker prepares it; the polling page follows to 100 and stops.
    assert services.summary_build(summary_id=summary.pk) == "done"
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=5_000)
    download_link = page.get_by_role("link", name=re.compile("^Download PDF"))
    expect(download_link).to_be_visible()
    expect(page.locator(".summary-status[hx-trigger]")).to_have_count(0)

    # The download asks who the copy is for (issue 16): here, the clinic's own use.
    download_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download the progress summary")
    page.get_by_label("The clinic's own use", exact=False).check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == (
        f"progress-summary-{client.chart_number}-{start:%Y-%m-%d}-to-{today:%Y-%m-%d}.pdf"
    )
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")

    # The page view shows the same summary, charts inline.
    page.go_back()
    page.get_by_role("link", name=re.compile("^View")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Progress summary · {client.chart_number}"
    )
    expect(page.locator("svg.summary-chart").first).to_be_visible()
