"""Issue 12, defect 1: an emergency grant is read-only for every POST, not only for the pages
that asked for write access. Under a grant, marking a session-rating alert seen, asking for a
progress summary, trying a summary again, leaving a supervision comment and saving reminder
choices are refused (403) and change nothing; the services refuse the same actor too, so no
other page or task can do it either. And the access helper itself writes no audit row: the
page audit is the middleware's.

The grantee is `other_therapist`, opening a client of `therapist` (supervised by
`supervisor`)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from emergency.services import emergency_grant
from hrp import access
from hrp.accounts.models import EmergencyGrant, User
from hrp.audit.models import AuditEvent
from sessions import services as session_services
from sessions.models import RatingAlert
from summaries import services as summary_services
from summaries.models import SummaryRequest
from supervision.models import ChartComment
from tests.clients.factories import ClientFactory
from tests.factories import TEST_PASSWORD
from tests.sessions.factories import SessionNoteFactory, sign_note

ClientFor = Callable[[User | None], HttpClient]

REASON = "Client is in the waiting room in crisis; their therapist is on leave."


@pytest.fixture
def record(therapist: User, supervisor: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-EMERG2")


@pytest.fixture
def grant(other_therapist: User, record: Client) -> EmergencyGrant:
    other_therapist.set_password(TEST_PASSWORD)
    other_therapist.save(update_fields=["password"])
    return emergency_grant(
        actor=other_therapist,
        chart_number=record.chart_number,
        reason=REASON,
        password=TEST_PASSWORD,
    )


@pytest.fixture
def alert(record: Client) -> RatingAlert:
    note = sign_note(SessionNoteFactory(appointment__client=record))
    return RatingAlert.objects.create(
        note=note, client=record, reason=RatingAlert.Reason.BELOW_THRESHOLD, total=12
    )


@pytest.fixture
def failed_summary(record: Client) -> SummaryRequest:
    return SummaryRequest.objects.create(
        client=record,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        requested_by=record.therapist,
        status=SummaryRequest.Status.FAILED,
    )


def _state() -> dict[str, Any]:
    """Everything these POSTs could change, as plain values."""
    return {
        "alerts": [model_to_dict(a) for a in RatingAlert.objects.order_by("pk")],
        "summaries": list(SummaryRequest.objects.order_by("pk").values("pk", "status")),
        "comments": ChartComment.objects.count(),
        "clients": [model_to_dict(c) for c in Client.objects.order_by("pk")],
        "changes": list(
            AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).values_list(
                "action", flat=True
            )
        ),
    }


def _posts(record: Client, alert: RatingAlert, summary: SummaryRequest) -> list[tuple[str, dict]]:
    return [
        (
            reverse("sessions:rating_alert_ack", kwargs={"pk": record.pk, "alert_pk": alert.pk}),
            {"next": ""},
        ),
        (
            reverse("summaries:section", kwargs={"pk": record.pk}),
            {"period_start": "2026-01-01", "period_end": "2026-01-31"},
        ),
        (reverse("summaries:retry", kwargs={"summary_pk": summary.pk}), {}),
        (reverse("supervision:comment_create", kwargs={"pk": record.pk}), {"text": "Hello."}),
        (
            reverse("notifications:client_reminders", kwargs={"pk": record.pk}),
            {"reminder_channel": "none"},
        ),
    ]


POST_NAMES = ["rating_alert_seen", "summary_request", "summary_retry", "comment", "reminders"]


@pytest.mark.parametrize("index", range(len(POST_NAMES)), ids=POST_NAMES)
def test_every_post_under_a_grant_is_refused_and_changes_nothing(
    client_for: ClientFor,
    other_therapist: User,
    record: Client,
    grant: EmergencyGrant,
    alert: RatingAlert,
    failed_summary: SummaryRequest,
    index: int,
) -> None:
    url, data = _posts(record, alert, failed_summary)[index]
    before = _state()

    response = client_for(other_therapist).post(url, data)

    assert response.status_code == 403
    assert _state() == before


def test_the_care_team_still_marks_an_alert_seen_and_asks_for_a_summary(
    client_for: ClientFor, supervisor: User, record: Client, alert: RatingAlert
) -> None:
    http = client_for(supervisor)
    url = reverse("sessions:rating_alert_ack", kwargs={"pk": record.pk, "alert_pk": alert.pk})

    assert http.post(url, {"next": ""}).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor
    response = http.post(
        reverse("summaries:section", kwargs={"pk": record.pk}),
        {"period_start": "2026-01-01", "period_end": "2026-01-31"},
    )
    assert response.status_code == 302
    assert list(SummaryRequest.objects.values_list("requested_by_id", flat=True)) == [supervisor.pk]


def test_under_a_grant_the_summaries_tab_offers_no_request_form(
    client_for: ClientFor, other_therapist: User, record: Client, grant: EmergencyGrant
) -> None:
    response = client_for(other_therapist).get(
        reverse("summaries:section", kwargs={"pk": record.pk})
    )

    assert response.status_code == 200
    assert response.context["can"] == access.ClientAccess(
        read=True, write=False, supervise=False, emergency_grant_id=grant.pk
    )
    assert "Prepare summary" not in response.content.decode()


def test_the_services_refuse_a_reader_under_a_grant(
    other_therapist: User,
    record: Client,
    grant: EmergencyGrant,
    alert: RatingAlert,
    failed_summary: SummaryRequest,
) -> None:
    before = _state()

    with pytest.raises(PermissionDenied):
        session_services.rating_alert_acknowledge(actor=other_therapist, alert=alert)
    with pytest.raises(PermissionDenied):
        summary_services.summary_request(
            actor=other_therapist,
            client=record,
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 1, 31),
        )
    with pytest.raises(PermissionDenied):
        summary_services.summary_retry(actor=other_therapist, summary=failed_summary)

    assert _state() == before


def test_the_access_helper_writes_no_audit_row(
    other_therapist: User, record: Client, grant: EmergencyGrant
) -> None:
    before = AuditEvent.objects.count()

    client, can = access.client_for(other_therapist, record.pk)

    assert (client.pk, can.emergency_grant_id, can.write) == (record.pk, grant.pk, False)
    assert AuditEvent.objects.count() == before


def test_a_refused_page_under_a_grant_is_still_audited_once(
    client_for: ClientFor, other_therapist: User, record: Client, grant: EmergencyGrant
) -> None:
    # The access log page checks write access (403 under a grant) and is still a page opened
    # under the grant: audited once, with its path.
    url = reverse("clients:access_log", kwargs={"pk": record.pk})

    response = client_for(other_therapist).get(url)

    assert response.status_code == 403
    assert list(
        AuditEvent.objects.filter(action="emergency.view").values_list("detail", "changes")
    ) == [(url, {"grant": [None, grant.pk]})]
