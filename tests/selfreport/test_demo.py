"""The demo clinic's self-report (selfreport/demo.py): links of each kind with their answers,
an open and a withdrawn link, a schedule of each timing and a shared plan, for clients who
agreed to be contacted and have a reminder channel; a second seed adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django import Settings

from assessments.models import Administration
from goals.models import UseCheckIn
from hrp.audit.models import AuditEvent
from selfreport.demo import seed_demo_selfreport
from selfreport.kinds import last_week
from selfreport.models import ClientLink, LinkSchedule, PlanShare, PracticeLog, UseDiary
from sessions.models import Appointment, ClientSessionRating


def _counts() -> dict[str, int]:
    return {
        "links": ClientLink.objects.count(),
        "schedules": LinkSchedule.objects.count(),
        "shares": PlanShare.objects.count(),
        "practice_logs": PracticeLog.objects.count(),
        "diaries": UseDiary.objects.count(),
        "client_ratings": ClientSessionRating.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_the_demo_has_links_of_each_kind_in_each_state(demo_clinic) -> None:
    links = list(ClientLink.objects.select_related("client").order_by("id"))
    states = {(link.kind, link.measure_code, link.state()) for link in links}
    assert states == {
        ("measure", "PHQ9", "answered"),
        ("measure", "GAD7", "open"),
        ("measure", "AUDITC", "withdrawn"),
        ("use_diary", "", "answered"),
        ("session_rating", "", "answered"),
        ("practice_log", "", "answered"),
    }
    for link in links:
        # Only with the client's agreement, by the channel they chose, in the treating
        # clinician's name.
        assert link.client.may_contact is True
        assert link.channel == link.client.reminder_channel == "sms"
        assert link.created_by_id == link.client.therapist_id
    # Nobody has looked yet: the caseload says "New from the client".
    answered = [link for link in links if link.submitted_at is not None]
    assert len(answered) == 4
    assert all(link.seen_at is None for link in answered)

    phq9 = next(link for link in links if link.measure_code == "PHQ9")
    assert phq9.administration.source == Administration.Source.CLIENT
    assert phq9.administration.measure_code == "PHQ9"
    assert phq9.administration.suicide_risk is False

    rating = next(link for link in links if link.kind == "session_rating")
    assert rating.session_rating.appointment_id == rating.appointment_id
    assert rating.appointment.status == Appointment.Status.ATTENDED

    diary = next(link for link in links if link.kind == "use_diary")
    assert diary.week_start == diary.use_diary.week_start == last_week()
    assert UseCheckIn.objects.filter(
        client=diary.client, week_start=last_week(), source=UseCheckIn.Source.CLIENT
    ).exists()

    practice = next(link for link in links if link.kind == "practice_log")
    assert len(practice.practice_log.days) == 3
    # The Spanish-speaking client's links and page are in Spanish.
    assert practice.client.preferred_language == practice.language == "es"


def test_the_demo_has_a_schedule_of_each_timing_and_a_shared_plan(demo_clinic) -> None:
    schedules = list(LinkSchedule.objects.order_by("id"))
    assert sorted(s.timing for s in schedules) == ["before_session", "every_weeks"]
    assert all(s.stopped_at is None for s in schedules)
    before = next(s for s in schedules if s.timing == "before_session")
    assert (before.days_before, before.language) == (2, "es")

    share = PlanShare.objects.select_related("client").get()
    assert share.state() == "open"
    assert share.kind == PlanShare.Kind.SAFETY
    assert share.version is not None
    assert share.channel == share.client.reminder_channel == "sms"


def test_seeding_again_adds_nothing(demo_clinic, settings: Settings) -> None:
    settings.DEMO_MODE = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    before = _counts()

    call_command("seed_demo", stdout=StringIO())

    assert _counts() == before


@pytest.mark.django_db
def test_nothing_is_sent_without_demo_clients() -> None:
    assert seed_demo_selfreport(clients=[]) == 0
    assert not ClientLink.objects.exists()
