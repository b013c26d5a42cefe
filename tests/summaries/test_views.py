"""The Summaries tab, the status fragment, the summary page and PDF, retry and the caseload
summary: access for every role, validation, audit, and fixed query counts."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients import extensions
from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from hrp.bounds import show_date
from summaries import services
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.conftest import STAFF_ROLES
from tests.factories import SupervisionFactory, TherapistFactory
from tests.sessions.factories import days_from_today
from tests.summaries.conftest import Seeded, broker_down

pytestmark = pytest.mark.django_db

SIGN_IN = "/account/sign-in/"
# A client's summary downloads once the question "who is this copy for?" is answered (issue 16;
# tests/summaries/test_disclosure.py covers the other answer).
OWN_USE = {"purpose": "own_use"}
# Who may read a client's summaries: the therapist and their supervisor.
CLIENT_STATUS = {
    "therapist": 200,
    "supervisor": 200,
    "other_therapist": 404,
    "other_supervisor": 404,
    "clinic_admin": 404,
}


def _user(request: pytest.FixtureRequest, role: str) -> User | None:
    return request.getfixturevalue(role)


def _summary(client: Client, **values: object) -> SummaryRequest:
    return SummaryRequest.objects.create(
        client=client,
        period_start=values.pop("period_start", datetime.date(2026, 1, 1)),
        period_end=values.pop("period_end", datetime.date(2026, 1, 31)),
        requested_by=client.therapist,
        **values,
    )


def _done(client: Client) -> SummaryRequest:
    summary = _summary(client)
    services.summary_build(summary_id=summary.pk)
    summary.refresh_from_db()
    assert summary.status == "done"
    return summary


def _failed(client: Client) -> SummaryRequest:
    summary = _summary(client)
    with mock.patch.object(services, "html_to_pdf", side_effect=RuntimeError):
        services.summary_build(summary_id=summary.pk)
    return summary


@pytest.fixture
def all_roles(
    therapist: User,
    supervisor: User,
    other_therapist: User,
    other_supervisor: User,
    clinic_admin: User,
) -> None:
    """Every role exists, so each test sees the same people."""


def _tab(client: Client) -> str:
    return reverse("summaries:section", kwargs={"pk": client.pk})


def test_the_tab_is_the_charts_summaries_section(record: Client) -> None:
    assert extensions.chart_section("summaries").url_name == "summaries:section"
    assert _tab(record) == f"/clients/{record.pk}/summaries/"


# --- Access matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_tab_access(
    request: pytest.FixtureRequest, role: str, record: Client, all_roles: None, client_for
) -> None:
    response = client_for(_user(request, role)).get(_tab(record))

    assert response.status_code == CLIENT_STATUS[role]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_requesting_access(
    request: pytest.FixtureRequest,
    role: str,
    record: Client,
    all_roles: None,
    client_for,
    django_capture_on_commit_callbacks,
) -> None:
    data = {"period_start": days_from_today(-30), "period_end": days_from_today(0)}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(_user(request, role)).post(_tab(record), data)

    if CLIENT_STATUS[role] == 200:
        assert (response.status_code, response["Location"]) == (302, _tab(record))
        assert list(SummaryRequest.objects.values_list("status", "requested_by_id")) == [
            ("done", _user(request, role).pk)
        ]
    else:
        assert response.status_code == 404
        assert SummaryRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "state", "method"),
    [
        ("summaries:status", "done", "get"),
        ("summaries:detail", "done", "get"),
        ("summaries:pdf", "done", "get"),
        ("summaries:retry", "failed", "post"),
    ],
)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_summary_url_access(
    request: pytest.FixtureRequest,
    role: str,
    name: str,
    state: str,
    method: str,
    record: Client,
    all_roles: None,
    client_for,
) -> None:
    summary = _done(record) if state == "done" else _failed(record)
    url = reverse(name, kwargs={"summary_pk": summary.pk})

    response = getattr(client_for(_user(request, role)), method)(url)

    expected = CLIENT_STATUS[role]
    if name == "summaries:retry" and expected == 200:
        expected = 302
    assert response.status_code == expected
    if name == "summaries:retry" and expected == 404:
        summary.refresh_from_db()
        assert summary.status == "failed"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("summaries:section", "get"),
        ("summaries:section", "post"),
        ("summaries:status", "get"),
        ("summaries:detail", "get"),
        ("summaries:pdf", "get"),
        ("summaries:retry", "post"),
        ("summaries:caseload", "get"),
    ],
)
def test_anonymous_is_sent_to_sign_in(record: Client, name: str, method: str) -> None:
    summary = _summary(record)
    kwargs = (
        {"pk": record.pk}
        if name == "summaries:section"
        else {}
        if name == "summaries:caseload"
        else {"summary_pk": summary.pk}
    )

    response = getattr(HttpClient(), method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
    assert SummaryRequest.objects.count() == 1


CASELOAD_STATUS = {
    "therapist": 404,
    "supervisor": 200,
    "other_therapist": 404,
    "other_supervisor": 200,  # their own supervisees' caseload
    "clinic_admin": 404,
}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_caseload_page_access(
    request: pytest.FixtureRequest, role: str, all_roles: None, client_for
) -> None:
    response = client_for(_user(request, role)).get(reverse("summaries:caseload"))

    assert response.status_code == CASELOAD_STATUS[role]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_caseload_pdf_is_for_the_supervisor_who_asked(
    request: pytest.FixtureRequest, role: str, supervisor: User, all_roles: None, client_for
) -> None:
    summary = SummaryRequest.objects.create(
        kind="caseload",
        supervisor=supervisor,
        requested_by=supervisor,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )
    services.summary_build(summary_id=summary.pk)

    response = client_for(_user(request, role)).get(
        reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})
    )

    assert response.status_code == (200 if role == "supervisor" else 404)
    if role == "supervisor":
        assert response["Content-Disposition"] == (
            'attachment; filename="caseload-summary-2026-01-01-to-2026-01-31.pdf"'
        )


# --- Validation ------------------------------------------------------------------------------


def _errors(response) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(
            r'class="invalid-feedback"[^>]*>(.*?)</', response.content.decode(), re.S
        )
    ]


@pytest.mark.parametrize(
    ("start", "end", "messages"),
    [
        (-10, -20, ["The last day cannot be before the first day."]),
        (-10, 1, [f"The period cannot reach past today ({show_date(days_from_today(0))})."]),
        # Issue 13: a period from year 1 answered 500 (hrp/bounds.py: PERIOD starts in 1900).
        (
            "0001-01-01",
            0,
            [
                "A period can start on 1 Jan 1900 at the earliest; please check the year.",
            ],
        ),
        (
            "0001-01-01",
            "0001-01-05",
            ["A period can start on 1 Jan 1900 at the earliest; please check the year."] * 2,
        ),
        ("١٩٩٠-01-01", 0, ["Enter the first day as a date, for example 2026-01-31."]),
        (-800, 0, ["A summary covers at most two years. Choose a later first day."]),
        (None, 0, ["Enter the first day of the period."]),
        ("31/12/2025", 0, ["Enter the first day as a date, for example 2026-01-31."]),
    ],
)
def test_the_period_is_validated_with_clear_messages(
    therapist: User, record: Client, client_for, start: object, end: object, messages: list[str]
) -> None:
    data = {
        "period_start": days_from_today(start) if isinstance(start, int) else (start or ""),
        "period_end": days_from_today(end) if isinstance(end, int) else end,
    }

    response = client_for(therapist).post(_tab(record), data)

    assert response.status_code == 200
    assert _errors(response) == messages
    assert SummaryRequest.objects.count() == 0


def test_exactly_two_years_is_accepted(
    therapist: User, record: Client, client_for, django_capture_on_commit_callbacks
) -> None:
    end = days_from_today(0)
    start = end.replace(year=end.year - 2) if not (end.month == 2 and end.day == 29) else None
    if start is None:
        pytest.skip("29 February")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(therapist).post(
            _tab(record), {"period_start": start, "period_end": end}
        )

    assert response.status_code == 302
    assert SummaryRequest.objects.get().period_start == start


def test_the_form_offers_the_last_90_days(therapist: User, record: Client, client_for) -> None:
    page = client_for(therapist).get(_tab(record)).content.decode()

    assert f'name="period_start" value="{days_from_today(-89):%Y-%m-%d}"' in page
    assert f'name="period_end" value="{days_from_today(0):%Y-%m-%d}"' in page


# --- Status, page, download ------------------------------------------------------------------


def test_a_queued_summary_polls_and_shows_its_progress(
    therapist: User, record: Client, client_for
) -> None:
    summary = _summary(record)
    SummaryRequest.objects.filter(pk=summary.pk).update(status="running", progress=40)

    html = (
        client_for(therapist)
        .get(reverse("summaries:status", kwargs={"summary_pk": summary.pk}))
        .content.decode()
    )

    assert f'hx-get="/summaries/{summary.pk}/status/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="40"' in html
    assert 'class="progress-bar summary-w-40"' in html
    assert "style=" not in html


def test_a_done_summary_stops_polling_and_offers_view_and_download(
    therapist: User, record: Client, client_for
) -> None:
    summary = _done(record)

    html = (
        client_for(therapist)
        .get(reverse("summaries:status", kwargs={"summary_pk": summary.pk}))
        .content.decode()
    )

    assert "hx-trigger" not in html
    assert 'aria-valuenow="100"' in html
    assert f'href="/summaries/{summary.pk}/"' in html
    assert f'href="/summaries/{summary.pk}/pdf/"' in html


def test_a_failed_summary_says_so_and_offers_to_try_again(
    therapist: User, record: Client, client_for
) -> None:
    summary = _failed(record)

    html = (
        client_for(therapist)
        .get(reverse("summaries:status", kwargs={"summary_pk": summary.pk}))
        .content.decode()
    )

    assert "hx-trigger" not in html
    assert "This summary could not be prepared. Nothing was saved; you can try again." in html
    assert f'action="/summaries/{summary.pk}/retry/"' in html
    assert "/pdf/" not in html


@pytest.mark.parametrize("state", ["queued", "running", "failed"])
def test_no_bytes_are_served_before_the_summary_is_done(
    therapist: User, record: Client, client_for, state: str
) -> None:
    summary = _failed(record) if state == "failed" else _summary(record)
    SummaryRequest.objects.filter(pk=summary.pk).update(status=state)
    user = client_for(therapist)

    assert user.get(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})).status_code == 404
    assert (
        user.get(reverse("summaries:detail", kwargs={"summary_pk": summary.pk})).status_code == 404
    )


def test_a_tampered_pdf_is_not_served(therapist: User, record: Client, client_for) -> None:
    summary = _done(record)
    SummaryRequest.objects.filter(pk=summary.pk).update(pdf_hash="0" * 64)

    response = client_for(therapist).post(
        reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE
    )

    assert response.status_code == 404


def test_download_is_an_attachment_named_by_chart_number_and_period(
    therapist: User, record: Client, client_for
) -> None:
    summary = _done(record)

    response = client_for(therapist).post(
        reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE
    )

    assert response["Content-Type"] == "application/pdf"
    name = f"progress-summary-{record.chart_number}-2026-01-01-to-2026-01-31.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Cache-Control"] == "no-store, private"
    assert response.content == summary.pdf_bytes()
    assert response.content.startswith(b"%PDF-")


def test_viewing_and_downloading_are_audited_as_access(
    supervisor: User, record: Client, client_for
) -> None:
    summary = _done(record)
    user = client_for(supervisor)
    before = AuditEvent.objects.count()

    user.get(reverse("summaries:detail", kwargs={"summary_pk": summary.pk}))
    user.post(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE)

    events = list(
        AuditEvent.objects.order_by("id").values_list(
            "category", "action", "actor_id", "chart_number", "object_id", "detail"
        )[before:]
    )
    assert events == [
        ("access", "summary.view", supervisor.pk, record.chart_number, str(summary.pk), ""),
        ("access", "summary.download", supervisor.pk, record.chart_number, str(summary.pk), ""),
    ]


def test_the_summary_page_shows_the_prepared_summary(
    therapist: User, seeded: Seeded, client_for
) -> None:
    summary = _summary(seeded.client, period_start=seeded.start, period_end=seeded.end)
    services.summary_build(summary_id=summary.pk)

    html = (
        client_for(therapist)
        .get(reverse("summaries:detail", kwargs={"summary_pk": summary.pk}))
        .content.decode()
    )

    assert f"Progress summary · {seeded.client.chart_number}" in html
    assert "<td>4</td><td>2</td><td>1</td><td>1</td><td>0</td>" in html
    assert "89% of days within the plan" in html
    assert (
        html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 4
    )  # alcohol, cannabis, PHQ-9, ratings


def test_retry_on_the_page_prepares_the_summary(
    therapist: User, record: Client, client_for, django_capture_on_commit_callbacks
) -> None:
    summary = _failed(record)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(therapist).post(
            reverse("summaries:retry", kwargs={"summary_pk": summary.pk})
        )

    assert (response.status_code, response["Location"]) == (302, _tab(record))
    summary.refresh_from_db()
    assert summary.status == "done"


def test_the_tab_lists_requested_and_monthly_summaries(
    therapist: User, record: Client, client_for
) -> None:
    _summary(record)
    _summary(
        record,
        kind="monthly",
        period_start=datetime.date(2025, 12, 1),
        period_end=datetime.date(2025, 12, 31),
    )

    html = client_for(therapist).get(_tab(record)).content.decode()

    assert "<td>1 Dec 2025 – 31 Dec 2025</td>\n      <td>Monthly</td>" in html
    assert "<td>1 Jan 2026 – 31 Jan 2026</td>\n      <td>Requested</td>" in html


# --- Redis unreachable, through the page -----------------------------------------------------


def test_with_redis_down_the_page_still_answers_and_the_request_stays_queued(
    therapist: User, record: Client, client_for, django_capture_on_commit_callbacks
) -> None:
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client_for(therapist).post(
            _tab(record),
            {"period_start": days_from_today(-30), "period_end": days_from_today(0)},
        )
        page = client_for(therapist).get(_tab(record))

    assert (response.status_code, page.status_code) == (302, 200)
    summary = SummaryRequest.objects.get()
    assert (summary.status, summary.enqueued_at) == ("queued", None)
    assert 'hx-trigger="every 1s"' in page.content.decode()

    # Redis is back (eager here): a minute later beat's requeue publishes it.
    SummaryRequest.objects.filter(pk=summary.pk).update(
        requested_at=summary.requested_at - datetime.timedelta(seconds=61)
    )
    assert services.summary_requeue_stale() == [summary.pk]
    summary.refresh_from_db()
    assert summary.status == "done"


# --- Query counts ----------------------------------------------------------------------------


# Session, user, OTP device; the client with its flag prefetches (administrations, harm
# assessments, open goals); the audit event; the summaries: whatever the number of rows.
TAB_QUERIES = 9
# Session, user, OTP device; the audit event; six for the caseload summary; the PDFs list.
CASELOAD_QUERIES = 11


@pytest.mark.parametrize("rows", [1, 6])
def test_the_tab_takes_a_fixed_number_of_queries(
    therapist: User, record: Client, client_for, rows: int, django_assert_num_queries
) -> None:
    for i in range(rows):
        _summary(record, period_start=datetime.date(2025, 1, 1) + datetime.timedelta(days=i))
    user = client_for(therapist)
    user.get(_tab(record))  # warm the session

    with django_assert_num_queries(TAB_QUERIES):
        response = user.get(_tab(record))

    assert response.content.decode().count('class="summary-status"') == rows


@pytest.mark.parametrize("clients", [1, 5])
def test_the_caseload_page_takes_a_fixed_number_of_queries(
    supervisor: User, therapist: User, client_for, clients: int, django_assert_num_queries
) -> None:
    ClientFactory(therapist=therapist)
    for _ in range(clients - 1):
        colleague = TherapistFactory()
        SupervisionFactory(supervisor=supervisor, supervisee=colleague)
        ClientFactory(therapist=colleague)
    user = client_for(supervisor)
    user.get(reverse("summaries:caseload"))

    with django_assert_num_queries(CASELOAD_QUERIES):
        response = user.get(reverse("summaries:caseload"))

    assert response.content.decode().count("<td>C-T") == clients


def test_a_monthly_summary_s_pdf_is_made_on_its_first_download(
    therapist: User, seeded: Seeded, client_for
) -> None:
    summary = _summary(
        seeded.client, kind="monthly", period_start=seeded.start, period_end=seeded.end
    )
    services.summaries_build(summary_ids=[summary.pk])
    assert SummaryRequest.objects.filter(pk=summary.pk, status="done", pdf__isnull=True).exists()
    user = client_for(therapist)

    first = user.post(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE)
    second = user.post(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE)

    assert (first.status_code, first["Content-Type"]) == (200, "application/pdf")
    assert first.content.startswith(b"%PDF-")
    assert second.content == first.content
    assert SummaryRequest.objects.get(pk=summary.pk).pdf_bytes() == first.content


def test_a_tampered_page_is_neither_shown_nor_made_into_a_pdf(
    therapist: User, seeded: Seeded, client_for
) -> None:
    summary = _summary(
        seeded.client, kind="monthly", period_start=seeded.start, period_end=seeded.end
    )
    services.summaries_build(summary_ids=[summary.pk])
    SummaryRequest.objects.filter(pk=summary.pk).update(html="<p>changed</p>")
    user = client_for(therapist)

    assert user.get(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})).status_code == 404
    assert (
        user.get(reverse("summaries:detail", kwargs={"summary_pk": summary.pk})).status_code == 404
    )
    assert SummaryRequest.objects.filter(pk=summary.pk, pdf__isnull=True).exists()


def _updates_of_summaries(queries: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].startswith('UPDATE "summaries_summaryrequest"') for q in queries.captured_queries
    )


def test_only_the_first_download_stores_a_pdf(therapist: User, seeded: Seeded, client_for) -> None:
    summary = _summary(
        seeded.client, kind="monthly", period_start=seeded.start, period_end=seeded.end
    )
    services.summaries_build(summary_ids=[summary.pk])
    user = client_for(therapist)
    url = reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})

    with CaptureQueriesContext(connection) as first:
        assert user.post(url, OWN_USE).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert user.post(url, OWN_USE).status_code == 200

    assert (_updates_of_summaries(first), _updates_of_summaries(second)) == (1, 0)
    assert len(second) == len(first) - 1


def test_a_pdf_that_cannot_be_made_leaves_the_page_and_stores_nothing(
    therapist: User, seeded: Seeded, client_for
) -> None:
    summary = _summary(
        seeded.client, kind="monthly", period_start=seeded.start, period_end=seeded.end
    )
    services.summaries_build(summary_ids=[summary.pk])
    user = client_for(therapist)

    with mock.patch.object(services, "html_to_pdf", side_effect=RuntimeError):
        response = user.post(reverse("summaries:pdf", kwargs={"summary_pk": summary.pk}), OWN_USE)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("summaries:detail", kwargs={"summary_pk": summary.pk}),
    )
    page = user.get(response["Location"]).content.decode()
    assert "The PDF could not be made just now." in page
    assert SummaryRequest.objects.filter(
        pk=summary.pk, status="done", pdf__isnull=True, pdf_hash=""
    ).exists()
    assert list(
        AuditEvent.objects.filter(
            object_id=str(summary.pk), action__startswith="summary."
        ).values_list("action", flat=True)
    ) == ["summary.view"]
