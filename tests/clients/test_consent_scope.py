"""A mandated referral's agency sees attendance only (issue 16.10): a consent naming that
agency may only allow "Attendance only". The rule is stated once (Consent.scope_refusal), shown
by the form before and on refusal, applied by the service, and held by the database trigger
`mandated_agency_attendance_only` against any other path, including an edit of an existing
consent's scope or recipient."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Client, Consent, Referral
from hrp.accounts.models import User
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.clients.helpers import text

ClientFor = Callable[[User | None], HttpClient]

AGENCY = "County Probation"
REFUSAL = (
    "is the agency of this client's mandated referral (County Probation). A mandated "
    "referral's agency sees attendance only (dates attended or missed), never clinical "
    "content: choose “Attendance only” for this recipient."
)


def _mandate(client: Client, agency: str = AGENCY) -> None:
    Referral.objects.filter(client=client).update(
        source=Referral.Source.MANDATED,
        mandate_kind=Referral.MandateKind.CRIMINAL_JUSTICE,
        agency=agency,
    )


@pytest.fixture
def mandated(therapist: User) -> Client:
    client = ClientFactory(therapist=therapist)
    _mandate(client)
    return client


def _data(**changed: str) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "recipient": "Kings County Probation Department, Officer Lee",
        "purpose": "Confirm attendance for the court",
        "scope": "summary",
        "scope_details": "",
        "signed_on": today.isoformat(),
        "effective_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
        **changed,
    }


def _post(web: HttpClient, client: Client, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return web.post(reverse("clients:consent_create", kwargs={"pk": client.pk}), data)


@pytest.mark.parametrize("scope", ["summary", "counseling_notes", "other"])
@pytest.mark.parametrize(
    "recipient",
    [
        "Kings County Probation Department, Officer Lee",
        "COUNTY PROBATION",  # the agency's name in any case
        "  County Probation  ",
    ],
)
def test_a_clinical_scope_for_the_mandated_agency_is_refused_with_the_reason(
    client_for: ClientFor, therapist: User, mandated: Client, scope: str, recipient: str
) -> None:
    data = _data(recipient=recipient, scope=scope, scope_details="Diagnosis and progress")

    response = _post(client_for(therapist), mandated, data)

    assert response.status_code == 200
    page = text(response)
    assert f"“{recipient.strip()}” {REFUSAL}" in page
    # What was typed is kept.
    assert 'value="Confirm attendance for the court"' in page
    assert Consent.objects.filter(client=mandated).count() == 0


def test_attendance_only_for_the_mandated_agency_is_recorded(
    client_for: ClientFor, therapist: User, mandated: Client
) -> None:
    response = _post(client_for(therapist), mandated, _data(scope="attendance"))

    assert response.status_code == 302
    assert list(Consent.objects.filter(client=mandated).values_list("scope", flat=True)) == [
        "attendance"
    ]


def test_a_clinical_scope_for_another_recipient_of_a_mandated_client_is_recorded(
    client_for: ClientFor, therapist: User, mandated: Client
) -> None:
    data = _data(recipient="Dr. Shah, primary care", purpose="Coordinate care")

    response = _post(client_for(therapist), mandated, data)

    assert response.status_code == 302
    assert list(Consent.objects.filter(client=mandated).values_list("recipient", "scope")) == [
        ("Dr. Shah, primary care", "summary")
    ]


def test_a_self_referred_client_may_consent_to_a_summary_for_any_recipient(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    response = _post(client_for(therapist), record, _data(recipient=AGENCY))

    assert response.status_code == 302
    assert Consent.objects.get(client=record).scope == "summary"


def test_the_form_says_so_before_the_clinician_chooses(
    client_for: ClientFor, therapist: User, mandated: Client, record: Client
) -> None:
    web = client_for(therapist)
    url = "clients:consent_create"

    said = text(web.get(reverse(url, kwargs={"pk": mandated.pk})))
    unsaid = text(web.get(reverse(url, kwargs={"pk": record.pk})))

    hint = (
        "This client's mandated referral agency (County Probation) sees attendance only: a "
        "consent naming it may only allow “Attendance only”."
    )
    assert hint in said
    assert "mandated referral agency" not in unsaid


def test_the_service_refuses_it_too(therapist: User, mandated: Client) -> None:
    values = {
        "recipient": AGENCY,
        "purpose": "Progress",
        "scope": Consent.Scope.SUMMARY,
        "signed_on": timezone.localdate(),
        "effective_on": timezone.localdate(),
        "expires_on": timezone.localdate() + datetime.timedelta(days=30),
    }

    with pytest.raises(ValidationError) as refused:
        services.consent_create(actor=therapist, client=mandated, values=values)

    assert list(refused.value.message_dict) == ["scope"]
    assert Consent.objects.filter(client=mandated).count() == 0


def test_the_database_refuses_a_consent_that_skips_the_model(mandated: Client) -> None:
    with pytest.raises(DatabaseError, match="receives attendance only"), transaction.atomic():
        ConsentFactory(client=mandated, recipient=AGENCY, scope=Consent.Scope.SUMMARY)

    assert Consent.objects.filter(client=mandated).count() == 0
    # Another recipient, or attendance for the agency, passes the trigger.
    ConsentFactory(client=mandated, recipient="Dr. Shah", scope=Consent.Scope.SUMMARY)
    ConsentFactory(client=mandated, recipient=AGENCY, scope=Consent.Scope.ATTENDANCE)
    assert Consent.objects.filter(client=mandated).count() == 2


def test_an_existing_consent_cannot_be_edited_into_a_clinical_scope_for_the_agency(
    mandated: Client,
) -> None:
    consent = ConsentFactory(client=mandated, recipient=AGENCY, scope=Consent.Scope.ATTENDANCE)
    other = ConsentFactory(client=mandated, recipient="Dr. Shah", scope=Consent.Scope.SUMMARY)

    # The model's rule, for any edit that validates (the admin, a future edit page).
    consent.scope = Consent.Scope.SUMMARY
    with pytest.raises(ValidationError) as refused:
        consent.full_clean()
    assert list(refused.value.message_dict) == ["scope"]
    # The database's, for any that does not: neither the scope nor the recipient may move.
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(scope=Consent.Scope.SUMMARY)
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.filter(pk=other.pk).update(recipient="County Probation, Officer Lee")

    assert list(Consent.objects.order_by("pk").values_list("recipient", "scope")) == [
        (AGENCY, "attendance"),
        ("Dr. Shah", "summary"),
    ]
    # Edits that keep within the rule pass.
    Consent.objects.filter(pk=other.pk).update(scope=Consent.Scope.OTHER)
    Consent.objects.filter(pk=consent.pk).update(purpose="Court reporting")


def test_a_consent_from_before_the_mandate_stays_revocable_and_is_never_used(
    therapist: User, record: Client
) -> None:
    earlier = ConsentFactory(client=record, recipient=AGENCY, scope=Consent.Scope.SUMMARY)
    _mandate(record)

    # Nothing clinical goes to the agency under it (disclosure selectors read this).
    assert list(Consent.objects.filter(client=record).not_to_mandated_agency(record)) == []
    assert earlier.scope_refusal() != ""
    # Revoking it touches neither scope nor recipient: the trigger lets it through.
    services.consent_revoke(
        actor=therapist,
        client=record,
        consent=earlier,
        revoked_on=timezone.localdate(),
        revoked_by="The client",
    )
    earlier.refresh_from_db()
    assert earlier.revoked_on == timezone.localdate()
