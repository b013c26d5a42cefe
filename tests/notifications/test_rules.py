"""Reminder rules by registration (notifications/extensions.py): each app registers, from its
ready(), one rule per reason with what to plan, when a planned row is no longer needed and what
it says; the sender and planner only iterate the registry, and planning costs the same number
of queries whatever the number of clients."""

from __future__ import annotations

import ast
import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from clients.models import Client
from hrp.accounts.models import User
from hrp.clinic import clinic_setting
from notifications import extensions, services
from notifications.extensions import ReminderRule
from notifications.models import Reminder
from tests.assessments.factories import AdministrationFactory, local_noon
from tests.clients.factories import ClientFactory
from tests.goals.factories import GoalFactory
from tests.notifications.helpers import planned
from tests.sessions.factories import AppointmentFactory, at

pytestmark = pytest.mark.django_db

# rule key: (module that declares it, kinds), in planning order.
REGISTERED = {
    "upcoming_session": (
        "sessions.reminders",
        ("session_day", "session_hour", "client_session"),
    ),
    "group_meeting_client": ("groups.reminders", ("client_group",)),
    "session_with_lower_tolerance": ("sessions.reminders", ("tolerance_session",)),
    "unsigned_note": ("sessions.reminders", ("note_unsigned",)),
    "goal_review": ("goals.reminders", ("review_due", "review_overdue")),
    "referral_follow_up": ("linkage.reminders", ("referral_follow_up",)),
    "tolerance_opens": ("safety.reminders", ("tolerance_opens",)),
    "medical_evaluation": ("notifications.reminders", ("medical_evaluation",)),
    "measure_due": ("assessments.reminders", ("measure_due",)),
    "cosign": ("sessions.reminders", ("cosign",)),
    "rating_alert": ("sessions.reminders", ("rating_alert",)),
    # suicide_risk: rows of the rule this one replaced, cancelled when due.
    "risk_flags": ("risk.reminders", ("risk_acute", "risk_open", "suicide_risk")),
    "emergency_access": ("notifications.reminders", ("emergency_access",)),
}
# Planning, whatever the number of clients: one query per rule's rows (cosign, rating alerts
# and suicide risk also read the current supervisions), the existing keys, the insert.
PLAN_QUERIES = 17


def test_each_app_registers_its_rules_in_planning_order() -> None:
    assert {
        rule.key: (type(rule).__module__, tuple(rule.kinds)) for rule in extensions.reminder_rules()
    } == REGISTERED
    assert [rule.key for rule in extensions.reminder_rules()] == list(REGISTERED)


def test_every_kind_belongs_to_exactly_one_rule() -> None:
    kinds = [kind for rule in extensions.reminder_rules() for kind in rule.kinds]
    assert sorted(kinds) == sorted(Reminder.Kind.values)
    for rule in extensions.reminder_rules():
        for kind in rule.kinds:
            assert extensions.rule_for(kind) is rule


def test_a_second_rule_for_a_kind_is_refused() -> None:
    class Copy(ReminderRule):
        key = "measure_due_again"
        kinds = (Reminder.Kind.MEASURE_DUE,)

    with pytest.raises(ValueError, match="already belongs to rule 'measure_due'"):
        extensions.register_reminder_rule(Copy())
    assert "measure_due_again" not in extensions.REMINDER_RULES


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_notifications_imports_no_clinical_app() -> None:
    """Dependencies point one way: the clinical apps plug their rules into notifications, which
    imports none of them (not even inside a function)."""
    app = Path(__file__).resolve().parents[2] / "notifications"
    modules = [p for p in app.rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 5
    imported = set().union(*(_imported_modules(p) for p in modules))
    assert imported & {"sessions", "goals", "assessments", "supervision", "summaries"} == set()


# --- Query counts and the grouped measure query ------------------------------------------------


def _busy_client(therapist: User) -> Client:
    """A client with a session tomorrow, a goal review coming up and a PHQ-9 falling due."""
    client = ClientFactory(therapist=therapist)
    now = timezone.now()
    AppointmentFactory(
        client=client,
        starts_at=now + datetime.timedelta(hours=20),
        created_at=now - datetime.timedelta(days=7),
    )
    GoalFactory(client=client, review_date=timezone.localdate() + datetime.timedelta(days=2))
    AdministrationFactory(client=client, measure_code="PHQ9", administered_at=local_noon(27))
    return client


@pytest.mark.parametrize("size", [1, 6])
def test_planning_queries_do_not_grow_with_the_clients(
    therapist: User, size: int, django_assert_num_queries
) -> None:
    for _ in range(size):
        _busy_client(therapist)
    clinic_setting("REMINDER_TIMINGS")  # a warm settings cache, as in a running clinic

    with django_assert_num_queries(PLAN_QUERIES):
        services.plan_reminders()

    assert Reminder.objects.filter(kind="measure_due").count() == size
    assert Reminder.objects.filter(kind="session_hour").count() == size


def test_measures_are_planned_from_each_measures_latest_current_administration(
    therapist: User,
) -> None:
    tomorrow_eight = at(timezone.localdate() + datetime.timedelta(days=1), "08:00")
    # Due: a PHQ-9 27 days ago (every 4 weeks), and a GAD-7 whose latest is corrected.
    due = ClientFactory(therapist=therapist)
    phq9 = AdministrationFactory(client=due, measure_code="PHQ9", administered_at=local_noon(27))
    typo = AdministrationFactory(client=due, measure_code="GAD7", administered_at=local_noon(27))
    corrected = AdministrationFactory(
        client=due,
        measure_code="GAD7",
        administered_at=local_noon(27),
        corrects=typo,
        correction_reason="Answer 3 entered on the wrong line.",
    )
    # Not due: a newer PHQ-9 today; a discharged client; a measure given yesterday.
    recent = ClientFactory(therapist=therapist)
    AdministrationFactory(client=recent, measure_code="PHQ9", administered_at=local_noon(27))
    AdministrationFactory(client=recent, measure_code="PHQ9", administered_at=local_noon(0))
    AdministrationFactory(client=recent, measure_code="GAD7", administered_at=local_noon(1))
    gone = ClientFactory(
        therapist=therapist,
        status=Client.Status.DISCHARGED,
        discharged_on=timezone.localdate(),
    )
    AdministrationFactory(client=gone, measure_code="PHQ9", administered_at=local_noon(27))

    services.plan_reminders()

    assert planned() == {
        ("measure_due", "in_app", therapist.pk, phq9.pk, tomorrow_eight),
        ("measure_due", "in_app", therapist.pk, corrected.pk, tomorrow_eight),
    }
