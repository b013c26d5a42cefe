"""Producing an attendance report: refused (with the exact reason, recording nothing) without a
referral naming an agency, without a consent in force that names it and allows attendance, or
for a wrong period; otherwise recorded as a disclosure with an audit event."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import Client, Consent, Referral
from disclosures import selectors, services
from disclosures.models import Disclosure
from hrp import formats
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from tests.clients.factories import ClientFactory
from tests.disclosures.conftest import PERIOD_END, PERIOD_START
from tests.disclosures.factories import AgencyConsentFactory
from tests.sessions.factories import AppointmentFactory, at

TODAY = timezone.localdate()


def _date(value: datetime.date) -> str:

    return formats.date(value)


def _produce(
    user: User, record: Client, consent: Consent, **period: Any
) -> tuple[Disclosure, bytes]:
    return services.attendance_report(
        actor=user,
        client=record,
        consent=consent,
        start=period.get("start", PERIOD_START),
        end=period.get("end", PERIOD_END),
    )


def _refusal(user: User, record: Client, consent: Consent, **period: Any) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        _produce(user, record, consent, **period)
    assert Disclosure.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="disclosure.").count() == 0
    return raised.value.messages


YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)

INVALID_CONSENTS = {
    "expired yesterday": (
        {"expires_on": YESTERDAY},
        f"This consent expired on {_date(YESTERDAY)}: nothing may be disclosed under it.",
    ),
    "revoked": (
        {"revoked_on": YESTERDAY, "revoked_by": "The client"},
        f"This consent was revoked on {_date(YESTERDAY)}: nothing may be disclosed under it.",
    ),
    "not yet effective": (
        {"effective_on": TOMORROW},
        f"This consent is not in force until {_date(TOMORROW)}.",
    ),
    "names another agency": (
        {"recipient": "State Parole Board"},
        "This consent names “State Parole Board”, not the referring agency (County Probation).",
    ),
    "treatment summary": (
        {"scope": Consent.Scope.SUMMARY},
        "This consent allows “Treatment summary”, not attendance: an attendance report needs a "
        "consent to disclose attendance.",
    ),
    "other scope": (
        {"scope": Consent.Scope.OTHER, "scope_details": "Dates"},
        "This consent allows “Other (describe)”, not attendance: an attendance report needs a "
        "consent to disclose attendance.",
    ),
}


@pytest.mark.parametrize("case", list(INVALID_CONSENTS))
def test_refused_without_a_valid_consent(therapist: User, record: Client, case: str) -> None:
    values, message = INVALID_CONSENTS[case]
    if "scope" in values:
        # A clinical scope naming a mandated referral's agency can no longer be recorded
        # (tests/clients/test_consent_scope.py): one from before the mandate still can be
        # asked for, and is refused here too.
        mandate = Referral.objects.filter(client=record)
        kept = mandate.values("source", "mandate_kind", "agency").get()
        mandate.update(source=Referral.Source.SELF)
        consent = AgencyConsentFactory(client=record, **values)
        mandate.update(**kept)
    else:
        consent = AgencyConsentFactory(client=record, **values)

    assert list(selectors.valid_consents_for_report(record, TODAY)) == []
    assert _refusal(therapist, record, consent) == [message]


def test_consent_of_another_client_refused(therapist: User, record: Client) -> None:
    other = AgencyConsentFactory()

    assert _refusal(therapist, record, other) == [
        "This consent belongs to another client's record."
    ]


@pytest.mark.parametrize(
    "referral",
    [
        {"source": Referral.Source.SELF, "agency": ""},
        {"source": Referral.Source.MANDATED, "agency": "  "},
    ],
)
def test_refused_without_a_referral_naming_an_agency(
    therapist: User, referral: dict[str, str]
) -> None:
    record = ClientFactory(
        therapist=therapist, **{f"referral__{k}": v for k, v in referral.items()}
    )
    consent = AgencyConsentFactory(client=record)

    assert list(selectors.valid_consents_for_report(record, TODAY)) == []
    assert _refusal(therapist, record, consent) == [
        "An attendance report goes only to a referring agency, and this client's referral "
        "names none."
    ]


def test_refused_without_any_referral(therapist: User) -> None:
    record = ClientFactory(therapist=therapist, referral=None)
    consent = AgencyConsentFactory(client=record)

    assert _refusal(therapist, record, consent) == [
        "An attendance report goes only to a referring agency, and this client's referral "
        "names none."
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            datetime.date(2025, 3, 10),
            datetime.date(2025, 3, 9),
            "The end of the period must be on or after its start.",
        ),
        (
            TODAY - datetime.timedelta(days=10),
            TOMORROW,
            "The period cannot end after today: a report covers only what has happened.",
        ),
        (
            datetime.date(2024, 3, 1),
            datetime.date(2025, 3, 1),
            f"A report covers at most one year: choose an end on or before "
            f"{_date(datetime.date(2025, 2, 28))}.",
        ),
        (
            datetime.date(2024, 2, 29),
            datetime.date(2025, 3, 1),
            f"A report covers at most one year: choose an end on or before "
            f"{_date(datetime.date(2025, 2, 28))}.",
        ),
    ],
)
def test_refused_for_a_wrong_period(
    therapist: User,
    record: Client,
    consent: Consent,
    start: datetime.date,
    end: datetime.date,
    message: str,
) -> None:
    assert _refusal(therapist, record, consent, start=start, end=end) == [message]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2024, 3, 1), datetime.date(2025, 2, 28)),  # exactly one year
        (TODAY, TODAY),  # a single day, today
    ],
)
def test_longest_and_shortest_periods_allowed(
    therapist: User, record: Client, consent: Consent, start: datetime.date, end: datetime.date
) -> None:
    disclosure, _pdf = _produce(therapist, record, consent, start=start, end=end)

    assert (disclosure.period_start, disclosure.period_end) == (start, end)


def test_agency_matched_within_the_recipient_ignoring_case(therapist: User, record: Client) -> None:
    named = AgencyConsentFactory(client=record, recipient="kings COUNTY probation dept.")
    AgencyConsentFactory(client=record, recipient="County Parole")

    assert list(selectors.valid_consents_for_report(record, TODAY)) == [named]


def test_consent_valid_on_its_first_and_last_day(therapist: User, record: Client) -> None:
    first = AgencyConsentFactory(client=record, effective_on=TODAY, signed_on=TODAY)
    last = AgencyConsentFactory(
        client=record,
        effective_on=TODAY - datetime.timedelta(days=30),
        signed_on=TODAY - datetime.timedelta(days=30),
        expires_on=TODAY,
    )

    assert set(selectors.valid_consents_for_report(record, TODAY)) == {first, last}


def test_self_referred_client_with_an_agency_may_have_a_report(therapist: User) -> None:
    """The consent, not the mandate, allows the disclosure (see services' docstring)."""
    record = ClientFactory(
        therapist=therapist,
        referral__source=Referral.Source.SELF,
        referral__agency="Acme Employee Assistance",
    )
    consent = AgencyConsentFactory(client=record, recipient="Acme Employee Assistance Program")

    disclosure, _pdf = _produce(therapist, record, consent)

    assert disclosure.recipient == "Acme Employee Assistance Program"


def test_disclosure_recorded(therapist: User, record: Client, consent: Consent) -> None:
    AppointmentFactory(client=record, starts_at=at(PERIOD_START, "10:00"), status="attended")
    AppointmentFactory(client=record, starts_at=at(PERIOD_END, "10:00"), status="no_show")
    before = timezone.now()

    disclosure, pdf = _produce(therapist, record, consent)

    stored = Disclosure.objects.get()
    assert stored == disclosure
    assert {
        "client": stored.client_id,
        "consent": stored.consent_id,
        "recipient": stored.recipient,
        "what": stored.what,
        "period": (stored.period_start, stored.period_end),
        "counts": (
            stored.scheduled,
            stored.attended,
            stored.cancelled_by_client,
            stored.cancelled_by_clinic,
            stored.missed,
            stored.not_recorded,
            stored.moved,
        ),
        "disclosed_by": stored.disclosed_by_id,
        "sha256": stored.sha256,
    } == {
        "client": record.pk,
        "consent": consent.pk,
        "recipient": "Kings County Probation Department, Officer Lee",
        "what": "attendance_report",
        "period": (PERIOD_START, PERIOD_END),
        "counts": (2, 1, 0, 0, 1, 0, 0),
        "disclosed_by": therapist.pk,
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    assert before <= stored.disclosed_at <= timezone.now()
    assert pdf.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="disclosure.attendance_report")
    assert (
        event.category,
        event.actor_id,
        event.object_type,
        event.object_id,
        event.chart_number,
        event.changes,
        event.detail,
    ) == (
        "access",
        therapist.pk,
        "disclosures.disclosure",
        str(stored.pk),
        record.chart_number,
        {
            "consent": [None, consent.pk],
            "period_start": [None, PERIOD_START.isoformat()],
            "period_end": [None, PERIOD_END.isoformat()],
            "sha256": [None, stored.sha256],
        },
        "",
    )


def test_recipient_is_copied_from_the_consent_at_the_time(
    therapist: User, record: Client, consent: Consent
) -> None:
    disclosure, _pdf = _produce(therapist, record, consent)
    Consent.objects.filter(pk=consent.pk).update(recipient="County Probation (renamed)")

    assert Disclosure.objects.get(pk=disclosure.pk).recipient == (
        "Kings County Probation Department, Officer Lee"
    )
