"""Links a therapist sends a client so the client can answer between sessions, on their own
phone, without an account.

A link is a random token (secrets.token_urlsafe(32)) that exists in clear only in the message
that carries it: the table keeps its SHA-256 hash. A link works for one submission, until it
expires or is revoked. What the client sends lands in the chart through the clinical app's own
service, marked as reported by the client (assessments.Administration.source,
sessions.ClientSessionRating, goals.UseCheckIn.source, or this app's own rows). What each kind
of link asks and where its answer goes is declared once, in selfreport/kinds.py.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES, Measure
from clients.models import CLIENT_LANGUAGES, Client
from hrp.crypto import EncryptedJSONField, EncryptedTextField
from hrp.immutability import AppendOnlyModel, ImmutableError, append_only

LANGUAGES = CLIENT_LANGUAGES


class UseDiary(AppendOnlyModel):
    """A week of use as the client tells it from their phone (the weekly use diary link),
    measured against their own plan: the numbers land in goals.UseCheckIn (source "client") so
    "% of days within plan" and the charts read them; this row keeps the rest of what they said
    (setting, safer-use steps) and the numbers as sent, even for a week already recorded in a
    session (which their diary does not replace)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="use_diaries")
    week_start = models.DateField(_("week starting (Monday)"))
    # [{"substance": id, "name": str, "use_days": int, "amount": "2.5" or "", "unit": str,
    #   "setting": str, "steps": [key, ...], "steps_other": str}], encrypted as one value.
    entries = EncryptedJSONField(_("what the client reported"), default=list, client_words=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week_start", "-id"]
        indexes = [models.Index(fields=["client", "-recorded_at"], name="usediary_latest")]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"use diary {self.pk}"


class PracticeLog(AppendOnlyModel):
    """Relaxation practice as the client reports it from their phone: the days, minutes each
    time, what they practised and how they felt before and after (0-10)."""

    class Practice(models.TextChoices):
        BREATHING = "breathing", _("Slow breathing")
        MUSCLE = "muscle", _("Relaxing the muscles")
        IMAGERY = "imagery", _("A calm place in the mind")
        MINDFULNESS = "mindfulness", _("Mindfulness or meditation")
        GROUNDING = "grounding", _("Grounding (the senses)")
        OTHER = "other", _("Something else")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="practice_logs")
    # The days practised, ISO dates ("2026-11-30"), oldest first: JSON, not an ArrayField, so
    # the embedded SQLite demo keeps working.
    days = models.JSONField(_("days practised"), default=list)
    minutes = models.PositiveSmallIntegerField(_("minutes each time"))
    practice = models.CharField(_("what they practised"), max_length=16, choices=Practice)
    practice_other = EncryptedTextField(_("something else"), blank=True, client_words=True)
    feeling_before = models.PositiveSmallIntegerField(
        _("how they felt before (0-10)"), validators=[MaxValueValidator(10)]
    )
    feeling_after = models.PositiveSmallIntegerField(
        _("how they felt after (0-10)"), validators=[MaxValueValidator(10)]
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["client", "-recorded_at"], name="practicelog_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(feeling_before__lte=10) & Q(feeling_after__lte=10),
                name="practicelog_feelings_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=600), name="practicelog_minutes"
            ),
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"practice log {self.pk}"


# What each kind of link needs before it is answered and must name once it is. Why one nullable
# foreign key per kind rather than a generic `result_id` the kind interprets: the database then
# refuses a link that points at nothing (PROTECT, real keys), one CheckConstraint per kind keeps
# "answered iff it names its record, and only its own kind's" true whatever the code does, and
# the links page reads every kind's record with one select_related. A new kind adds its key,
# its line here and a migration.
_RESULTS = ("administration", "session_rating", "use_diary", "practice_log")
_KIND_RULES = {
    "measure": ("administration", ~Q(measure_code="") & Q(appointment__isnull=True)),
    "session_rating": ("session_rating", Q(measure_code="", appointment__isnull=False)),
    "use_diary": ("use_diary", Q(measure_code="", week_start__isnull=False)),
    "practice_log": ("practice_log", Q(measure_code="", appointment__isnull=True)),
}


def _kind_constraint(kind: str, result: str, needs: Q) -> models.CheckConstraint:
    others = Q(**{f"{name}__isnull": True for name in _RESULTS if name != result})
    answered = Q(submitted_at__isnull=True, **{f"{result}__isnull": True}) | Q(
        submitted_at__isnull=False, **{f"{result}__isnull": False}
    )
    return models.CheckConstraint(
        condition=~Q(kind=kind) | (needs & others & answered),
        name=f"selfreport_{kind}_link_shape",
    )


class ClientLink(models.Model):
    class Kind(models.TextChoices):
        MEASURE = "measure", _("A standard measure")
        SESSION_RATING = "session_rating", _("Rating of a session")
        USE_DIARY = "use_diary", _("Weekly use diary")
        PRACTICE_LOG = "practice_log", _("Relaxation practice log")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="self_report_links")
    kind = models.CharField(_("what the link is for"), max_length=16, choices=Kind.choices)
    # Blank for every kind but "measure".
    measure_code = models.CharField(
        _("measure"),
        max_length=16,
        blank=True,
        choices=[(code, m.name) for code, m in MEASURES.items()],
    )
    # The session a "session_rating" link asks about.
    appointment = models.ForeignKey(
        "therapy_sessions.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The Monday of the week a "use_diary" link asks about.
    week_start = models.DateField(_("week starting (Monday)"), null=True, blank=True)
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
    # What an answered link produced: one key per kind (see _RESULTS above for why).
    administration = models.OneToOneField(
        "assessments.Administration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="self_report_link",
    )
    session_rating = models.OneToOneField(
        "therapy_sessions.ClientSessionRating",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="self_report_link",
    )
    use_diary = models.OneToOneField(
        UseDiary, on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    practice_log = models.OneToOneField(
        PracticeLog, on_delete=models.PROTECT, null=True, blank=True, related_name="link"
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
            models.CheckConstraint(
                condition=Q(kind__in=list(_KIND_RULES)), name="selfreport_known_kind"
            ),
            *(_kind_constraint(kind, *rule) for kind, rule in _KIND_RULES.items()),
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
