"""Tokens: made random, stored only as a hash, one submission, expiry at its edge, withdrawal,
wrong token; answers land in the chart through assessments' own service, marked as reported by
the client; PHQ-9 question 9 opens the risk flag and reminds the team at once."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.measures import MEASURES
from assessments.models import Administration
from clients.models import Client
from hrp import clinic
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from notifications.models import Reminder
from notifications.sms import LocmemSmsBackend
from risk.models import RiskFlag
from selfreport import services
from selfreport.models import ClientLink
from selfreport.services import LinkUnavailable
from tests.selfreport.helpers import PHQ9_ALL, PHQ9_NO_RISK

pytestmark = pytest.mark.django_db


def _send(therapist: User, record: Client, code: str = "PHQ9", language: str = "en"):
    return services.link_send(actor=therapist, client=record, measure_code=code, language=language)


def test_the_token_is_random_and_only_its_hash_is_stored(therapist: User, record: Client) -> None:
    link, token = _send(therapist, record)
    _other, other_token = _send(therapist, record)

    assert len(token) == 43  # token_urlsafe(32): 32 random bytes, base64url without padding
    assert token != other_token
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = ClientLink.objects.filter(pk=link.pk).values().get()
    assert token not in str(stored)
    assert token not in str(list(AuditEvent.objects.values()))


def test_the_message_carries_the_link_and_no_name_or_clinical_word(
    therapist: User, record: Client
) -> None:
    _link, token = _send(therapist, record)

    assert LocmemSmsBackend.outbox == [
        (
            "555-0100",
            f"You have a short check-in to fill in when it suits you: /r/{token}/ (HRP Clinic)",
        )
    ]


def test_the_spanish_message_is_in_spanish(therapist: User, record: Client) -> None:
    _link, token = _send(therapist, record, language="es")

    assert LocmemSmsBackend.outbox == [
        (
            "555-0100",
            "Tiene un breve cuestionario para responder cuando le venga bien: "
            f"/r/{token}/ (HRP Clinic)",
        )
    ]


def test_email_goes_by_email(therapist: User, record: Client) -> None:
    Client.objects.filter(pk=record.pk).update(reminder_channel="email", email="r@example.org")
    record.refresh_from_db()
    _link, token = _send(therapist, record)

    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (
            ["r@example.org"],
            "A short check-in",
            f"You have a short check-in to fill in when it suits you: /r/{token}/ (HRP Clinic)",
        )
    ]
    assert LocmemSmsBackend.outbox == []


@pytest.mark.parametrize(
    ("may_contact", "channel", "message"),
    [
        (False, "sms", "The client has not agreed to be contacted."),
        (True, "", "The client has no way to receive messages from the clinic"),
    ],
)
def test_no_consent_or_no_channel_sends_nothing_and_stores_nothing(
    therapist: User, record: Client, may_contact: bool, channel: str, message: str
) -> None:
    Client.objects.filter(pk=record.pk).update(may_contact=may_contact, reminder_channel=channel)
    record.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        _send(therapist, record)

    assert refused.value.messages[0].startswith(message)
    assert ClientLink.objects.count() == 0
    assert LocmemSmsBackend.outbox == []


def test_only_the_treating_clinician_sends(
    other_therapist: User, supervisor: User, record: Client
) -> None:
    for user in (other_therapist, supervisor):
        with pytest.raises(PermissionDenied):
            _send(user, record)
    assert ClientLink.objects.count() == 0
    assert LocmemSmsBackend.outbox == []


def test_answers_land_in_the_chart_as_reported_by_the_client(
    therapist: User, record: Client
) -> None:
    in_session = assessment_services.administration_record(
        actor=therapist,
        client=record,
        measure_code="PHQ9",
        answers={**PHQ9_NO_RISK, **{f"q{i}": "2" for i in range(1, 9)}},
        administered_at=timezone.now() - datetime.timedelta(days=28),
    )
    link, token = _send(therapist, record)

    link, administration = services.link_submit(token=token, answers=PHQ9_NO_RISK)

    administration.refresh_from_db()
    assert administration.source == Administration.Source.CLIENT
    assert administration.administered_by == therapist
    assert (administration.measure_code, administration.score, administration.band) == (
        "PHQ9",
        8,
        "mild",
    )
    assert link.submitted_at == administration.administered_at
    assert link.administration == administration
    # The same trend the chart draws from answers given in session.
    trend = assessment_selectors.trend(record, MEASURES["PHQ9"])
    assert [(p.administration.source, p.score) for p in trend.points] == [
        ("clinician", 16),
        ("client", 8),
    ]
    assert in_session.source == "clinician"
    assert (trend.change_since_last, trend.meaningful_since_last) == (-8, True)
    assert list(
        AuditEvent.objects.filter(action="self_report.link_submit").values_list(
            "object_id", flat=True
        )
    ) == [str(link.pk)]


def test_one_submission(therapist: User, record: Client) -> None:
    _link, token = _send(therapist, record)
    services.link_submit(token=token, answers=PHQ9_NO_RISK)

    with pytest.raises(LinkUnavailable) as refused:
        services.link_submit(token=token, answers=PHQ9_NO_RISK)
    with pytest.raises(LinkUnavailable) as reopened:
        services.link_open(token=token)

    assert (refused.value.state, reopened.value.state) == ("answered", "answered")
    assert Administration.objects.count() == 1


def test_missing_answers_store_nothing_and_keep_the_link_open(
    therapist: User, record: Client
) -> None:
    link, token = _send(therapist, record)
    answers = dict(PHQ9_NO_RISK)
    del answers["q4"]

    with pytest.raises(ValidationError) as refused:
        services.link_submit(token=token, answers=answers)

    assert list(refused.value.message_dict) == ["q4"]
    assert Administration.objects.count() == 0
    link.refresh_from_db()
    assert (link.submitted_at, link.state()) == (None, "open")


def test_expiry_at_its_edge(therapist: User, record: Client) -> None:
    link, token = _send(therapist, record)
    assert link.expires_at - link.created_at == datetime.timedelta(days=7)

    ClientLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    assert services.link_open(token=token).pk == link.pk  # a moment before: open

    ClientLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    with pytest.raises(LinkUnavailable) as refused:
        services.link_submit(token=token, answers=PHQ9_NO_RISK)
    assert refused.value.state == "expired"
    assert Administration.objects.count() == 0


def test_the_clinic_sets_how_long_links_stay_open(therapist: User, record: Client) -> None:
    clinic.store({"SELF_REPORT_LINK_DAYS": 3})
    link, _token = _send(therapist, record)

    assert link.expires_at - link.created_at == datetime.timedelta(days=3)


def test_withdrawn_link_does_not_work(therapist: User, record: Client) -> None:
    link, token = _send(therapist, record)

    services.link_revoke(actor=therapist, link=link)

    with pytest.raises(LinkUnavailable) as refused:
        services.link_submit(token=token, answers=PHQ9_NO_RISK)
    assert refused.value.state == "withdrawn"
    assert Administration.objects.count() == 0
    assert AuditEvent.objects.filter(action="self_report.link_revoke").count() == 1


def test_a_wrong_token_opens_nothing(therapist: User, record: Client) -> None:
    _link, token = _send(therapist, record)

    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 43):
        with pytest.raises(LinkUnavailable) as refused:
            services.link_open(token=wrong)
        assert refused.value.state == "unknown"


def test_a_reassigned_client_s_old_link_no_longer_writes(
    therapist: User, other_therapist: User, record: Client
) -> None:
    _link, token = _send(therapist, record)
    Client.objects.filter(pk=record.pk).update(therapist=other_therapist)

    with pytest.raises(LinkUnavailable) as refused:
        services.link_submit(token=token, answers=PHQ9_NO_RISK)

    assert refused.value.state == "withdrawn"
    assert Administration.objects.count() == 0


def test_question_9_opens_the_flag_and_reminds_therapist_and_supervisor_at_once(
    therapist: User, supervisor: User, record: Client, django_capture_on_commit_callbacks
) -> None:
    _link, token = _send(therapist, record)

    # Sent right after commit (notify_now), not at the planner's next run.
    with django_capture_on_commit_callbacks(execute=True):
        _link, administration = services.link_submit(token=token, answers=PHQ9_ALL)

    flag = RiskFlag.objects.get()
    assert (flag.client_id, flag.kind, flag.level, flag.source_id) == (
        record.pk,
        "suicide",
        "some",
        administration.pk,
    )
    reminders = Reminder.objects.filter(kind="risk_acute", object_id=flag.pk)
    assert sorted((r.recipient_id, r.channel, r.status) for r in reminders) == sorted(
        [(therapist.pk, "in_app", "sent"), (supervisor.pk, "in_app", "sent")]
    )


def test_no_flag_without_question_9(therapist: User, record: Client) -> None:
    _link, token = _send(therapist, record)

    services.link_submit(token=token, answers=PHQ9_NO_RISK)

    assert RiskFlag.objects.count() == 0
    assert Reminder.objects.filter(kind="risk_acute").count() == 0
