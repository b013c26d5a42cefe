"""Appointments: scheduling, series, attendance and rescheduling history. (Session notes and
the client's session rating arrive with the rest of the sessions issue.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")


class AppointmentSeries(models.Model):
    """A weekly or fortnightly run of appointments, created together."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Every two weeks")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointment_series")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frequency = models.CharField(_("repeats"), max_length=16, choices=Frequency.choices)
    occurrences = models.PositiveSmallIntegerField(_("number of appointments"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} x{self.occurrences}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ATTENDED = "attended", _("Attended")
        CANCELLED_CLIENT = "cancelled_client", _("Cancelled by the client")
        CANCELLED_CLINIC = "cancelled_clinic", _("Cancelled by the clinic")
        NO_SHOW = "no_show", _("Did not attend")
        RESCHEDULED = "rescheduled", _("Moved to another time")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("therapist"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    modality = models.CharField(
        _("modality"), max_length=16, choices=Modality.choices, default=Modality.IN_PERSON
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("attendance"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    notice_hours = models.PositiveIntegerField(
        _("notice given (hours)"),
        null=True,
        blank=True,
        help_text=_("For a cancellation: how long before the start it was cancelled."),
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="appointment_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status in (self.Status.CANCELLED_CLIENT, self.Status.CANCELLED_CLINIC)

    @property
    def is_open(self) -> bool:
        """Still on the calendar: scheduled, not yet marked."""
        return self.status == self.Status.SCHEDULED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
