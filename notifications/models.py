"""Reminders: one row per (kind, object, due time, recipient, channel), planned ahead from the
clinical data and sent once when due.

The unique `key` makes a second row for the same reminder impossible (two planners, or beat
started twice, insert nothing new); the sender claims due rows one at a time under
`SELECT ... FOR UPDATE SKIP LOCKED` and marks each sent in the same transaction that delivers
it, so a row is sent by exactly one worker. Texts are written at send time from the kind and
times only: never a name, diagnosis, substance or other clinical detail.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client


class Reminder(models.Model):
    class Kind(models.TextChoices):
        SESSION_DAY = "session_day", _("Upcoming session (the day before)")
        SESSION_HOUR = "session_hour", _("Upcoming session (shortly before)")
        NOTE_UNSIGNED = "note_unsigned", _("Note still unsigned")
        REVIEW_DUE = "review_due", _("Goal review due soon")
        REVIEW_OVERDUE = "review_overdue", _("Goal review overdue")
        MEASURE_DUE = "measure_due", _("Measure due")
        COSIGN = "cosign", _("Note waiting for co-signature")
        RATING_ALERT = "rating_alert", _("Session-rating alert")
        SUICIDE_RISK = "suicide_risk", _("Suicide-risk answer to follow up")
        CLIENT_SESSION = "client_session", _("Appointment reminder to the client")
        EMERGENCY_ACCESS = "emergency_access", _("Emergency access to a client on your caseload")
        TOLERANCE_OPENS = "tolerance_opens", _("A period of lower tolerance starts")
        TOLERANCE_SESSION = "tolerance_session", _("Session during a period of lower tolerance")
        RISK_ACUTE = "risk_acute", _("Acute risk flag to look at")
        RISK_OPEN = "risk_open", _("Risk flag still open")
        REFERRAL_FOLLOW_UP = "referral_follow_up", _("Referral follow-up due")
        MEDICAL_EVALUATION = "medical_evaluation", _("Medical evaluation still open")
        CLIENT_GROUP = "client_group", _("Group meeting reminder to the client")

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("No longer needed")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A staff member, or (for client reminders) nobody: the client is the recipient.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reminders")
    object_id = models.BigIntegerField()
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=80, blank=True)
    text = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="reminder_pending_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["recipient", "channel", "status"], name="reminder_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False)
                | Q(kind__in=["client_session", "client_group"]),
                name="staff_reminder_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.key
