"""CSV export of the filtered trail: exact rows, no clinical content, and the export itself
audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.oversight.factories import CLINICAL_MARKERS, audit_event, clinical_change, utc

ClientFor = Callable[[User | None], HttpClient]
TRAIL = reverse("oversight:audit_trail")
EXPORT = reverse("oversight:audit_export")
HEADER = [
    "time",
    "actor email",
    "category",
    "action",
    "chart number",
    "object type",
    "object id",
    "changed field names",
]


def export(http: HttpClient) -> tuple[Any, list[list[str]]]:
    response = http.post(EXPORT)
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, list(csv.reader(io.StringIO(body)))


@pytest.fixture
def admin_http(client_for: ClientFor, clinic_admin: User) -> HttpClient:
    return client_for(clinic_admin)


def test_export_of_one_clients_events_is_exact_and_audited(
    admin_http: HttpClient, clinic_admin: User, therapist: User, other_therapist: User
) -> None:
    clinical_change(at=utc(2026, 1, 15, 15, 30), actor=therapist, chart_number="C-AAAAAA")
    audit_event(at=utc(2026, 1, 16, 4, 59), actor=other_therapist, chart_number="C-AAAAAA")
    audit_event(at=utc(2026, 1, 16, 5), actor=therapist, chart_number="C-BBBBBB")
    admin_http.post(
        TRAIL,
        {"actor": "", "chart_number": "C-AAAAAA", "action": "", "date_from": "", "date_to": ""},
    )
    before = AuditEvent.objects.count()

    response, rows = export(admin_http)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    assert response["Cache-Control"] == "no-store, private"
    # Times in the clinic's time zone (New York, UTC-5 in January).
    assert rows == [
        HEADER,
        [
            "2026-01-15T23:59:00-05:00",
            other_therapist.email,
            "access",
            "client.view.overview",
            "C-AAAAAA",
            "",
            "",
            "",
        ],
        [
            "2026-01-15T10:30:00-05:00",
            therapist.email,
            "change",
            "intake.save",
            "C-AAAAAA",
            "clients.intake",
            "7",
            "client_goals, reason_for_coming",
        ],
    ]
    assert AuditEvent.objects.count() == before + 1
    recorded = AuditEvent.objects.latest("id")
    assert (
        recorded.action,
        recorded.category,
        recorded.actor_id,
        recorded.chart_number,
        recorded.changes,
        recorded.detail,
    ) == (
        "audit.export",
        "access",
        clinic_admin.pk,
        "C-AAAAAA",
        {"filter.chart_number": [None, "C-AAAAAA"]},
        "",
    )


def test_export_without_filters_has_every_event_but_its_own_record(
    admin_http: HttpClient, clinic_admin: User, therapist: User
) -> None:
    audit_event(at=utc(2026, 1, 15), actor=therapist, chart_number="C-AAAAAA")
    expected_ids = list(AuditEvent.objects.order_by("-at", "-id").values_list("id", flat=True))

    _response, rows = export(admin_http)

    # The admin's own sign-in, then the seeded view; not the export being made.
    assert [r[3] for r in rows[1:]] == ["auth.login", "client.view.overview"]
    assert len(rows) - 1 == len(expected_ids)
    export_event = AuditEvent.objects.get(action="audit.export")
    assert (export_event.chart_number, export_event.changes) == ("", {})


def test_export_never_contains_clinical_values_or_detail(
    admin_http: HttpClient, therapist: User
) -> None:
    clinical_change(at=utc(2026, 1, 15), actor=therapist, chart_number="C-AAAAAA")

    _response, rows = export(admin_http)

    text = "\n".join(",".join(r) for r in rows)
    for marker in [*CLINICAL_MARKERS, "go out again"]:
        assert marker not in text
    assert "client_goals, reason_for_coming" in text


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(
    admin_http: HttpClient,
) -> None:
    audit_event(at=utc(2026, 1, 15), object_type="=HYPERLINK(1)", object_id="+1")

    _response, rows = export(admin_http)

    seeded = next(r for r in rows if r[3] == "client.view.overview")
    assert (seeded[5], seeded[6]) == ("'=HYPERLINK(1)", "'+1")


def test_export_by_someone_else_is_refused_and_not_recorded(
    client_for: ClientFor, supervisor: User
) -> None:
    http = client_for(supervisor)
    before = AuditEvent.objects.count()
    assert http.post(EXPORT).status_code == 404
    assert AuditEvent.objects.count() == before
