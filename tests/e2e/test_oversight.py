"""A clinic admin filters the audit trail for one client and exports it, in a real browser."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.e2e.helpers import sign_in
from tests.factories import TEST_PASSWORD, ClinicAdminFactory, TherapistFactory, TOTPDeviceFactory
from tests.oversight.factories import CLINICAL_MARKERS, audit_event, clinical_change, utc


@pytest.mark.e2e
def test_clinic_admin_filters_the_trail_for_one_client_and_exports_it(
    page: Page, tmp_path: Path
) -> None:
    tess = TherapistFactory(full_name="Tess Therapist", email="tess@clinic.test")
    chart = ClientFactory(therapist=tess, chart_number="C-7K2M9Q")
    other = ClientFactory(therapist=tess, chart_number="C-4HJ8RT")
    audit_event(at=utc(2026, 1, 14, 15), actor=tess, chart_number=chart.chart_number)
    clinical_change(at=utc(2026, 1, 15, 15, 30), actor=tess, chart_number=chart.chart_number)
    audit_event(at=utc(2026, 1, 15, 16), actor=tess, chart_number=other.chart_number)

    admin = ClinicAdminFactory(full_name="Ada Admin", password=TEST_PASSWORD)
    sign_in(page, email=admin.email, password=TEST_PASSWORD, device=TOTPDeviceFactory(user=admin))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")

    page.goto("/oversight/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    page.get_by_label("Client chart number").fill("c-7k2m9q")
    page.get_by_role("button", name="Apply filters").click()

    # Filters are kept server-side: the chart number is not in the address.
    expect(page).to_have_url(re.compile(r"/oversight/audit/$"))
    expect(page.get_by_label("Client chart number")).to_have_value("C-7K2M9Q")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("15 Jan 2026, 10:30:00")
    expect(rows.nth(0)).to_contain_text("Intake saved")
    expect(rows.nth(0)).to_contain_text("client_goals, reason_for_coming")
    expect(rows.nth(1)).to_contain_text("Viewed record: overview")
    for marker in CLINICAL_MARKERS:
        expect(page.get_by_text(marker)).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export these events (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"audit-trail-\d{8}-\d{4}\.csv", download.suggested_filename)
    saved = tmp_path / "export.csv"
    download.save_as(saved)
    assert list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8")))) == [
        [
            "time",
            "actor email",
            "category",
            "action",
            "chart number",
            "object type",
            "object id",
            "changed field names",
        ],
        [
            "2026-01-15T10:30:00-05:00",
            "tess@clinic.test",
            "change",
            "intake.save",
            "C-7K2M9Q",
            "clients.intake",
            "7",
            "client_goals, reason_for_coming",
        ],
        [
            "2026-01-14T10:00:00-05:00",
            "tess@clinic.test",
            "access",
            "client.view.overview",
            "C-7K2M9Q",
            "",
            "",
            "",
        ],
    ]
    export = AuditEvent.objects.get(action="audit.export")
    assert (export.actor_id, export.chart_number, export.changes) == (
        admin.pk,
        "C-7K2M9Q",
        {"filter.chart_number": [None, "C-7K2M9Q"]},
    )

    # The chart number leads to the client's printable access report, which shows the export.
    page.get_by_role("link", name="C-7K2M9Q").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access report for chart C-7K2M9Q")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    events = page.get_by_role("region", name="Every event, newest first").locator("tbody tr")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text("Audit trail exported")
