"""Links a therapist sends a client so the client can answer between sessions, on their own
phone, without an account.

A link is a random token (secrets.token_urlsafe(32)) that exists in clear only in the message
that carries it: the table keeps its SHA-256 hash. A link works for one submission, until it
expires or is revoked. What the client sends lands in the chart through the clinical app's own
service, marked as reported by the client (assessments.Administration.source).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES, Measure
from clients.models import Client

LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]


class ClientLink(models.Model):
    class Kind(models.TextChoices):
        MEASURE = "measure", _("A standard measure")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="self_report_links")
    kind = models.CharField(_("what the link is for"), max_length=16, choices=Kind.choices)
    measure_code = models.CharField(
        _("measure"), max_length=16, choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="en")
    # SHA-256 of the token, hex. The token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("sent by"), max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("answered"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    # When the therapist has seen the answers: until then the caseload says "new from the client".
    seen_at = models.DateTimeField(null=True, blank=True)
    administration = models.OneToOneField(
        "assessments.Administration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="self_report_link",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["client"],
                name="selfreport_unseen",
                condition=Q(submitted_at__isnull=False, seen_at__isnull=True),
            ),
        ]
        constraints = [
            # One submission: an answered link names what it produced, and only then.
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True, administration__isnull=True)
                | Q(submitted_at__isnull=False, administration__isnull=False),
                name="selfreport_submission_has_record",
            ),
        ]

    def __str__(self) -> str:
        return f"link {self.pk}"

    def state(self, now: datetime.datetime | None = None) -> str:
        """ "answered", "withdrawn", "expired" or "open", in that order of precedence."""
        now = now or timezone.now()
        if self.submitted_at is not None:
            return "answered"
        if self.revoked_at is not None:
            return "withdrawn"
        if now >= self.expires_at:
            return "expired"
        return "open"

    @property
    def measure(self) -> Measure:
        return MEASURES[self.measure_code]


class LinkSchedule(models.Model):
    """Links sent by themselves, on one of two timings:

    - `every_weeks`: a measure every `every_weeks` weeks; `next_send_at` is the time of the next
      link.
    - `before_session`: `days_before` days (1-14) before each of the client's booked sessions,
      at the clinic's send hour, optionally at most every `every_weeks` weeks (the first booked
      session on or after the day `every_weeks` weeks after the last link). Nothing is stored
      ahead: the scan reads the client's booked appointments each time, so a session moved or
      cancelled is followed without any hook in the sessions app. `next_session_from` is the
      earliest start the next link's session may have (just after the session last served, and
      the spacing); `last_appointment` is the session last served, so that a session moved
      after its link went out (a new row, `rescheduled_from` the old one) gets no second link.

    Rows scanned by a periodic task (selfreport.tasks.send_scheduled_links), never a task queued
    weeks ahead."""

    class Timing(models.TextChoices):
        EVERY_WEEKS = "every_weeks", _("Every few weeks")
        BEFORE_SESSION = "before_session", _("Before each booked session")

    DAYS_BEFORE_MAX = 14

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="link_schedules")
    measure_code = models.CharField(
        _("measure"), max_length=16, choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="en")
    timing = models.CharField(
        _("when"), max_length=16, choices=Timing.choices, default=Timing.EVERY_WEEKS
    )
    # every_weeks: the interval. before_session: the least gap between two links (None: each
    # session).
    every_weeks = models.PositiveSmallIntegerField(_("every (weeks)"), null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(
        _("days before the session"), null=True, blank=True
    )
    next_send_at = models.DateTimeField(_("next link"), null=True, blank=True)
    next_session_from = models.DateTimeField(null=True, blank=True, editable=False)
    last_appointment = models.ForeignKey(
        "therapy_sessions.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_sent_at = models.DateTimeField(_("last link"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        ordering = ["next_send_at", "id"]
        indexes = [
            models.Index(
                fields=["next_send_at"],
                name="selfreport_schedule_due",
                condition=Q(stopped_at__isnull=True),
            ),
            # The scan reads every running before-session schedule with its client's next
            # booked sessions (an index probe on appointments per row).
            models.Index(
                fields=["client"],
                name="selfreport_schedule_sessions",
                condition=Q(stopped_at__isnull=True, timing="before_session"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_weeks__isnull=True) | Q(every_weeks__gte=1, every_weeks__lte=52),
                name="selfreport_schedule_every_1_to_52_weeks",
            ),
            # Each timing has exactly the fields it reads.
            models.CheckConstraint(
                condition=Q(
                    timing="every_weeks",
                    every_weeks__isnull=False,
                    next_send_at__isnull=False,
                    days_before__isnull=True,
                    next_session_from__isnull=True,
                )
                | Q(
                    timing="before_session",
                    days_before__gte=1,
                    days_before__lte=14,
                    next_session_from__isnull=False,
                    next_send_at__isnull=True,
                ),
                name="selfreport_schedule_timing_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"schedule {self.pk}"

    @property
    def timing_text(self) -> str:
        """The timing in words: "every 4 weeks", "2 days before each session, at most every 4
        weeks"."""
        if self.timing == self.Timing.EVERY_WEEKS:
            return ngettext("every week", "every %(n)d weeks", self.every_weeks or 1) % {
                "n": self.every_weeks
            }
        days = self.days_before or 0
        before = ngettext(
            "%(n)d day before each session", "%(n)d days before each session", days
        ) % {"n": days}
        if not self.every_weeks:
            return before
        gap = ngettext("at most every week", "at most every %(n)d weeks", self.every_weeks) % {
            "n": self.every_weeks
        }
        return gettext("%(before)s, %(gap)s") % {"before": before, "gap": gap}
