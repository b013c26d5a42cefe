"""Where a legal identity is needed it is asked for then, not before (issue 21): an attendance
report for a mandated referral, information shared with a named recipient and a progress
summary sent to a recipient each refuse a record without one, saying what is missing and why,
and store nothing (no disclosure, no disclosure event)."""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.identity import IdentityRequired
from clients.models import Client, Consent
from disclosures import services
from disclosures.models import Disclosure
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ConsentFactory
from tests.disclosures.conftest import PERIOD_END, PERIOD_START
from tests.disclosures.factories import AgencyConsentFactory, MandatedClientFactory
from tests.htmltext import words
from tests.summaries.factories import DoneSummaryFactory

ClientFor = Callable[[User | None], HttpClient]

ATTENDANCE = (
    "This record has no legal name or date of birth: an attendance report for a mandated "
    "referral is only meaningful to the agency when it names the person they referred. Add it "
    "on “Edit details” when the client chooses to share it; nothing else needs it."
)
SUMMARY = (
    "This record has no legal name or date of birth: a progress summary sent to a recipient "
    "must identify the client it is about. Add it on “Edit details” when the client chooses "
    "to share it; nothing else needs it."
)
NAMED = (
    "This record has no date of birth: information shared with a named recipient must identify "
    "the client it is about. Add it on “Edit details” when the client chooses to share it; "
    "nothing else needs it."
)


def _stored() -> tuple[int, int]:
    return (
        Disclosure.objects.count(),
        AuditEvent.objects.filter(action__startswith="disclosure.").count(),
    )


@pytest.fixture
def chosen_only(therapist: User) -> Client:
    """A mandated client known only as "J." (no legal name, no date of birth)."""
    return MandatedClientFactory(therapist=therapist, preferred_name="J.", pseudonymous=True)


@pytest.mark.parametrize("url", ["preview", "download"])
def test_an_attendance_report_asks_for_the_legal_identity(
    client_for: ClientFor, therapist: User, chosen_only: Client, url: str
) -> None:
    consent = AgencyConsentFactory(client=chosen_only)
    data = {
        "consent": str(consent.pk),
        "start": PERIOD_START.isoformat(),
        "end": PERIOD_END.isoformat(),
    }
    web = client_for(therapist)
    name = f"disclosures:attendance_{url}"
    address = reverse(name, args=[chosen_only.pk])

    response = web.get(address, data) if url == "preview" else web.post(address, data)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [ATTENDANCE]
    assert words(ATTENDANCE) in words(html.unescape(response.content.decode()))
    assert _stored() == (0, 0)


def test_the_attendance_report_goes_ahead_once_the_identity_is_shared(
    therapist: User, chosen_only: Client
) -> None:
    consent = AgencyConsentFactory(client=chosen_only)
    Client.objects.filter(pk=chosen_only.pk).update(
        legal_name="Jamie Okafor", date_of_birth=datetime.date(1990, 1, 2)
    )
    chosen_only.refresh_from_db()

    disclosure, _pdf = services.attendance_report(
        actor=therapist, client=chosen_only, consent=consent, start=PERIOD_START, end=PERIOD_END
    )

    assert disclosure.client_id == chosen_only.pk
    assert _stored() == (1, 1)


def test_sharing_with_a_named_recipient_asks_for_the_missing_part(therapist: User) -> None:
    # A legal name but no date of birth: the message names only what is missing.
    record = MandatedClientFactory(
        therapist=therapist, legal_name="Jamie Okafor", date_of_birth=None
    )
    consent = ConsentFactory(
        client=record, recipient="Eastside Syringe Services", scope=Consent.Scope.SUMMARY
    )

    with pytest.raises(IdentityRequired) as refusal:
        services.referral_disclosure_record(
            actor=therapist,
            client=record,
            consent=consent,
            recipient="Eastside Syringe Services",
            shared="Name and phone, to book a first visit.",
        )

    assert refusal.value.messages == [NAMED]
    assert (refusal.value.missing, refusal.value.purpose) == (
        ["date of birth"],
        "named_disclosure",
    )
    assert _stored() == (0, 0)


def test_a_summary_for_a_recipient_asks_for_the_legal_identity(
    client_for: ClientFor, therapist: User
) -> None:
    person = MandatedClientFactory(therapist=therapist, preferred_name="J.", pseudonymous=True)
    summary = DoneSummaryFactory(client=person)
    consent = ConsentFactory(
        client=person,
        recipient="Dr. Shah, Eastside Primary Care",
        scope=Consent.Scope.SUMMARY,
        effective_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    url = reverse("summaries:pdf", kwargs={"summary_pk": summary.pk})

    refused = client_for(therapist).post(url, {"purpose": "recipient", "consent": str(consent.pk)})
    own_use = client_for(therapist).post(url, {"purpose": "own_use"})

    # The download page's refusals re-render its form with the reason (as for a consent).
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors() == [SUMMARY]
    assert words(SUMMARY) in words(html.unescape(refused.content.decode()))
    assert _stored() == (0, 0)
    # The clinic's own copy needs no identity: nothing else is blocked.
    assert own_use.status_code == 200
    assert own_use["Content-Type"] == "application/pdf"
