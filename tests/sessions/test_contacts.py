"""Contacts outside sessions (sessions.OutsideContact): recorded as a draft by the treating
clinician, signed with the password and then locked like a session note (the service, the
model and the database trigger all refuse a change), co-signed for a therapist who needs it,
corrected by addenda; a collateral contact needs a consent in force that covers it; a signed
contact counts as the client's last contact; the Timeline and the Overview read them."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clients import extensions
from clients.models import Client, Consent
from hrp import access, bounds
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk.models import RiskFlag
from sessions import selectors, services
from sessions.models import (
    ContactAddendum,
    ContactReview,
    NoteLockedError,
    OutsideContact,
)
from sessions.services import ContactConflict
from tests.clients.factories import ClientFactory, ConsentFactory
from tests.factories import TEST_PASSWORD
from tests.goals.helpers import table
from tests.sessions.factories import (
    AttendedAppointmentFactory,
    OutsideContactFactory,
    at,
    days_from_today,
    sign_contact,
)

ClientFor = Callable[[User | None], HttpClient]


def _values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "phone",
        "occurred_at": at(days_from_today(-1), "15:00"),
        "duration_minutes": 10,
        "with_whom": "",
        "consent": None,
        "summary": "Called to say the week went to plan.",
        "overdose_risk": "",
        "suicide_risk": "",
        "risk_actions": "",
    }
    values.update(overrides)
    return values


def _family_consent(record: Client, **overrides: Any) -> Consent:
    fields: dict[str, Any] = {
        "client": record,
        "recipient": "Sam, partner",
        "purpose": "Support the plan",
        "scope": Consent.Scope.OTHER,
        "scope_details": "How the plan is going.",
    }
    fields.update(overrides)
    return ConsentFactory(**fields)


def _stored() -> list[dict[str, Any]]:
    return [model_to_dict(c) for c in OutsideContact.objects.order_by("pk")]


# --- Recording and signing ---------------------------------------------------------------------


def test_a_contact_is_recorded_as_a_draft_and_signed_with_a_hash(
    therapist: User, record: Client
) -> None:
    contact = services.contact_create(actor=therapist, client=record, values=_values())

    signed = sign_contact(contact)

    stored = OutsideContact.objects.get(pk=contact.pk)
    assert (stored.status, stored.signed_by, stored.version) == ("signed", therapist, 2)
    assert stored.content_hash == stored.compute_hash()
    assert len(stored.content_hash) == 64
    assert stored.hash_verified() is True
    assert signed.summary == "Called to say the week went to plan."
    actions = list(
        AuditEvent.objects.filter(object_id=str(contact.pk), action__startswith="contact.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["contact.create", "contact.sign"]


def test_signing_checks_the_password_and_a_wrong_one_changes_nothing(
    therapist: User, record: Client
) -> None:
    therapist.set_password(TEST_PASSWORD)
    therapist.save(update_fields=["password"])
    contact = OutsideContactFactory(client=record)
    before = _stored()

    with pytest.raises(ValidationError) as refused:
        services.contact_sign(
            actor=therapist, contact=contact, password="not-it", expected_version=1
        )

    assert refused.value.message_dict == {
        "password": ["That password is not right. The contact is still a draft."]
    }
    assert _stored() == before
    assert AuditEvent.objects.filter(action="contact.sign_refused").count() == 1
    signed = services.contact_sign(
        actor=therapist, contact=contact, password=TEST_PASSWORD, expected_version=1
    )
    assert signed.status == "signed"


def test_a_signed_contact_refuses_every_change(therapist: User, record: Client) -> None:
    contact = sign_contact(OutsideContactFactory(client=record))
    before = _stored()

    with pytest.raises(NoteLockedError):
        services.contact_save(
            actor=therapist,
            contact=contact,
            expected_version=contact.version,
            values=_values(summary="Changed after signing."),
        )
    stale = OutsideContact.objects.get(pk=contact.pk)
    stale.summary = "Changed through the model."
    with pytest.raises(NoteLockedError):
        stale.save()
    with pytest.raises(NoteLockedError):
        stale.delete()
    # The database refuses it too, whatever the Python code does.
    with (
        pytest.raises(IntegrityError, match="signed session notes are locked"),
        transaction.atomic(),
    ):
        OutsideContact.objects.filter(pk=contact.pk).update(duration_minutes=99)

    assert _stored() == before


def test_a_signed_contact_takes_addenda_and_they_are_sealed(
    therapist: User, record: Client
) -> None:
    contact = sign_contact(OutsideContactFactory(client=record))

    addendum = services.contact_add_addendum(
        actor=therapist, contact=contact, text="  The call was at 15:30, not 15:00.  "
    )
    again = services.contact_add_addendum(
        actor=therapist, contact=contact, text="The call was at 15:30, not 15:00."
    )

    assert again == addendum
    assert list(ContactAddendum.objects.values_list("text", flat=True)) == [
        "The call was at 15:30, not 15:00."
    ]
    assert addendum.hash_verified() is True
    with pytest.raises(NoteLockedError):
        ContactAddendum.objects.filter(pk=addendum.pk).update(text="x")


def test_an_addendum_is_for_a_signed_contact_only(therapist: User, record: Client) -> None:
    draft = OutsideContactFactory(client=record)

    with pytest.raises(ValidationError) as refused:
        services.contact_add_addendum(actor=therapist, contact=draft, text="More.")

    assert refused.value.messages == [
        "A draft is changed directly; addenda are for signed contacts."
    ]
    assert ContactAddendum.objects.count() == 0


def test_a_draft_saved_elsewhere_is_a_conflict_not_last_write_wins(
    therapist: User, record: Client
) -> None:
    contact = OutsideContactFactory(client=record)
    services.contact_save(
        actor=therapist, contact=contact, expected_version=1, values=_values(summary="First tab.")
    )

    with pytest.raises(ContactConflict):
        services.contact_save(
            actor=therapist,
            contact=contact,
            expected_version=1,
            values=_values(summary="Second tab."),
        )

    assert OutsideContact.objects.get(pk=contact.pk).summary == "First tab."


def test_only_the_treating_clinician_records_a_contact(
    other_therapist: User, supervisor: User, record: Client
) -> None:
    for actor in (other_therapist, supervisor):
        with pytest.raises(PermissionDenied):
            services.contact_create(actor=actor, client=record, values=_values())

    assert OutsideContact.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"kind": "letter"}, {"kind": ["Choose the kind of contact."]}),
        (
            {"occurred_at": timezone.now() + datetime.timedelta(hours=2)},
            {"occurred_at": ["A contact is recorded once it has happened: check the time."]},
        ),
        ({"duration_minutes": 481}, {"duration_minutes": ["Enter the minutes, from 1 to 480."]}),
        (
            {"summary": "x" * 5001},
            {"summary": ["This is limited to 5,000 characters (it has 5001)."]},
        ),
    ],
)
def test_what_a_contact_may_hold(
    therapist: User, record: Client, overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.contact_create(actor=therapist, client=record, values=_values(**overrides))

    assert refused.value.message_dict == errors
    assert OutsideContact.objects.count() == 0


def test_a_contact_date_older_than_two_years_is_refused(therapist: User, record: Client) -> None:
    long_ago = at(days_from_today(-800), "10:00")

    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            actor=therapist, client=record, values=_values(occurred_at=long_ago)
        )

    assert list(refused.value.message_dict) == ["occurred_at"]
    assert refused.value.message_dict["occurred_at"][0].startswith(
        "Contacts can be recorded back to "
    )


def test_a_crisis_contact_records_the_risk_before_signing(therapist: User, record: Client) -> None:
    contact = OutsideContactFactory(client=record, kind="crisis")

    assert services.contact_sign_problems(contact) == [
        "A crisis contact records the overdose risk and suicidal thoughts "
        "(“None noted” is a choice)."
    ]
    contact = services.contact_save(
        actor=therapist,
        contact=contact,
        expected_version=1,
        values=_values(kind="crisis", overdose_risk="acute", suicide_risk="none"),
    )
    assert services.contact_sign_problems(contact) == [
        "Say what actions were taken about the risk recorded."
    ]
    contact = services.contact_save(
        actor=therapist,
        contact=contact,
        expected_version=2,
        values=_values(
            kind="crisis",
            overdose_risk="acute",
            suicide_risk="none",
            risk_actions="Checked naloxone; agreed a buddy.",
        ),
    )
    assert services.contact_sign_problems(contact) == []
    with pytest.raises(ValidationError):
        sign_contact(OutsideContactFactory(client=record, kind="crisis"))


def test_a_signed_contact_with_risk_opens_one_flag_per_kind(
    therapist: User, record: Client
) -> None:
    """A crisis call that records acute overdose risk and some suicidal thoughts is a risk
    source like a session note: one flag per kind, at the recorded level, found again (not
    doubled) if the service runs twice."""
    contact = OutsideContactFactory(
        client=record,
        kind="crisis",
        overdose_risk="acute",
        suicide_risk="some",
        risk_actions="Checked naloxone; agreed a buddy.",
    )
    signed = sign_contact(contact)
    services._raise_risk_flags(actor=therapist, note=signed, source_key=services.CONTACT_SOURCE)

    flags = RiskFlag.objects.filter(client=record).order_by("kind")
    assert [(f.kind, f.level, f.source_key, f.source_id) for f in flags] == [
        ("overdose", "acute", "sessions.contact", signed.pk),
        ("suicide", "some", "sessions.contact", signed.pk),
    ]


def test_other_kinds_sign_without_risk_answers(record: Client) -> None:
    for kind in ("phone", "text", "video", "outreach"):
        contact = sign_contact(OutsideContactFactory(client=record, kind=kind))
        assert contact.status == "signed"


# --- Collateral contacts and consent ------------------------------------------------------------


def test_a_collateral_contact_under_a_consent_in_force_is_recorded(
    therapist: User, record: Client
) -> None:
    consent = _family_consent(record)

    contact = services.contact_create(
        actor=therapist,
        client=record,
        values=_values(kind="collateral", with_whom="Sam, partner", consent=consent),
    )

    assert (contact.consent, contact.with_whom) == (consent, "Sam, partner")
    assert sign_contact(contact).status == "signed"


NO_CONSENT = (
    "A collateral contact needs the client's consent to talk with this person. Choose the "
    "consent, or record the consent first."
)


def _not_covering(day: datetime.date) -> str:
    return (
        f"This consent does not cover a conversation on {bounds.show_date(day)}: it is "
        "attendance-only, or was not in force that day (not yet effective, "
        "expired or revoked). Nothing was saved."
    )


def test_a_collateral_contact_without_a_consent_is_refused(therapist: User, record: Client) -> None:
    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            actor=therapist, client=record, values=_values(kind="collateral", with_whom="Sam")
        )

    assert refused.value.message_dict == {"consent": [NO_CONSENT]}
    assert OutsideContact.objects.count() == 0


@pytest.mark.parametrize(
    "consent_fields",
    [
        {"scope": Consent.Scope.ATTENDANCE},
        {
            "effective_on": days_from_today(-400),
            "signed_on": days_from_today(-400),
            "expires_on": days_from_today(-30),
        },
        {"effective_on": days_from_today(3), "expires_on": days_from_today(300)},
        {"revoked_on": days_from_today(-5), "revoked_by": "The client"},
    ],
    ids=["attendance-only", "expired", "not-yet-effective", "revoked-before"],
)
def test_a_collateral_contact_under_a_consent_not_covering_it_is_refused(
    therapist: User, record: Client, consent_fields: dict[str, Any]
) -> None:
    consent = _family_consent(record, **consent_fields)

    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            actor=therapist,
            client=record,
            values=_values(kind="collateral", with_whom="Sam", consent=consent),
        )

    assert refused.value.message_dict == {"consent": [_not_covering(days_from_today(-1))]}
    assert OutsideContact.objects.count() == 0


def test_another_clients_consent_never_covers_a_contact(therapist: User, record: Client) -> None:
    elsewhere = _family_consent(ClientFactory(therapist=therapist))

    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            actor=therapist,
            client=record,
            values=_values(kind="collateral", with_whom="Sam", consent=elsewhere),
        )

    assert list(refused.value.message_dict) == ["consent"]
    assert OutsideContact.objects.count() == 0


def test_a_revocation_after_the_contact_does_not_undo_it(therapist: User, record: Client) -> None:
    consent = _family_consent(record)
    contact = services.contact_create(
        actor=therapist,
        client=record,
        values=_values(
            kind="collateral",
            with_whom="Sam",
            consent=consent,
            occurred_at=at(days_from_today(-3), "11:00"),
        ),
    )
    Consent.objects.filter(pk=consent.pk).update(
        revoked_on=days_from_today(-1), revoked_by="The client"
    )
    contact.refresh_from_db()

    assert services.contact_sign_problems(contact) == []
    assert sign_contact(contact).status == "signed"


def test_a_consent_revoked_before_signing_stops_the_signature(
    therapist: User, record: Client
) -> None:
    consent = _family_consent(record)
    contact = services.contact_create(
        actor=therapist,
        client=record,
        values=_values(kind="collateral", with_whom="Sam", consent=consent),
    )
    # Revoked with an earlier date than the contact (recorded late).
    Consent.objects.filter(pk=consent.pk).update(
        revoked_on=days_from_today(-2), revoked_by="The client"
    )
    contact.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        sign_contact(contact)

    assert refused.value.messages == [
        "A collateral contact needs a consent in force on the day of the contact."
    ]
    assert OutsideContact.objects.get(pk=contact.pk).status == "draft"


def test_other_kinds_keep_no_third_party_or_consent(therapist: User, record: Client) -> None:
    consent = _family_consent(record)

    contact = services.contact_create(
        actor=therapist,
        client=record,
        values=_values(kind="phone", with_whom="Sam", consent=consent),
    )

    assert (contact.with_whom, contact.consent) == ("", None)


def test_the_database_refuses_a_signed_collateral_contact_without_consent(
    record: Client,
) -> None:
    contact = sign_contact(OutsideContactFactory(client=record))

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO therapy_sessions_outsidecontact (client_id, author_id, kind, "
            "occurred_at, with_whom, summary, overdose_risk, suicide_risk, risk_actions, "
            "status, version, created_at, updated_at, signed_at, content_hash) "
            "SELECT client_id, author_id, 'collateral', occurred_at, with_whom, summary, "
            "'', '', risk_actions, 'signed', 1, now(), now(), now(), content_hash "
            "FROM therapy_sessions_outsidecontact WHERE id = %s",
            [contact.pk],
        )


# --- Co-signature for a therapist who needs it ------------------------------------------------


@pytest.fixture
def trainee_contact(therapist: User, supervisor: User, record: Client) -> OutsideContact:
    User.objects.filter(pk=therapist.pk).update(requires_cosign=True)
    author = User.objects.get(pk=therapist.pk)
    return sign_contact(OutsideContactFactory(client=record, author=author))


def test_a_trainees_contact_waits_for_the_supervisor_and_is_co_signed(
    supervisor: User, trainee_contact: OutsideContact
) -> None:
    assert trainee_contact.status == "awaiting_cosign"
    assert list(selectors.contact_cosign_queue(supervisor=supervisor)) == [trainee_contact]

    cosigned = services.contact_cosign_verified(actor=supervisor, contact=trainee_contact)

    assert (cosigned.status, cosigned.cosigned_by) == ("cosigned", supervisor)
    assert OutsideContact.objects.get(pk=cosigned.pk).hash_verified() is True
    assert list(ContactReview.objects.values_list("decision", flat=True)) == ["cosigned"]
    assert list(selectors.contact_cosign_queue(supervisor=supervisor)) == []


def test_a_returned_contact_reopens_as_a_draft_and_stops_counting(
    supervisor: User, other_supervisor: User, trainee_contact: OutsideContact, record: Client
) -> None:
    with pytest.raises(PermissionDenied):
        services.contact_return(actor=other_supervisor, contact=trainee_contact, comments="No.")

    returned = services.contact_return(
        actor=supervisor, contact=trainee_contact, comments="Add what was agreed."
    )

    assert (returned.status, returned.signed_at, returned.content_hash) == ("draft", None, "")
    assert list(ContactReview.objects.values_list("decision", "comments")) == [
        ("returned", "Add what was agreed.")
    ]
    assert selectors.last_contact(Client.objects.get(pk=record.pk)) is None
    drafts = selectors.contacts_of(author=returned.author)["contact_drafts"]
    assert [(c.pk, c.returns) for c in drafts] == [(returned.pk, 1)]


def test_co_signing_needs_the_supervisors_password(
    supervisor: User, trainee_contact: OutsideContact
) -> None:
    supervisor.set_password(TEST_PASSWORD)
    supervisor.save(update_fields=["password"])

    with pytest.raises(ValidationError):
        services.contact_cosign(actor=supervisor, contact=trainee_contact, password="nope")
    assert OutsideContact.objects.get(pk=trainee_contact.pk).status == "awaiting_cosign"

    services.contact_cosign(actor=supervisor, contact=trainee_contact, password=TEST_PASSWORD)
    assert OutsideContact.objects.get(pk=trainee_contact.pk).status == "cosigned"


# --- Counted as contact --------------------------------------------------------------------------


def test_last_contact_is_the_latest_of_sessions_and_signed_contacts(
    therapist: User, record: Client
) -> None:
    AttendedAppointmentFactory(client=record, starts_at=at(days_from_today(-6), "10:00"))
    call = sign_contact(
        OutsideContactFactory(client=record, occurred_at=at(days_from_today(-3), "15:00"))
    )
    # A later draft is not yet part of the record; a later unsigned call does not count.
    OutsideContactFactory(client=record, occurred_at=at(days_from_today(-1), "09:00"))

    def last() -> selectors.LastContact | None:
        return selectors.last_contact(Client.objects.get(pk=record.pk))

    assert last() == selectors.LastContact(at=call.occurred_at, kind="phone")
    assert last().kind_label == "Phone call"

    session = AttendedAppointmentFactory(client=record, starts_at=at(days_from_today(-2), "10:00"))
    assert last() == selectors.LastContact(at=session.starts_at)
    assert last().kind_label == ""


def test_the_caseload_shows_a_signed_contact_as_last_contact(
    client_for: ClientFor, therapist: User, record: Client
) -> None:
    AttendedAppointmentFactory(client=record, starts_at=at(days_from_today(-6), "10:00"))
    call = sign_contact(
        OutsideContactFactory(
            client=record,
            kind="crisis",
            overdose_risk="none",
            suicide_risk="none",
            occurred_at=at(days_from_today(-3), "15:00"),
        )
    )

    response = client_for(therapist).get(reverse("clients:caseload"))

    header, rows = table(response)
    shown = timezone.localtime(call.occurred_at)
    expected = f"{shown.day} {shown:%b %Y} Crisis contact"
    assert [row[header.index("Last contact")] for row in rows] == [expected]


def test_a_client_with_no_contact_of_either_kind_has_none(record: Client) -> None:
    OutsideContactFactory(client=record)  # a draft

    assert selectors.last_contact(Client.objects.get(pk=record.pk)) is None


# --- Timeline and Overview ----------------------------------------------------------------------


def test_the_timeline_source_lists_signed_contacts_only(therapist: User, record: Client) -> None:
    consent = _family_consent(record)
    collateral = sign_contact(
        services.contact_create(
            actor=therapist,
            client=record,
            values=_values(
                kind="collateral",
                with_whom="Sam, partner",
                consent=consent,
                duration_minutes=20,
                overdose_risk="some",
                suicide_risk="none",
                risk_actions="Talked about naloxone.",
            ),
        )
    )
    OutsideContactFactory(client=record)  # a draft
    source = extensions.TIMELINE_SOURCES["contacts"]

    rows = list(source.rows(record).values_list("pk", "timeline_at"))
    entries = source.load([collateral.pk])

    assert rows == [(collateral.pk, collateral.occurred_at)]
    assert entries == {
        collateral.pk: extensions.TimelineEntry(
            at=collateral.occurred_at,
            title="Collateral contact (with consent)",
            detail="20 minutes · under the consent to Sam, partner · overdose risk: Some",
            url=reverse("sessions:contact", args=[record.pk, collateral.pk]),
            who="Tess Therapist",
        )
    }


def test_the_timeline_load_costs_one_query(record: Client, django_assert_num_queries: Any) -> None:
    pks = [sign_contact(OutsideContactFactory(client=record)).pk for _ in range(4)]
    source = extensions.TIMELINE_SOURCES["contacts"]

    with django_assert_num_queries(1):
        one = source.load(pks[:1])
    with django_assert_num_queries(1):
        many = source.load(pks)

    assert (len(one), len(many)) == (1, 4)


def test_the_overview_panel_shows_the_latest_three_signed_contacts(
    therapist: User, supervisor: User, record: Client, django_assert_num_queries: Any
) -> None:
    panel = extensions.OVERVIEW_PANELS["contacts"]

    reader = access.access_to(supervisor, record)
    writer = access.access_to(therapist, record)
    assert panel.context(record, reader) is None
    assert panel.context(record, writer) == {"contacts": []}

    made = [
        sign_contact(
            OutsideContactFactory(client=record, occurred_at=at(days_from_today(-d), "15:00"))
        )
        for d in (5, 4, 3, 2)
    ]
    with django_assert_num_queries(1):
        shown = panel.context(record, reader)

    assert [c.pk for c in shown["contacts"]] == [made[3].pk, made[2].pk, made[1].pk]


# --- Key rotation ------------------------------------------------------------------------------


def test_key_rotation_rewrites_a_signed_contact_and_its_addendum(
    therapist: User, record: Client
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]):
        contact = sign_contact(OutsideContactFactory(client=record, risk_actions="Called back."))
        services.contact_add_addendum(actor=therapist, contact=contact, text="Ten minutes.")
    out = io.StringIO()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("rotate_keys", stdout=out)
        lines = [line for line in out.getvalue().splitlines() if "Contact" in line]

        assert lines == [
            "therapy_sessions.ContactAddendum: checked 1, re-encrypted 1",
            "therapy_sessions.ContactReview: checked 0, re-encrypted 0",
            "therapy_sessions.OutsideContact: checked 1, re-encrypted 1",
        ]
        stored = OutsideContact.objects.get(pk=contact.pk)
        assert (stored.summary, stored.hash_verified()) == (contact.summary, True)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert OutsideContact.objects.get(pk=contact.pk).risk_actions == "Called back."
