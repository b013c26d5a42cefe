"""Links a therapist sends a client so the client can answer between sessions, on their own
phone, without an account.

A link is a random token (secrets.token_urlsafe(32)) that exists in clear only in the message
that carries it: the table keeps its SHA-256 hash. A link works for one submission, until it
expires or is revoked. What the client sends lands in the chart through the clinical app's own
service, marked as reported by the client (assessments.Administration.source).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES, Measure
from clients.models import CLIENT_LANGUAGES, Client

LANGUAGES = CLIENT_LANGUAGES


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
    """Links sent by themselves: a measure every `every_weeks` weeks. A row with the time of
    its next link, scanned by a periodic task (selfreport.tasks.send_scheduled_links), never a
    task queued weeks ahead."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="link_schedules")
    measure_code = models.CharField(
        _("measure"), max_length=16, choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="en")
    every_weeks = models.PositiveSmallIntegerField(_("every (weeks)"))
    next_send_at = models.DateTimeField(_("next link"))
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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_weeks__gte=1, every_weeks__lte=52),
                name="selfreport_schedule_every_1_to_52_weeks",
            ),
        ]

    def __str__(self) -> str:
        return f"schedule {self.pk}"


class PlanShare(models.Model):
    """A link that lets the client read one of their plans on their phone: read-only, opened as
    often as they like until it expires or is withdrawn.

    It shows the version that was current when the therapist shared it (what they meant to
    share), says its date, and says when a newer version has been saved since. Like a
    ClientLink, the token exists in clear only in the message that carries it; the table keeps
    its SHA-256 hash."""

    class Kind(models.TextChoices):
        SAFETY = "safety", _("Safety plan")
        OVERDOSE = "overdose", _("Overdose prevention plan")
        USE_PLAN = "use_plan", _("Plan for using (the client's copy)")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="plan_shares")
    kind = models.CharField(_("plan"), max_length=16, choices=Kind.choices)
    # The version shared: exactly the one of its kind is set (constraint below).
    safety_version = models.ForeignKey(
        "safety.SafetyPlanVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    overdose_version = models.ForeignKey(
        "safety.OverdosePlanVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    use_plan_version = models.ForeignKey(
        "goals.PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    open_count = models.PositiveIntegerField(_("times opened"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="selfreport_share_client")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind="safety",
                    safety_version__isnull=False,
                    overdose_version__isnull=True,
                    use_plan_version__isnull=True,
                )
                | Q(
                    kind="overdose",
                    safety_version__isnull=True,
                    overdose_version__isnull=False,
                    use_plan_version__isnull=True,
                )
                | Q(
                    kind="use_plan",
                    safety_version__isnull=True,
                    overdose_version__isnull=True,
                    use_plan_version__isnull=False,
                ),
                name="selfreport_share_one_version_of_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"plan share {self.pk}"

    def state(self, now: datetime.datetime | None = None) -> str:
        """ "withdrawn", "expired" or "open", in that order of precedence."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "withdrawn"
        if now >= self.expires_at:
            return "expired"
        return "open"

    @property
    def version(self) -> Any:
        """The plan version shared (of whichever kind)."""
        return self.safety_version or self.overdose_version or self.use_plan_version
