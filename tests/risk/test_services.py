"""Following a flag up and resolving it (risk/services.py): who may, what changes, what is
refused and leaves nothing behind."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.audit.models import AuditEvent
from risk import services
from risk.models import ImmutableError, RiskFlag, RiskFollowUp
from tests.emergency.factories import EmergencyGrantFactory
from tests.risk.factories import RiskFlagFactory

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def flag(record: Client) -> RiskFlag:
    return RiskFlagFactory(client=record, opened_at=timezone.now() - 3 * HOUR)


def _state() -> tuple[list[dict], list[dict], int]:
    return (
        [model_to_dict(f) for f in RiskFlag.objects.order_by("pk")],
        [model_to_dict(f) for f in RiskFollowUp.objects.order_by("pk")],
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE).count(),
    )


def test_follow_ups_then_resolving(therapist: User, supervisor: User, flag: RiskFlag) -> None:
    first_at = timezone.now() - 2 * HOUR
    second_at = timezone.now() - HOUR

    services.risk_flag_follow_up(
        actor=therapist, flag=flag, action="Made a safety plan.", done_at=first_at
    )
    services.risk_flag_follow_up(
        actor=supervisor, flag=flag, action="Talked it over with the therapist.", done_at=second_at
    )
    flag.refresh_from_db()
    assert (flag.state, flag.last_follow_up_at) == ("followed_up", second_at)

    resolved = services.risk_flag_resolve(
        actor=therapist, flag=flag, resolution="The plan is in place; the client feels safe."
    )

    flag.refresh_from_db()
    assert (flag.state, flag.resolved_by, flag.resolution) == (
        "resolved",
        therapist,
        "The plan is in place; the client feels safe.",
    )
    assert flag.resolved_at == resolved.resolved_at
    assert list(flag.follow_ups.values_list("action", "done_at", "recorded_by")) == [
        ("Made a safety plan.", first_at, therapist.pk),
        ("Talked it over with the therapist.", second_at, supervisor.pk),
    ]
    assert list(
        AuditEvent.objects.filter(category=AuditEvent.Category.CHANGE)
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["risk.follow_up", "risk.follow_up", "risk.resolve"]


def test_resolving_needs_a_follow_up_first(therapist: User, flag: RiskFlag) -> None:
    before = _state()
    with pytest.raises(ValidationError) as error:
        services.risk_flag_resolve(actor=therapist, flag=flag, resolution="Fine now.")
    assert error.value.messages == ["Record what was done before resolving the flag."]
    assert _state() == before


def test_a_resolved_flag_takes_no_more_follow_ups(therapist: User, flag: RiskFlag) -> None:
    services.risk_flag_follow_up(
        actor=therapist, flag=flag, action="Called.", done_at=timezone.now()
    )
    services.risk_flag_resolve(actor=therapist, flag=flag, resolution="Safe now.")
    before = _state()

    with pytest.raises(ValidationError) as error:
        services.risk_flag_follow_up(
            actor=therapist, flag=flag, action="Called again.", done_at=timezone.now()
        )

    assert error.value.messages == ["This flag is resolved: it takes no more follow-ups."]
    assert _state() == before


@pytest.mark.parametrize(
    "action, when, message",
    [
        ("", 0, {"action": ["Describe what was done."]}),
        ("Called.", 2, {"done_at": ["The follow-up cannot be in the future."]}),
        ("Called.", -5, {"done_at": ["The follow-up cannot be before the flag was opened."]}),
    ],
)
def test_an_incomplete_follow_up_is_refused(
    therapist: User, flag: RiskFlag, action: str, when: int, message: dict
) -> None:
    before = _state()
    with pytest.raises(ValidationError) as error:
        services.risk_flag_follow_up(
            actor=therapist, flag=flag, action=action, done_at=timezone.now() + when * HOUR
        )
    assert error.value.message_dict == message
    assert _state() == before


def test_the_supervisor_follows_up_but_does_not_resolve(
    therapist: User, supervisor: User, flag: RiskFlag
) -> None:
    services.risk_flag_follow_up(
        actor=supervisor, flag=flag, action="Called the client.", done_at=timezone.now()
    )
    before = _state()

    with pytest.raises(PermissionDenied):
        services.risk_flag_resolve(actor=supervisor, flag=flag, resolution="Safe now.")

    assert _state() == before


@pytest.mark.parametrize("who", ["other_therapist", "other_supervisor", "clinic_admin", "grant"])
def test_outside_the_care_team_nobody_follows_up_or_resolves(
    request: pytest.FixtureRequest, flag: RiskFlag, who: str
) -> None:
    if who == "grant":
        user = request.getfixturevalue("other_therapist")
        EmergencyGrantFactory(user=user, client=flag.client)
    else:
        user = request.getfixturevalue(who)
    before = _state()

    with pytest.raises(PermissionDenied):
        services.risk_flag_follow_up(actor=user, flag=flag, action="x", done_at=timezone.now())
    with pytest.raises(PermissionDenied):
        services.risk_flag_resolve(actor=user, flag=flag, resolution="x")

    assert _state() == before


def test_a_follow_up_is_never_changed_or_deleted(therapist: User, flag: RiskFlag) -> None:
    follow_up = services.risk_flag_follow_up(
        actor=therapist, flag=flag, action="Called.", done_at=timezone.now()
    )
    follow_up.action = "Something else."
    with pytest.raises(ImmutableError):
        follow_up.save()
    with pytest.raises(ImmutableError):
        follow_up.delete()
    assert RiskFollowUp.objects.get().action == "Called."


def test_follow_up_and_resolution_text_is_encrypted_at_rest(
    therapist: User, flag: RiskFlag
) -> None:
    services.risk_flag_follow_up(
        actor=therapist, flag=flag, action="Made a safety plan.", done_at=timezone.now()
    )
    services.risk_flag_resolve(actor=therapist, flag=flag, resolution="Feels safe.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM risk_riskfollowup")
        (action,) = cursor.fetchone()
        cursor.execute("SELECT resolution FROM risk_riskflag")
        (resolution,) = cursor.fetchone()
    assert action.startswith("enc1:") and resolution.startswith("enc1:")
