"""The chart's Referrals section and the next-step page, per role: the treating clinician offers
and updates; the supervisor and a reader under an emergency grant read; everyone else gets 404;
refusals (no consent) say why and store nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client
from disclosures.models import Disclosure
from hrp.accounts.models import User
from linkage.models import ReferralStatusChange, ServiceReferral
from tests.emergency.factories import EmergencyGrantFactory
from tests.htmltext import page_text
from tests.linkage.factories import (
    PROGRAM,
    ProgramConsentFactory,
    ServiceReferralFactory,
    StatusChangeFactory,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User | None], HttpClient]

# role: (section, offer POST, next-step page, next-step POST)
ROLE_STATUS = {
    "therapist": (200, 302, 200, 302),
    "other_therapist": (404, 404, 404, 404),
    "supervisor": (200, 403, 403, 403),
    "other_supervisor": (404, 404, 404, 404),
    "clinic_admin": (404, 404, 404, 404),
}
# session, user, authenticator; client with header data; 3 flag prefetches; the access event;
# referrals; their steps with recorders and disclosures; consents offered for sharing.
SECTION_QUERIES = 11


def _offer(**changes: str) -> dict[str, str]:
    return {"service": "methadone", "provider": PROGRAM, "status": "suggested", **changes}


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_access_per_role(
    request: pytest.FixtureRequest, client_for: ClientFor, record: Client, role: str
) -> None:
    referral = ServiceReferralFactory(client=record)
    web = client_for(request.getfixturevalue(role))
    update = reverse("linkage:update", args=[record.pk, referral.pk])

    statuses = (
        web.get(reverse("linkage:section", args=[record.pk])).status_code,
        web.post(reverse("linkage:offer", args=[record.pk]), _offer()).status_code,
        web.get(update).status_code,
        web.post(update, {"status": "interested"}).status_code,
    )

    assert statuses == ROLE_STATUS[role]
    written = role == "therapist"
    assert ServiceReferral.objects.count() == (2 if written else 1)
    assert ServiceReferral.objects.get(pk=referral.pk).status == (
        "interested" if written else "suggested"
    )


def test_anonymous_is_sent_to_sign_in(client_for: ClientFor, record: Client) -> None:
    url = reverse("linkage:section", args=[record.pk])
    response = client_for(None).get(url)
    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('accounts:login')}?next={url}",
    )


def test_emergency_reader_reads_only(
    client_for: ClientFor, other_therapist: User, record: Client
) -> None:
    referral = ServiceReferralFactory(client=record)
    EmergencyGrantFactory(user=other_therapist, client=record)
    web = client_for(other_therapist)

    page = web.get(reverse("linkage:section", args=[record.pk]))
    update = web.post(
        reverse("linkage:update", args=[record.pk, referral.pk]), {"status": "declined"}
    )

    assert (page.status_code, update.status_code) == (200, 403)
    assert "Offer a referral" not in page_text(page)
    assert ServiceReferral.objects.get().status == "suggested"


def test_section_shows_each_referral_with_its_steps(
    client_for: ClientFor, supervisor: User, record: Client
) -> None:
    referral = ServiceReferralFactory(client=record, status="interested")
    StatusChangeFactory(referral=referral, status="suggested", note="Raised it himself")

    text = page_text(client_for(supervisor).get(reverse("linkage:section", args=[record.pk])))

    assert f"Methadone · {PROGRAM} Client interested" in text
    assert "Raised it himself" in text
    assert "Record the next step" not in text


def test_sharing_without_consent_is_refused_on_the_page(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("linkage:offer", args=[record.pk]),
        _offer(status="referred", share="on", shared="Name and date of birth"),
    )

    assert response.status_code == 400
    assert (
        "Sharing information needs a consent in force naming the provider. Record the client's "
        "written consent on the Consents tab first, or untick sharing."
    ) in page_text(response)
    assert (ServiceReferral.objects.count(), Disclosure.objects.count()) == (0, 0)


def test_sharing_under_a_consent_naming_someone_else_is_refused(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    consent = ProgramConsentFactory(client=record, recipient="Northside Housing Office")
    response = client_for(therapist).post(
        reverse("linkage:offer", args=[record.pk]),
        _offer(status="referred", share="on", consent=str(consent.pk), shared="Name"),
    )

    assert response.status_code == 400
    assert f"This consent names “Northside Housing Office”, not {PROGRAM}." in page_text(response)
    assert (ServiceReferral.objects.count(), Disclosure.objects.count()) == (0, 0)


def test_sharing_under_a_consent_records_a_disclosure(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    consent = ProgramConsentFactory(client=record)
    referral = ServiceReferralFactory(client=record, status="interested")

    response = client_for(therapist).post(
        reverse("linkage:update", args=[record.pk, referral.pk]),
        {"status": "referred", "share": "on", "consent": str(consent.pk), "shared": "Name"},
    )

    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.what, disclosure.consent_id) == ("referral", consent.pk)
    assert ReferralStatusChange.objects.get(status="referred").disclosure_id == disclosure.pk
    tab = client_for(therapist).get(reverse("disclosures:chart", args=[record.pk]))
    assert "Referral information Name" in page_text(tab)


def test_bad_dates_and_choices_are_refused(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = client_for(therapist).post(
        reverse("linkage:offer", args=[record.pk]),
        _offer(service="other", status="failed", follow_up_on="20٢6-01-01"),
    )
    text = page_text(response)
    assert response.status_code == 400
    assert "Describe the other service." in text
    assert "Select a valid choice. failed is not one of the available choices." in text
    assert "Enter a date such as 2026-06-01." in text
    assert ServiceReferral.objects.count() == 0


def test_another_clients_referral_is_404(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    elsewhere = ServiceReferralFactory(client__therapist=therapist)
    response = client_for(therapist).post(
        reverse("linkage:update", args=[record.pk, elsewhere.pk]), {"status": "declined"}
    )
    assert response.status_code == 404
    assert ServiceReferral.objects.get().status == "suggested"


@pytest.mark.parametrize("rows", [1, 8])
def test_section_query_count_is_constant(
    client_for: ClientFor, therapist: User, record: Client, rows: int, django_assert_num_queries
) -> None:
    ProgramConsentFactory(client=record)
    for _index in range(rows):
        referral = ServiceReferralFactory(client=record, status="interested")
        StatusChangeFactory(referral=referral, status="interested", note="step")
    web = client_for(therapist)
    with django_assert_num_queries(SECTION_QUERIES):
        response = web.get(reverse("linkage:section", args=[record.pk]))
    assert response.status_code == 200
    assert page_text(response).count("Record the next step") == rows
