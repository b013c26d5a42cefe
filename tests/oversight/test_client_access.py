"""The per-client access report: who viewed or changed the record, every disclosure, no
clinical content, printable, a fixed number of queries."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable

from django.test import Client as HttpClient
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from disclosures.models import Disclosure
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.factories import TherapistFactory
from tests.oversight.factories import CLINICAL_MARKERS, audit_event, clinical_change, utc

ClientFor = Callable[[User | None], HttpClient]


def report_url(pk: int) -> str:
    return reverse("oversight:client_access", args=[pk])


def disclose(chart: object, by: User, *, on: datetime.datetime) -> Disclosure:
    consent = ConsentFactory(client=chart, recipient="County Probation, Officer Lee")
    return Disclosure.objects.create(
        client=chart,
        consent=consent,
        recipient="County Probation, Officer Lee",
        what=Disclosure.What.ATTENDANCE_REPORT,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        scheduled=4,
        attended=3,
        cancelled_by_client=0,
        cancelled_by_clinic=0,
        missed=1,
        not_recorded=0,
        moved=0,
        disclosed_by=by,
        disclosed_at=on,
        sha256=hashlib.sha256(b"report").hexdigest(),
    )


def test_report_lists_people_events_and_disclosures_exactly(
    client_for: ClientFor, clinic_admin: User, therapist: User, supervisor: User
) -> None:
    chart = ClientFactory(therapist=therapist, legal_name="Robin Example", preferred_name="Rob")
    other = ClientFactory(therapist=therapist)
    view = audit_event(at=utc(2026, 1, 10), actor=therapist, chart_number=chart.chart_number)
    change = clinical_change(at=utc(2026, 1, 11), actor=therapist, chart_number=chart.chart_number)
    sup_view = audit_event(at=utc(2026, 1, 12), actor=supervisor, chart_number=chart.chart_number)
    audit_event(at=utc(2026, 1, 13), actor=therapist, chart_number=other.chart_number)
    disclosure = disclose(chart, therapist, on=utc(2026, 2, 1, 15))
    http = client_for(clinic_admin)

    response = http.get(report_url(chart.pk))

    assert response.status_code == 200
    report = response.context["report"]
    assert [e["id"] for e in report.events] == [sup_view.pk, change.pk, view.pk]
    assert [
        (p.name, p.views, p.changes, p.other, p.first_at, p.last_at) for p in report.people
    ] == [
        ("Sue Supervisor", 1, 0, 0, utc(2026, 1, 12), utc(2026, 1, 12)),
        ("Tess Therapist", 1, 1, 0, utc(2026, 1, 10), utc(2026, 1, 11)),
    ]
    assert report.disclosures == [
        {
            "id": disclosure.pk,
            "disclosed_at": utc(2026, 2, 1, 15),
            "what": "attendance_report",
            "what_label": "Attendance report",
            "recipient": "County Probation, Officer Lee",
            "period_start": datetime.date(2026, 1, 1),
            "period_end": datetime.date(2026, 1, 31),
            "consent_id": disclosure.consent_id,
            "disclosed_by__full_name": "Tess Therapist",
        }
    ]
    assert "Access report for chart " + chart.chart_number in response.text
    assert "County Probation, Officer Lee" in response.text
    # Printable: a print stylesheet and a script-driven button, no inline style or script.
    assert 'href="/static/oversight/print.css" media="print"' in response.text
    assert "style=" not in response.text
    assert "onclick" not in response.text


def test_report_never_shows_clinical_values_detail_or_attendance_figures(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    chart = ClientFactory(therapist=therapist)
    clinical_change(at=utc(2026, 1, 11), actor=therapist, chart_number=chart.chart_number)
    disclose(chart, therapist, on=utc(2026, 2, 1))

    response = client_for(clinic_admin).get(report_url(chart.pk))

    for marker in [*CLINICAL_MARKERS, "go out again", chart.intake.reason_for_coming]:
        assert marker not in response.text
    assert "client_goals, reason_for_coming" in response.text
    assert "attended" not in response.context["report"].disclosures[0]


def test_opening_the_report_is_audited_after_it_is_read(
    client_for: ClientFor, clinic_admin: User, therapist: User
) -> None:
    chart = ClientFactory(therapist=therapist)
    http = client_for(clinic_admin)

    first = http.get(report_url(chart.pk))
    second = http.get(report_url(chart.pk))

    assert first.context["report"].events == []
    # The second report shows the first opening, not itself.
    assert [e["action"] for e in second.context["report"].events] == ["oversight.access_report"]
    recorded = AuditEvent.objects.filter(action="oversight.access_report").order_by("id")
    assert [(e.actor_id, e.chart_number, e.category) for e in recorded] == [
        (clinic_admin.pk, chart.chart_number, "access")
    ] * 2


# session, user, authenticator, client, events, per-person summary, disclosures, the audit
# insert of this opening; who may open the record now, from hrp.access.holders (covers,
# supervisors, emergency grants).
REPORT_QUERIES = 11


def test_report_query_count_does_not_grow_with_history(
    client_for: ClientFor,
    clinic_admin: User,
    therapist: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    chart = ClientFactory(therapist=therapist)
    audit_event(at=utc(2026, 1, 1), actor=therapist, chart_number=chart.chart_number)
    http = client_for(clinic_admin)
    http.get(report_url(chart.pk))  # settles the session's last-seen stamp
    with django_assert_num_queries(REPORT_QUERIES):
        http.get(report_url(chart.pk))

    people = [TherapistFactory() for _n in range(8)]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=utc(2026, 1, 2) + datetime.timedelta(minutes=n),
            actor=people[n % 8],
            category="access",
            action="client.view.overview",
            chart_number=chart.chart_number,
        )
        for n in range(200)
    )
    for n in range(3):
        disclose(chart, therapist, on=utc(2026, 2, 1 + n))
    http.get(report_url(chart.pk))
    with django_assert_num_queries(REPORT_QUERIES):
        response = http.get(report_url(chart.pk))
    # 201 seeded events and the three earlier openings of this report.
    assert len(response.context["report"].events) == 204
    assert len(response.context["report"].disclosures) == 3
