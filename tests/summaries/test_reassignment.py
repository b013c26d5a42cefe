"""Issue 12, defect 3: reassignment moves access at once. After a trainee moves to another
supervisor, the old supervisor gets 404 for every page, PDF and list about that trainee: the
caseload summary prepared while the trainee was theirs (page and PDF), the trainee's clients'
summaries, charts and caseload, the supervision lists and the meeting form. A caseload
summary prepared after the move (without the trainee) stays theirs."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from hrp.accounts.models import User
from hrp.accounts.services import supervision_assign
from summaries import selectors, services
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory
from tests.factories import SupervisorFactory

ClientFor = Callable[[User | None], HttpClient]


def _caseload_summary(supervisor: User) -> SummaryRequest:
    summary = SummaryRequest.objects.create(
        kind=SummaryRequest.Kind.CASELOAD,
        supervisor=supervisor,
        requested_by=supervisor,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )
    services.summary_build(summary_id=summary.pk)
    summary.refresh_from_db()
    assert summary.status == SummaryRequest.Status.DONE
    return summary


def _client_summary(record: Client) -> SummaryRequest:
    summary = SummaryRequest.objects.create(
        client=record,
        requested_by=record.therapist,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
    )
    services.summary_build(summary_id=summary.pk)
    return summary


@pytest.fixture
def record(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, chart_number="C-MOVE1")


@pytest.fixture
def new_supervisor(db: None) -> User:
    return SupervisorFactory(full_name="Nia Newsup")


def _move(therapist: User, to: User, clinic_admin: User) -> None:
    supervision_assign(actor=clinic_admin, supervisee=therapist, supervisor=to)


def _urls(therapist: User, record: Client, caseload: SummaryRequest, own: SummaryRequest):
    return {
        "caseload summary page": reverse("summaries:detail", args=[caseload.pk]),
        "caseload summary PDF": reverse("summaries:pdf", args=[caseload.pk]),
        "caseload summary status": reverse("summaries:status", args=[caseload.pk]),
        "client summary page": reverse("summaries:detail", args=[own.pk]),
        "client summary PDF": reverse("summaries:pdf", args=[own.pk]),
        "chart": reverse("clients:chart", args=[record.pk]),
        "trainee's caseload": reverse("clients:supervisee_caseload", args=[therapist.pk]),
        "dashboard list": reverse("supervision:column", args=[therapist.pk, "late-notes"]),
        "meeting form": reverse("supervision:meeting_create", args=[therapist.pk]),
    }


def test_the_old_supervisor_loses_every_page_about_the_trainee_at_once(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    new_supervisor: User,
    clinic_admin: User,
    record: Client,
) -> None:
    caseload = _caseload_summary(supervisor)
    urls = _urls(therapist, record, caseload, _client_summary(record))
    http = client_for(supervisor)
    assert {name: http.get(url).status_code for name, url in urls.items()} == dict.fromkeys(
        urls, 200
    )

    _move(therapist, new_supervisor, clinic_admin)

    assert {name: http.get(url).status_code for name, url in urls.items()} == dict.fromkeys(
        urls, 404
    )
    assert list(selectors.caseload_summaries_for(supervisor)) == []


def test_the_new_supervisor_reads_the_trainee_but_not_the_old_caseload_summary(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    new_supervisor: User,
    clinic_admin: User,
    record: Client,
) -> None:
    caseload = _caseload_summary(supervisor)
    own = _client_summary(record)
    _move(therapist, new_supervisor, clinic_admin)
    http = client_for(new_supervisor)

    assert http.get(reverse("summaries:pdf", args=[caseload.pk])).status_code == 404
    assert http.get(reverse("summaries:pdf", args=[own.pk])).status_code == 200
    assert http.get(reverse("clients:chart", args=[record.pk])).status_code == 200


def test_a_caseload_summary_prepared_after_the_move_stays_the_supervisors(
    client_for: ClientFor,
    therapist: User,
    supervisor: User,
    other_therapist: User,
    new_supervisor: User,
    clinic_admin: User,
) -> None:
    supervision_assign(actor=clinic_admin, supervisee=other_therapist, supervisor=supervisor)
    _move(therapist, new_supervisor, clinic_admin)
    later = _caseload_summary(supervisor)

    response = client_for(supervisor).get(reverse("summaries:pdf", args=[later.pk]))

    assert response.status_code == 200
    assert list(selectors.caseload_summaries_for(supervisor)) == [later]
