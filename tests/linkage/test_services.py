"""Offering a referral and recording its steps: the status history, declined and offered again,
the follow-up date's range, sharing information only under a consent in force naming the
provider (recorded as a disclosure with the redisclosure notice), and nothing stored on a
refusal."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clients.models import Client, Consent
from disclosures.models import Disclosure
from disclosures.report import REDISCLOSURE_NOTICE
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from linkage import services
from linkage.models import ReferralImmutableError, ReferralStatusChange, ServiceReferral, Status
from tests.linkage.factories import PROGRAM, ProgramConsentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SHARED = "Name, date of birth, current use, reason for referral."


def _offer(actor: User, client: Client, **changes: object) -> ServiceReferral:
    values: dict = {"service": "methadone", "provider": PROGRAM, **changes}
    return services.referral_offer(actor=actor, client=client, **values)


def _counts() -> tuple[int, int, int]:
    return (
        ServiceReferral.objects.count(),
        ReferralStatusChange.objects.count(),
        Disclosure.objects.count(),
    )


def test_a_methadone_referral_goes_from_suggested_to_linked(
    therapist: User, record: Client
) -> None:
    referral = _offer(therapist, record, note="He raised it himself")
    for status in ("interested", "referred", "appointment_made", "linked"):
        services.referral_update(actor=therapist, client=record, referral=referral, status=status)

    referral.refresh_from_db()
    assert referral.status == "linked"
    assert list(referral.changes.values_list("status", flat=True)) == [
        "suggested",
        "interested",
        "referred",
        "appointment_made",
        "linked",
    ]
    assert referral.changes.first().note == "He raised it himself"
    assert AuditEvent.objects.filter(action="referral.status").count() == 4
    assert "He raised" not in str(AuditEvent.objects.get(action="referral.create").changes)


def test_declined_may_be_offered_again(therapist: User, record: Client) -> None:
    referral = _offer(therapist, record)
    services.referral_update(actor=therapist, client=record, referral=referral, status="declined")
    services.referral_update(
        actor=therapist, client=record, referral=referral, status="suggested", note="Asked again"
    )

    referral.refresh_from_db()
    assert referral.status == "suggested"
    assert list(referral.changes.values_list("status", flat=True)) == [
        "suggested",
        "declined",
        "suggested",
    ]


def test_nothing_to_record_is_refused(therapist: User, record: Client) -> None:
    referral = _offer(therapist, record)
    with pytest.raises(ValidationError) as error:
        services.referral_update(
            actor=therapist, client=record, referral=referral, status="suggested"
        )
    assert error.value.messages == [
        "Nothing to record: choose a new status, add a note, or change the follow-up date."
    ]
    assert ReferralStatusChange.objects.count() == 1


def test_follow_up_date_alone_changes_only_the_date(therapist: User, record: Client) -> None:
    referral = _offer(therapist, record)
    day = TODAY + datetime.timedelta(days=7)
    services.referral_update(
        actor=therapist, client=record, referral=referral, status="suggested", follow_up_on=day
    )
    referral.refresh_from_db()
    assert referral.follow_up_on == day
    assert ReferralStatusChange.objects.count() == 1
    assert AuditEvent.objects.get(action="referral.follow_up").changes == {
        "follow_up_on": [None, day.isoformat()]
    }


def test_follow_up_date_range(therapist: User, record: Client) -> None:
    latest = TODAY.replace(year=TODAY.year + 10)
    assert _offer(therapist, record, follow_up_on=latest).follow_up_on == latest
    with pytest.raises(ValidationError) as error:
        _offer(therapist, record, follow_up_on=latest + datetime.timedelta(days=1))
    assert list(error.value.message_dict) == ["follow_up_on"]
    assert ServiceReferral.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"service": "rehab"}, "service", "Choose a service from the list."),
        ({"service": "other"}, "service_other", "Describe the other service."),
        ({"status": "failed"}, "status", "Choose a status from the list."),
    ],
)
def test_offer_refusals(
    therapist: User, record: Client, changes: dict, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _offer(therapist, record, **changes)
    assert error.value.message_dict == {field: [message]}
    assert _counts() == (0, 0, 0)


def test_only_the_treating_clinician_writes(
    supervisor: User, other_therapist: User, therapist: User, record: Client
) -> None:
    referral = _offer(therapist, record)
    for actor in (supervisor, other_therapist):
        with pytest.raises(PermissionDenied):
            _offer(actor, record)
        with pytest.raises(PermissionDenied):
            services.referral_update(
                actor=actor, client=record, referral=referral, status="declined"
            )
    assert _counts() == (1, 1, 0)


def test_sharing_without_a_consent_is_refused(therapist: User, record: Client) -> None:
    with pytest.raises(ValidationError) as error:
        _offer(therapist, record, status="referred", share=True, consent=None, shared=SHARED)

    assert error.value.messages == [
        f"No consent in force allows information to be shared with {PROGRAM}. Record the "
        "client's written consent (on the Consents tab) first, or refer without sharing "
        "information."
    ]
    assert _counts() == (0, 0, 0)
    assert AuditEvent.objects.filter(action__startswith="referral.").count() == 0


@pytest.mark.parametrize(
    ("consent_values", "message"),
    [
        (
            {"revoked_on": TODAY - datetime.timedelta(days=1), "revoked_by": "The client"},
            "This consent was revoked on",
        ),
        (
            {
                "effective_on": TODAY - datetime.timedelta(days=400),
                "signed_on": TODAY - datetime.timedelta(days=400),
                "expires_on": TODAY - datetime.timedelta(days=1),
            },
            "This consent expired on",
        ),
        (
            {"effective_on": TODAY + datetime.timedelta(days=2)},
            "This consent is not in force until",
        ),
        ({"scope": Consent.Scope.ATTENDANCE}, "This consent allows “Attendance only"),
        ({"scope": Consent.Scope.COUNSELING_NOTES}, "This consent allows “Counseling notes"),
        ({"recipient": "County Probation"}, "This consent names “County Probation”"),
    ],
)
def test_sharing_under_a_consent_that_does_not_allow_it_is_refused(
    therapist: User, record: Client, consent_values: dict, message: str
) -> None:
    consent = ProgramConsentFactory(client=record, **consent_values)
    referral = _offer(therapist, record)

    with pytest.raises(ValidationError) as error:
        services.referral_update(
            actor=therapist,
            client=record,
            referral=referral,
            status="referred",
            share=True,
            consent=consent,
            shared=SHARED,
        )

    assert error.value.messages[0].startswith(message)
    assert _counts() == (1, 1, 0)
    assert ServiceReferral.objects.get().status == "suggested"


def test_another_clients_consent_is_refused(therapist: User, record: Client) -> None:
    consent = ProgramConsentFactory(client__therapist=therapist)
    with pytest.raises(ValidationError) as error:
        _offer(therapist, record, share=True, consent=consent, shared=SHARED)
    assert error.value.messages == ["This consent belongs to another client's record."]
    assert _counts() == (0, 0, 0)


def test_sharing_under_a_consent_records_the_disclosure(therapist: User, record: Client) -> None:
    consent = ProgramConsentFactory(client=record)
    referral = _offer(therapist, record)

    services.referral_update(
        actor=therapist,
        client=record,
        referral=referral,
        status="referred",
        share=True,
        consent=consent,
        shared=SHARED,
    )

    disclosure = Disclosure.objects.get()
    step = ReferralStatusChange.objects.get(status="referred")
    assert step.disclosure_id == disclosure.pk
    assert (
        disclosure.what,
        disclosure.client_id,
        disclosure.consent_id,
        disclosure.recipient,
        disclosure.shared,
        disclosure.period_start,
        disclosure.disclosed_by_id,
    ) == ("referral", record.pk, consent.pk, consent.recipient, SHARED, TODAY, therapist.pk)
    document = f"{SHARED}\n\n{REDISCLOSURE_NOTICE}"
    assert disclosure.sha256 == hashlib.sha256(document.encode()).hexdigest()
    event = AuditEvent.objects.get(action="disclosure.referral")
    assert event.changes == {"consent": [None, consent.pk], "sha256": [None, disclosure.sha256]}


def test_sharing_needs_a_description(therapist: User, record: Client) -> None:
    consent = ProgramConsentFactory(client=record)
    with pytest.raises(ValidationError) as error:
        _offer(therapist, record, share=True, consent=consent, shared="  ")
    assert error.value.messages == ["Describe what information is shared with the referral."]
    assert _counts() == (0, 0, 0)


def test_steps_are_append_only(therapist: User, record: Client) -> None:
    step = _offer(therapist, record).changes.get()
    step.status = Status.LINKED
    with pytest.raises(ReferralImmutableError):
        step.save()
    with pytest.raises(ReferralImmutableError):
        step.delete()
