"""This app's own reminder rules (see extensions.py), registered from its ready()."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.extensions import Kind, ReminderRule, Spec
from notifications.models import Reminder


class EmergencyAccess(ReminderRule):
    """A record on someone's caseload opened under an emergency grant. Nothing to plan: the
    grant creates these rows at once (services.notify_now)."""

    key = "emergency_access"
    kinds = (Kind.EMERGENCY_ACCESS,)
    order = 80

    def plan(self, now: datetime.datetime) -> list[Spec]:
        return []

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        return True  # it happened; the people responsible for the client are told regardless

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return (
            _("Emergency access was used to open a record on your caseload."),
            reverse("clients:access_log", args=[reminder.client_id]),
        )


RULES = (EmergencyAccess(),)
