"""This app's own reminder rules (see extensions.py), registered from its ready()."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import medical
from clients.models import Client
from notifications.extensions import (
    HORIZON,
    Kind,
    ReminderRule,
    Spec,
    at_send_hour,
    in_window,
    staff_specs,
    timing,
)
from notifications.models import Reminder

# The clients a medical-evaluation reminder is for: in care, with a therapist.
MEDICAL_REMINDED_STATUSES = (Client.Status.ACTIVE, Client.Status.ON_HOLD)


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


class MedicalEvaluationOpen(ReminderRule):
    """A medical evaluation still open (recommended and not done, or never considered:
    clients/medical.py) `medical_evaluation_days` after the intake was completed reminds the
    client's therapist once, on that day at the send hour. The chart, caseload and the
    supervisor's lists keep showing it after that. Lives here, not in clients, because
    clients sits below notifications. The text names no client and nothing clinical."""

    key = "medical_evaluation"
    kinds = (Kind.MEDICAL_EVALUATION,)
    order = 36

    def plan(self, now: datetime.datetime) -> list[Spec]:
        today = timezone.localdate(now)
        after = datetime.timedelta(days=timing("medical_evaluation_days"))
        # Intakes completed on a day whose reminder day falls around the planning window
        # (one day of slack either side for the time zone); `in_window` decides.
        first = today - after - datetime.timedelta(days=1)
        last = today - after + HORIZON + datetime.timedelta(days=1)
        clients = (
            Client.objects.filter(
                medical.open_q(),
                status__in=MEDICAL_REMINDED_STATUSES,
                therapist__isnull=False,
                intake__completed_at__date__gte=first,
                intake__completed_at__date__lte=last,
            )
            .select_related("therapist")
            .annotate(intake_completed_at=F("intake__completed_at"))
        )
        specs: list[Spec] = []
        for client in clients:
            completed = timezone.localdate(client.intake_completed_at)  # type: ignore[attr-defined]
            due = at_send_hour(completed + after)
            if in_window(due, now):
                specs += staff_specs(
                    Kind.MEDICAL_EVALUATION,
                    object_id=client.pk,
                    client_id=client.pk,
                    due_at=due,
                    recipients=[client.therapist],
                )
        return specs

    def still_needed(self, reminder: Reminder, now: datetime.datetime) -> bool:
        # Still open, still in care, and the recipient still the client's therapist.
        return Client.objects.filter(
            medical.open_q(),
            pk=reminder.object_id,
            status__in=MEDICAL_REMINDED_STATUSES,
            therapist_id=reminder.recipient_id,
        ).exists()

    def render(self, reminder: Reminder) -> tuple[str, str]:
        return (
            _("Something from an intake is still to be arranged."),
            reverse("clients:medical", args=[reminder.client_id]),
        )


RULES = (EmergencyAccess(), MedicalEvaluationOpen())
