"""Risk flags: one per risk signal, whatever app it comes from, with one follow-up path.

A flag is opened by the source that saw the risk (a PHQ-9 answer, a session note, a harm
assessment, a period of lost tolerance), is followed up (what was done, when, by whom: as many
times as needed) and is resolved. Its state is kept on the row, so the caseload, the chart and
the supervisor's dashboard read the few unresolved flags through a partial index instead of
scanning anyone's history. Nothing is deleted: a resolved flag and its follow-ups stay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, text_limit
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, append_only
from hrp.immutability import ImmutableError as BaseImmutableError


class ImmutableError(BaseImmutableError):
    """Raised when code tries to change or delete a recorded follow-up."""


class RiskFlag(models.Model):
    class Kind(models.TextChoices):
        SUICIDE = "suicide", _("Suicide risk")
        OVERDOSE = "overdose", _("Overdose risk")

    class Level(models.TextChoices):
        SOME = "some", _("Some")
        ACUTE = "acute", _("Acute")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        FOLLOWED_UP = "followed_up", _("Followed up")
        RESOLVED = "resolved", _("Resolved")

    UNRESOLVED = (State.OPEN, State.FOLLOWED_UP)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="risk_flags")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    # The registered source (risk.extensions) and its record's id: one flag per source record
    # and kind, so signing again, a correction or a retried task never opens a second one.
    source_key = models.CharField(_("source"), max_length=40)
    source_id = models.BigIntegerField()
    # Short and generic ("PHQ-9 question 9", "Harm assessment: injecting"): shown on the
    # chart and caseload. Never the client's words.
    source_description = models.CharField(_("raised by"), max_length=200)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = EncryptedTextField(_("why it is resolved"), blank=True, validators=[text_limit])

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The unresolved flags per client: caseload, chart header, dashboard, reminders.
            models.Index(
                fields=["client", "-opened_at"],
                condition=Q(state__in=["open", "followed_up"]),
                name="riskflag_unresolved",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "source_id", "kind"], name="riskflag_one_per_source"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state="resolved", resolved_at__isnull=False, resolved_by__isnull=False)
                    | (~Q(state="resolved") & Q(resolved_at__isnull=True))
                ),
                name="riskflag_resolved_has_when_and_who",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} flag {self.pk}"

    @property
    def unresolved(self) -> bool:
        return self.state in self.UNRESOLVED

    @property
    def acute(self) -> bool:
        return self.level == self.Level.ACUTE


class RiskFollowUp(AppendOnlyModel):
    """What was done about a flag, when and by whom. Several per flag; never changed."""

    flag = models.ForeignKey(RiskFlag, on_delete=models.PROTECT, related_name="follow_ups")
    action = EncryptedTextField(_("what was done"), validators=[text_limit])
    done_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "id"]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Follow-up {self.pk} of flag {self.flag_id}"
