"""How apps add reminders without notifications depending on them.

Each app that has something to remind about (sessions, goals, assessments, and this app for
its own) declares one ReminderRule per reason in its `reminders.py` and registers it from its
AppConfig.ready(). A rule says, side by side, what to plan (`plan`: the rows due within the
planning window, from the clinical data, in a fixed number of queries whatever the number of
clients), when a planned row is no longer needed (`still_needed`, asked at send time), and
what the reminder says (`render`: from the kind and times only, never a name or clinical
detail). notifications/services.py plans and sends by iterating the registry.

The helpers below (Spec, staff_specs, timing, ...) are the planning vocabulary the rules share.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from clients.models import Client
from hrp import formats
from hrp.accounts.models import Supervision, User
from hrp.clinic import clinic_setting
from notifications.models import Reminder

HORIZON = datetime.timedelta(days=2)  # plan this far ahead
GRACE = datetime.timedelta(hours=12)  # still plan (and send) reminders this late
Kind = Reminder.Kind


class ReminderRule:
    """One reason to remind someone. `kinds` are the Reminder.Kind values this rule plans and
    answers for (each kind belongs to exactly one rule); `order` is the planning order."""

    key: str = ""
    kinds: tuple[str, ...] = ()
    order: int = 100

    def plan(self, now: datetime.datetime) -> list[Spec]:
        """The reminders due within [now - GRACE, now + HORIZON], in a fixed number of queries."""
        raise NotImplementedError

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        """Whether what `reminder` is about still needs attention now (the recipient's own
        choices are checked by the sender before this)."""
        raise NotImplementedError

    def render(self, reminder: Reminder) -> tuple[str, str]:
        """The reminder's text and link, PHI-free."""
        raise NotImplementedError


REMINDER_RULES: dict[str, ReminderRule] = {}
_BY_KIND: dict[str, ReminderRule] = {}


def register_reminder_rule(rule: ReminderRule) -> None:
    for kind in rule.kinds:
        owner = _BY_KIND.get(kind)
        if owner is not None and owner.key != rule.key:
            raise ValueError(f"reminder kind {kind!r} already belongs to rule {owner.key!r}")
    REMINDER_RULES[rule.key] = rule
    for kind in rule.kinds:
        _BY_KIND[kind] = rule


def reminder_rules() -> list[ReminderRule]:
    return sorted(REMINDER_RULES.values(), key=lambda rule: (rule.order, rule.key))


def rule_for(kind: str) -> ReminderRule | None:
    return _BY_KIND.get(kind)


# --- Planning vocabulary -----------------------------------------------------------------------


def timing(name: str) -> int:
    return int(clinic_setting("REMINDER_TIMINGS")[name])


@dataclass(frozen=True)
class Spec:
    kind: str
    object_id: int
    client_id: int
    due_at: datetime.datetime
    recipient_id: int | None = None
    channel: str = Reminder.Channel.IN_APP

    def key(self) -> str:
        who = f"u{self.recipient_id}" if self.recipient_id else f"c{self.client_id}"
        due = formats.utc_minute_stamp(self.due_at)
        return f"{self.kind}:{self.object_id}:{due}:{who}:{self.channel}"

    def row(self) -> Reminder:
        return Reminder(
            key=self.key(),
            kind=self.kind,
            channel=self.channel,
            recipient_id=self.recipient_id,
            client_id=self.client_id,
            object_id=self.object_id,
            due_at=self.due_at,
        )


def staff_specs(
    kind: str,
    *,
    object_id: int,
    client_id: int,
    due_at: datetime.datetime,
    recipients: Iterable[User],
) -> list[Spec]:
    """In-app rows for each active recipient, and email rows for those who chose email."""
    specs = []
    for user in recipients:
        if not user.is_active:
            continue
        specs.append(Spec(kind, object_id, client_id, due_at, user.pk))
        if user.email_reminders and user.email:
            specs.append(Spec(kind, object_id, client_id, due_at, user.pk, Reminder.Channel.EMAIL))
    return specs


def supervisors_by_supervisee() -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    for supervision in Supervision.objects.current().select_related("supervisor"):
        found.setdefault(supervision.supervisee_id, []).append(supervision.supervisor)
    return found


def at_send_hour(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(timing("send_hour")), tzinfo=timezone.get_current_timezone()
    )


def in_window(due: datetime.datetime, now: datetime.datetime) -> bool:
    return now - GRACE <= due <= now + HORIZON


def client_channel(client: Client) -> str:
    """The channel for this client's reminders, or "" when they have none (no consent to be
    contacted, no choice, opted out, or no address for the chosen channel)."""
    if not client.may_contact or client.status not in (Client.Status.ACTIVE, Client.Status.INTAKE):
        return ""
    if client.reminder_channel == Reminder.Channel.EMAIL and client.email:
        return Reminder.Channel.EMAIL
    if client.reminder_channel == Reminder.Channel.SMS and client.phone:
        return Reminder.Channel.SMS
    return ""
