"""Supervision records: meetings between a supervisor and a supervisee, and comments a
supervisor leaves on a client's chart for the therapist.

They are not part of the client's clinical record: no chart section, timeline, summary or
disclosure reads these tables (the client has only a `+` reverse relation here), and the free
text is encrypted at rest like session notes.

Who sees what (see supervision/access.py):
- a meeting: the supervisor who recorded it and the supervisee it was with; never other
  supervisors, never clinic admins;
- a chart comment: the supervisor who wrote it and the client's current therapist, who
  acknowledges it;
- a fidelity review (how a signed session kept to the model, supervision/fidelity.py): the
  therapist's current supervisors, who write it, and the therapist, who reads their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp import formats
from hrp.crypto import EncryptedJSONField, EncryptedTextField
from sessions.models import SessionNote

# Longer text is refused with a message, never cut (the same limit as a session note).
TEXT_LIMIT = 20_000


class SupervisionMeeting(models.Model):
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_meetings_held",
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisee"),
        on_delete=models.PROTECT,
        related_name="supervision_meetings_attended",
    )
    met_on = models.DateField(_("date of the meeting"))
    # "+": a client has no way back to the meetings that discussed them.
    clients = models.ManyToManyField(
        Client, verbose_name=_("clients discussed"), related_name="+", blank=True
    )
    guidance = EncryptedTextField(_("guidance"))
    follow_ups = EncryptedTextField(_("follow-ups"), blank=True)
    # The supervisor's prompt to notice the feelings clients stir in the therapist (anger at a
    # return to use, rescuing, hopelessness). Seen by the two people in the meeting only, as
    # the whole record is.
    countertransference = EncryptedTextField(_("countertransference"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-met_on", "-id"]
        indexes = [
            models.Index(fields=["supervisor", "-met_on"]),
            models.Index(fields=["supervisee", "-met_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("supervisee")),
                name="meeting_not_with_oneself",
            ),
        ]

    def __str__(self) -> str:
        return f"Supervision {formats.date(self.met_on)}"


class ChartComment(models.Model):
    """A supervisor's comment on a client's chart, shown to the therapist at the top of the
    chart until they acknowledge it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField(_("comment for the therapist"))
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "acknowledged_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="comment_acknowledged_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class FidelityReview(models.Model):
    """A supervisor's short checklist on how one signed session kept to the model: each item of
    supervision/fidelity.py rated not observed, partly or clearly, with a comment. One per
    supervisor per note. `therapist` and `session_on` are copied from the note so that a
    trainee's trend reads this table alone."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # "+": the client's record has no way back to its supervision.
    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="+")
    session_on = models.DateField(_("date of the session"))
    # {item key: rating} for the items of supervision/fidelity.py. Encrypted: with the note it
    # says how a named client's session went.
    ratings = EncryptedJSONField(_("ratings"))
    comment = EncryptedTextField(_("comment for the therapist"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-session_on", "-id"]
        indexes = [models.Index(fields=["therapist", "-session_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "note"], name="fidelity_review_one_per_supervisor_note"
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("therapist")),
                name="fidelity_review_not_of_oneself",
            ),
        ]

    def __str__(self) -> str:
        return f"Fidelity review {self.pk}"
