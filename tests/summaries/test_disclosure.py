"""A progress summary downloaded to leave the clinic is a disclosure (issue 16.10).

The download asks first (a POST: no recipient in the URL): for the clinic's own use it serves
the stored PDF and records no disclosure; for a recipient it needs a consent in force allowing
a treatment summary (never one naming a mandated referral's agency), and then the PDF names the
recipient, carries the redisclosure notice verbatim, and is recorded in the accounting of
disclosures as an attendance report is. Refusals record nothing."""

from __future__ import annotations

import datetime
import hashlib
import html
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Consent, Referral
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from summaries.models import SummaryRequest
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.conftest import STAFF_ROLES
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import words
from tests.pdftext import pdf_text
from tests.summaries.factories import PDF, DoneSummaryFactory

ClientFor = Callable[[User | None], HttpClient]


@pytest.fixture
def person(therapist: User) -> Client:
    return ClientFactory(therapist=therapist, preferred_name="Robin", chart_number="C-SUM001")


@pytest.fixture
def summary(person: Client) -> SummaryRequest:
    return DoneSummaryFactory(client=person)


@pytest.fixture
def consent(person: Client) -> Consent:
    return ConsentFactory(
        client=person,
        recipient="Dr. Shah, Eastside Primary Care",
        purpose="Coordinate care",
        scope=Consent.Scope.SUMMARY,
    )


def _page(response: HttpResponse) -> str:
    """The page's text as a person reads it: entities decoded, spaces collapsed."""
    return words(html.unescape(response.content.decode()))


def _url(summary: SummaryRequest) -> str:
    return reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})


def _accounting() -> list[tuple[object, ...]]:
    return list(
        Disclosure.objects.order_by("pk").values_list(
            "client_id", "consent_id", "recipient", "what", "period_start", "period_end", "sha256"
        )
    )


def test_the_download_asks_who_the_copy_is_for(
    client_for: ClientFor, therapist: User, summary: SummaryRequest, consent: Consent
) -> None:
    response = client_for(therapist).get(_url(summary))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = _page(response)
    assert "Who is this copy for?" in page
    assert "The clinic's own use" in page
    assert "Dr. Shah, Eastside Primary Care (consent signed" in page
    # Both answers go in a POST body: the form posts, the link carries no query string.
    html = response.content.decode()
    assert f'<form method="post" action="{_url(summary)}"' in html
    assert Disclosure.objects.count() == 0


def test_for_the_clinics_own_use_it_is_the_stored_pdf_and_no_disclosure(
    client_for: ClientFor, therapist: User, summary: SummaryRequest, consent: Consent
) -> None:
    response = client_for(therapist).post(_url(summary), {"purpose": "own_use"})

    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Disposition"] == (
        'attachment; filename="progress-summary-C-SUM001-2026-01-01-to-2026-01-31.pdf"'
    )
    assert Disclosure.objects.count() == 0
    assert AuditEvent.objects.filter(action="summary.download").count() == 1


def test_for_a_recipient_it_carries_the_notice_and_is_recorded(
    client_for: ClientFor, therapist: User, summary: SummaryRequest, consent: Consent
) -> None:
    response = client_for(therapist).post(
        _url(summary), {"purpose": "recipient", "consent": str(consent.pk)}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="progress-summary-C-SUM001-2026-01-01-to-2026-01-31-disclosed.pdf"'
    )
    text = words(pdf_text(response.content))
    assert "Disclosed to Dr. Shah, Eastside Primary Care with the client's written consent" in text
    assert "Progress summary · C-SUM001" in text
    assert words(REDISCLOSURE_NOTICE) in text
    # The copy that leaves the clinic names the chart number only (the clinic's own copy names
    # the client and the clinician).
    assert "Client:" not in text
    assert "Clinician:" not in text
    assert summary.client.legal_name not in text
    assert summary.client.display_name not in text
    assert _accounting() == [
        (
            summary.client_id,
            consent.pk,
            "Dr. Shah, Eastside Primary Care",
            "progress_summary",
            datetime.date(2026, 1, 1),
            datetime.date(2026, 1, 31),
            hashlib.sha256(response.content).hexdigest(),
        )
    ]
    event = AuditEvent.objects.get(action="disclosure.progress_summary")
    assert (event.actor_id, event.chart_number) == (therapist.pk, "C-SUM001")
    assert event.changes["consent"] == [None, consent.pk]
    # The stored PDF (the clinic's own copy) is unchanged: the disclosed one is not kept.
    summary.refresh_from_db()
    assert summary.pdf_bytes() == PDF
    # The accounting on the Disclosures tab lists it.
    tab = client_for(therapist).get(reverse("disclosures:chart", kwargs={"pk": summary.client_id}))
    assert "Progress summary, 1 Jan 2026 – 31 Jan 2026" in _page(tab)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"revoked_on": timezone.localdate, "revoked_by": "The client"},
            "That consent is no longer in force for a progress summary. Choose another.",
        ),
        (
            {"expires_on": lambda: timezone.localdate() - datetime.timedelta(days=1)},
            "That consent is no longer in force for a progress summary. Choose another.",
        ),
        (
            {"scope": lambda: Consent.Scope.ATTENDANCE},
            "That consent is no longer in force for a progress summary. Choose another.",
        ),
    ],
)
def test_a_consent_not_in_force_for_a_summary_is_refused(
    client_for: ClientFor,
    therapist: User,
    summary: SummaryRequest,
    consent: Consent,
    change: dict,
    message: str,
) -> None:
    # Another consent stays in force, so the question still offers a recipient.
    ConsentFactory(client=summary.client, recipient="Dr. Okafor", scope=Consent.Scope.SUMMARY)
    Consent.objects.filter(pk=consent.pk).update(
        **{k: (v() if callable(v) else v) for k, v in change.items()}
    )

    response = client_for(therapist).post(
        _url(summary), {"purpose": "recipient", "consent": str(consent.pk)}
    )

    assert response.status_code == 200
    assert message in _page(response)
    assert Disclosure.objects.count() == 0


def test_without_any_consent_in_force_a_recipient_is_refused(
    client_for: ClientFor, therapist: User, summary: SummaryRequest
) -> None:
    response = client_for(therapist).post(_url(summary), {"purpose": "recipient"})

    assert response.status_code == 200
    page = _page(response)
    assert "No consent in force allows a progress summary to leave the clinic." in page
    assert Disclosure.objects.count() == 0


def test_another_clients_consent_is_refused(
    client_for: ClientFor, therapist: User, summary: SummaryRequest, consent: Consent
) -> None:
    theirs = ConsentFactory(client=ClientFactory(therapist=therapist), scope="summary")

    response = client_for(therapist).post(
        _url(summary), {"purpose": "recipient", "consent": str(theirs.pk)}
    )

    assert response.status_code == 200
    assert "That consent is no longer in force" in _page(response)
    assert Disclosure.objects.count() == 0


def test_a_mandated_agencys_old_summary_consent_is_never_offered(
    client_for: ClientFor, therapist: User, person: Client, summary: SummaryRequest
) -> None:
    old = ConsentFactory(client=person, recipient="County Probation", scope="summary")
    Referral.objects.filter(client=person).update(
        source="mandated", mandate_kind="criminal_justice", agency="County Probation"
    )
    web = client_for(therapist)

    page = _page(web.get(_url(summary)))
    response = web.post(_url(summary), {"purpose": "recipient", "consent": str(old.pk)})

    assert "County Probation" not in page
    assert response.status_code == 200
    assert Disclosure.objects.count() == 0


def test_a_supervisor_downloads_for_the_clinic_only(
    client_for: ClientFor, supervisor: User, summary: SummaryRequest, consent: Consent
) -> None:
    web = client_for(supervisor)

    own = web.post(_url(summary), {"purpose": "own_use"})
    out = web.post(_url(summary), {"purpose": "recipient", "consent": str(consent.pk)})

    assert (own.status_code, own.content) == (200, PDF)
    assert out.status_code == 200
    assert "Only the client's therapist sends a summary outside the clinic." in words(
        out.content.decode()
    )
    assert Disclosure.objects.count() == 0


def test_an_emergency_grant_never_discloses(
    client_for: ClientFor, other_therapist: User, summary: SummaryRequest, consent: Consent
) -> None:
    EmergencyGrantFactory(user=other_therapist, client=summary.client)

    out = client_for(other_therapist).post(
        _url(summary), {"purpose": "recipient", "consent": str(consent.pk)}
    )

    assert out.status_code == 200
    assert Disclosure.objects.count() == 0


def test_no_answer_is_asked_again(
    client_for: ClientFor, therapist: User, summary: SummaryRequest
) -> None:
    response = client_for(therapist).post(_url(summary), {})

    assert response.status_code == 200
    assert "Choose who this copy is for." in _page(response)


POST_STATUS = {
    "therapist": 200,
    "supervisor": 200,
    "other_therapist": 404,
    "other_supervisor": 404,
    "clinic_admin": 404,
}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_posting_the_download_by_role(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    summary: SummaryRequest,
    consent: Consent,
    role: str,
) -> None:
    response = client_for(request.getfixturevalue(role)).post(
        _url(summary), {"purpose": "recipient", "consent": str(consent.pk)}
    )

    assert response.status_code == POST_STATUS[role]
    expected = 1 if role == "therapist" else 0
    assert Disclosure.objects.count() == expected


def test_anonymous_posting_is_sent_to_sign_in(summary: SummaryRequest, consent: Consent) -> None:
    response = HttpClient().post(
        _url(summary), {"purpose": "recipient", "consent": str(consent.pk)}
    )

    assert response.status_code == 302
    assert Disclosure.objects.count() == 0


# Session and user, the summary with its client, access (client, supervision), the mandated
# agency, the consents offered: fixed, whatever the number of consents.
QUESTION_QUERIES = 8


@pytest.mark.parametrize("consents", [1, 10])
def test_the_question_costs_the_same_at_one_and_many_consents(
    client_for: ClientFor,
    therapist: User,
    person: Client,
    summary: SummaryRequest,
    consents: int,
    django_assert_num_queries,
) -> None:
    for n in range(consents):
        ConsentFactory(client=person, recipient=f"Provider {n}", scope="summary")
    web = client_for(therapist)
    web.get(_url(summary))

    with django_assert_num_queries(QUESTION_QUERIES):
        response = web.get(_url(summary))

    assert len(response.context["consents"]) == consents
