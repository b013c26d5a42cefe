"""Working hours and their exceptions per clinician, and private calendar feeds.

Rooms and video links belong to the appointment itself (sessions.models.Room,
Appointment.room, Appointment.video_link): this app sits above sessions and reads them."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrp import formats


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One block of a clinician's usual week, in the clinic's wall-clock time ("Tuesdays 9:00
    to 12:00"): a date's free slots are computed from it in the clinic's time zone, so a block
    keeps its local hours across daylight-saving changes (scheduling.selectors.free_slots)."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")),
                name="working_hours_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="working_hours_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {formats.time(self.starts)}-{formats.time(self.ends)}"


class TimeOff(models.Model):
    """Days a clinician does not work (leave, a public holiday...), first to last inclusive:
    no free slot is offered on them. Appointments already booked stay where they are."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        HOLIDAY = "holiday", _("Public holiday")
        OTHER = "other", _("Other")

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_off"
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.LEAVE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["first_day", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="time_off_last_after_first",
                violation_error_message=_("The last day cannot be before the first."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_day}-{self.last_day}"


class CalendarFeed(models.Model):
    """A clinician's private iCalendar feed. Only the SHA-256 of its random token is kept: the
    address is shown once, when made, and a leaked database gives no working feed. Making a new
    one replaces the row (the old address stops at once); revoking deletes it."""

    clinician = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"feed {self.clinician_id}"

    @staticmethod
    def token_digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
