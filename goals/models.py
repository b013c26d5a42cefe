"""The ideal substance use plan (versioned) and goals tested as hypotheses, with their reviews
and the weekly use check-ins that session notes record and progress charts read."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, LongText, SubstanceUse
from hrp import bounds
from hrp.immutability import AppendOnlyModel, append_only
from hrp.immutability import ImmutableError as BaseImmutableError


class ImmutableError(BaseImmutableError):
    """Raised when code tries to change a plan version, which is read-only once saved."""


SAFER_USE_PRACTICES: list[tuple[str, Any]] = [
    ("sterile_supplies", _("Sterile supplies")),
    ("test_strips", _("Test strips / drug checking")),
    ("naloxone", _("Naloxone on hand")),
    ("spacing_doses", _("Spacing doses")),
    ("food_water", _("Food and water")),
    ("no_mixing", _("No mixing")),
    ("no_driving", _("No driving")),
    ("never_alone", _("Never use alone")),
]

# The fields of one plan section, in display order. A plan version stores its sections as JSON
# with exactly these keys, so any two versions compare field by field.
SECTION_FIELDS: list[tuple[str, Any]] = [
    ("name", _("Substance or behaviour")),
    ("current_pattern", _("Current pattern")),
    ("dose_limit", _("Most per occasion")),
    ("max_days_per_week", _("Most use days a week")),
    ("route", _("Route")),
    ("setting_company", _("Setting and company")),
    ("safer_use", _("Safer-use practices")),
    ("alternatives", _("Other ways to meet what it does for them")),
    ("client_words", _("In the client's words")),
    ("clinician_notes", _("Clinician's notes")),
]

# The plan's fields as the client's own copy names them, addressed to the client, in display
# order. A field without an entry here (the clinician's notes) never reaches the client's copy.
CLIENT_COPY_LABELS: dict[str, Any] = {
    "current_pattern": _("What you do now"),
    "dose_limit": _("The most you take at one time"),
    "max_days_per_week": _("The most days a week you use"),
    "route": _("How you use"),
    "setting_company": _("Where, and who is with you"),
    "safer_use": _("What you do to stay safer"),
    "alternatives": _("Other ways to get what it gives you"),
    "client_words": _("In your own words"),
}


class Plan(models.Model):
    """One per client: the ideal substance use plan. Its content lives in versions."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="plan")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Plan {self.client_id}"


class PlanVersion(AppendOnlyModel):
    """One saved state of a plan. Never changed after saving: a change is a new version."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    sections = models.JSONField(_("sections"), default=list)
    reason = models.CharField(_("what changed and why"), max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_version_number")
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Plan version {self.number}"


class Goal(models.Model):
    # Ranges of the dates (hrp/bounds.py): a goal may start, and is reviewed, ahead of today.
    DATE_RANGES = {"start_date": bounds.PLANNING, "review_date": bounds.PLANNING}

    """A goal stated as a hypothesis to test, not a promise. There is no "failed": a goal is
    active, achieved, revised (a new goal took its place) or set aside."""

    class Kind(models.TextChoices):
        SAFER_USE = "safer_use", _("Safer use")
        MODERATION = "moderation", _("Moderation")
        ABSTINENCE = "abstinence", _("Abstinence")
        LIFE = "life", _("A life goal other than use")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACHIEVED = "achieved", _("Achieved")
        REVISED = "revised", _("Revised")
        SET_ASIDE = "set_aside", _("Set aside")

    class Target(models.TextChoices):
        NONE = "", _("No measurable target")
        MAX_USE_DAYS = "max_use_days", _("At most N use days a week")
        MAX_UNITS = "max_units", _("At most N units per occasion")
        CARRIES_NALOXONE = "carries_naloxone", _("Carries naloxone")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="goals")
    kind = models.CharField(_("kind of goal"), max_length=16, choices=Kind.choices)
    substance = models.ForeignKey(
        SubstanceUse,
        verbose_name=_("substance or behaviour"),
        on_delete=models.PROTECT,
        related_name="goals",
        null=True,
        blank=True,
    )
    client_words = LongText(_("the goal in the client's words"))
    hypothesis = LongText(
        _("hypothesis"), help_text=_('"If I ..., I expect ..." — an experiment to try.')
    )
    target = models.CharField(
        _("measurable target"), max_length=20, choices=Target.choices, blank=True
    )
    target_value = models.DecimalField(
        _("target number"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    target_unit = models.CharField(
        _("unit"), max_length=50, blank=True, help_text=_("e.g. drinks, grams, bags")
    )
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    review_date = models.DateField(_("review date"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    revised_from = models.OneToOneField(
        "self",
        verbose_name=_("revises"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_into",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["review_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_date__gte=models.F("start_date")),
                name="review_not_before_start",
                violation_error_message=_("The review date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_value__gte=0),
                name="target_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.client_words[:60]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.start_date and self.review_date and self.review_date < self.start_date:
            errors["review_date"] = _("The review date cannot be before the start date.")
        if self.target in (self.Target.MAX_USE_DAYS, self.Target.MAX_UNITS):
            if self.target_value is None:
                errors["target_value"] = _("Enter the number for this target.")
            elif self.target_value < 0:
                errors["target_value"] = _("The target cannot be negative.")
            elif self.target == self.Target.MAX_USE_DAYS and (
                self.target_value > 7 or self.target_value != int(self.target_value)
            ):
                errors["target_value"] = _("Use days a week is a whole number from 0 to 7.")
        elif self.target_value is not None and self.target != self.Target.MAX_UNITS:
            errors["target_value"] = _("This target has no number; leave it empty.")
        if self.kind and self.kind != self.Kind.LIFE and self.substance is None:
            errors["substance"] = _("Choose the substance or behaviour this goal is about.")
        if (
            self.substance is not None
            and self.client_id
            and self.substance.client_id != self.client_id
        ):
            errors["substance"] = _("Choose one of this client's substances.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def target_label(self) -> str:
        if self.target == self.Target.MAX_USE_DAYS:
            return _("at most %(n)s use days a week") % {"n": int(self.target_value or 0)}
        if self.target == self.Target.MAX_UNITS:
            value = self.target_value or 0
            shown = int(value) if value == int(value) else value
            return _("at most %(n)s %(unit)s per occasion") % {
                "n": shown,
                "unit": self.target_unit or _("units"),
            }
        if self.target == self.Target.CARRIES_NALOXONE:
            return str(_("carries naloxone"))
        return ""

    def review_state(self, today: datetime.date | None = None) -> str:
        """ "overdue", "due" (within 7 days) or "" for an open goal."""
        if not self.is_open:
            return ""
        today = today or timezone.localdate()
        if self.review_date < today:
            return "overdue"
        if self.review_date <= today + datetime.timedelta(days=7):
            return "due"
        return ""


class GoalReview(models.Model):
    DATE_RANGES = {"reviewed_on": bounds.HISTORY, "next_review_date": bounds.PLANNING}

    """The result of testing a goal: what happened, was it realistic, what was learned, and
    what to do next."""

    class Decision(models.TextChoices):
        KEEP = "keep", _("Keep going (new review date)")
        REVISE = "revise", _("Revise (a new version of the goal)")
        ACHIEVED = "achieved", _("Achieved")
        SET_ASIDE = "set_aside", _("Set aside for now")

    class Realistic(models.TextChoices):
        YES = "yes", _("Yes")
        PARTLY = "partly", _("Partly")
        NO = "no", _("Not yet")

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField(_("review date"), default=timezone.localdate)
    what_happened = LongText(_("what happened"))
    realistic = models.CharField(_("was it realistic?"), max_length=8, choices=Realistic.choices)
    learned = LongText(_("what was learned"))
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    next_review_date = models.DateField(_("next review date"), null=True, blank=True)
    new_goal = models.OneToOneField(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="created_by_review"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review {self.reviewed_on}"


class UseCheckIn(models.Model):
    """Use in one week for one substance, as the client tells it in a session (a brief
    timeline follow-back). Session notes write these; progress charts read them. One row per
    client, substance and week: a later note about the same week replaces the numbers."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="use_checkins")
    substance = models.ForeignKey(SubstanceUse, on_delete=models.PROTECT, related_name="checkins")
    week_start = models.DateField(_("week starting (Monday)"))
    use_days = models.PositiveSmallIntegerField(
        _("use days"), validators=[MinValueValidator(0), MaxValueValidator(7)]
    )
    typical_amount = models.DecimalField(
        _("typical amount per use day"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    amount_unit = models.CharField(_("unit"), max_length=50, blank=True)
    days_above_plan = models.PositiveSmallIntegerField(
        _("days of use above plan"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
        help_text=_("Days when use went beyond the plan's limits, in neutral words: data."),
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Which session note recorded it; a plain id so goals does not depend on sessions.
    source_note_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "substance", "week_start"], name="one_checkin_per_week"
            ),
            models.CheckConstraint(
                condition=Q(days_above_plan__lte=models.F("use_days")),
                name="above_plan_within_use_days",
                violation_error_message=_("Days above plan cannot exceed use days."),
            ),
            models.CheckConstraint(condition=Q(use_days__lte=7), name="use_days_in_week"),
        ]

    def __str__(self) -> str:
        return f"{self.week_start}: {self.use_days} days"

    def clean(self) -> None:
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": _("A week starts on a Monday.")})
        if (
            self.days_above_plan is not None
            and self.use_days is not None
            and self.days_above_plan > self.use_days
        ):
            raise ValidationError({"days_above_plan": _("Days above plan cannot exceed use days.")})
