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

from assessments.models import IdentifiedHarm
from clients.models import Client, LongText, SubstanceUse, text_limit
from hrp import bounds
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, append_only
from hrp.immutability import ImmutableError as BaseImmutableError


class ImmutableError(BaseImmutableError):
    """Raised when code tries to change a plan version, which is read-only once saved."""


# "Was it realistic?" for goal and plan reviews alike: "not yet" rather than "no".
REALISTIC_CHOICES: list[tuple[str, Any]] = [
    ("yes", _("Yes")),
    ("partly", _("Partly")),
    ("no", _("Not yet")),
]

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
    # The plan's own limits in numbers, what "days above plan" is worked out from (goals/limits.py).
    # Decision: they live in the version's sections (one JSON object per substance) rather than in
    # a table of their own, because a limit is part of what the client and clinician agreed in
    # that version: it is versioned, compared and kept with the rest of the section for free.
    # `dose_limit` stays as the words ("3 drinks, no shots"); these two are the numbers.
    ("max_amount_per_day", _("Most per use day (number)")),
    ("amount_unit", _("Unit of that amount")),
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


# A review is "due" this many days ahead of its date, and "overdue" the day after; goals and plan
# versions share the rule (review_state_for) so the chart, caseload and lists agree.
REVIEW_DUE_WITHIN = datetime.timedelta(days=7)
# A plan version without its own review date (saved before plan reviews existed) is due this long
# after it was saved; new versions default to the same interval.
PLAN_REVIEW_AFTER = datetime.timedelta(weeks=4)


def review_state_for(review_date: datetime.date | None, today: datetime.date | None = None) -> str:
    """ "overdue" (the date has passed), "due" (within REVIEW_DUE_WITHIN) or ""."""
    if review_date is None:
        return ""
    today = today or timezone.localdate()
    if review_date < today:
        return "overdue"
    if review_date <= today + REVIEW_DUE_WITHIN:
        return "due"
    return ""


class Plan(models.Model):
    """One per client: the ideal substance use plan. Its content lives in versions."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="plan")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Plan {self.client_id}"


class PlanVersion(AppendOnlyModel):
    """One saved state of a plan. Never changed after saving: a change is a new version.

    A version is a hypothesis too: it carries the date it is to be reviewed on. As the row is
    append-only, a "keep going" review carries the next date (PlanReview.next_review_date)."""

    DATE_RANGES = {"review_date": bounds.PLANNING}

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    sections = models.JSONField(_("sections"), default=list)
    reason = models.CharField(_("what changed and why"), max_length=255)
    # Null only for versions saved before plan reviews existed: `selectors.next_review_on`
    # (the one rule for when a plan is next reviewed) then counts PLAN_REVIEW_AFTER from saving.
    review_date = models.DateField(_("review the plan on"), null=True, blank=True)
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


class PlanReview(AppendOnlyModel):
    """The plan version tested as a hypothesis: what happened, was it realistic, did the harms
    change, what was learned, and what next. Append-only like the version it reviews: a second
    look is a second review. There is no "failed": the plan is kept or adjusted."""

    DATE_RANGES = {"reviewed_on": bounds.HISTORY, "next_review_date": bounds.PLANNING}

    class Outcome(models.TextChoices):
        KEEP = "keep", _("Keep the plan as it is (new review date)")
        ADJUST = "adjust", _("Adjust it: make a new version now")

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField(_("review date"), default=timezone.localdate)
    # Clinical words, encrypted at rest (hrp/crypto.py finds them by their field type).
    what_happened = EncryptedTextField(_("what happened"), validators=[text_limit])
    realistic = models.CharField(_("was it realistic?"), max_length=8, choices=REALISTIC_CHOICES)
    harms_changed = EncryptedTextField(
        _("did the harms change?"), blank=True, validators=[text_limit]
    )
    learned = EncryptedTextField(_("what was learned"), blank=True, validators=[text_limit])
    outcome = models.CharField(_("what next"), max_length=16, choices=Outcome.choices)
    next_review_date = models.DateField(_("next review date"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_date__gt=models.F("reviewed_on")),
                name="plan_next_review_after_review",
                violation_error_message=_("The next review must be after this one."),
            )
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Plan review {self.reviewed_on}"


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
        # Undecided is a real goal (DOMAIN.md): clarifying what the client wants, or staying
        # with their ambivalence, is worked on and reviewed like any goal, and never turned
        # into a use goal the client has not chosen.
        EXPLORING = "exploring", _("Exploring: not yet decided")

        @property
        def about_use(self) -> bool:
            """A goal about use names its substance and may carry a use target; the others
            (a life goal, exploring) need neither. The one place that says which is which."""
            kind = type(self)
            return self in (kind.SAFER_USE, kind.MODERATION, kind.ABSTINENCE)

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

        @property
        def limits_use(self) -> bool:
            """A limit on use (days, amount): only a goal about use carries one."""
            target = type(self)
            return self in (target.MAX_USE_DAYS, target.MAX_UNITS)

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
    client_words = LongText(_("the goal in the client's words"), client_words=True)
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
    # The concrete harms (from the client's harm assessments) this goal sets out to answer.
    # Only the client's own: goals.services checks it, as a many-to-many cannot be checked in
    # clean().
    harms = models.ManyToManyField(
        IdentifiedHarm, verbose_name=_("harms it answers"), related_name="goals", blank=True
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
        kind = self.Kind(self.kind) if self.kind in self.Kind.values else None
        if kind is not None and kind.about_use and self.substance is None:
            errors["substance"] = _("Choose the substance or behaviour this goal is about.")
        if (
            kind is not None
            and not kind.about_use
            and self.target in self.Target.values
            and self.Target(self.target).limits_use
            and "target" not in errors
        ):
            errors["target"] = _(
                "A limit on use belongs to a goal about use. Choose “No measurable target”, "
                "or the kind of goal the client has chosen."
            )
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
        return review_state_for(self.review_date, today)


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

    class AbovePlanBasis(models.TextChoices):
        """How `above_plan_computed` came about (goals/limits.py), for the words shown with it."""

        COMPUTED = "computed", _("worked out from the plan's limits")
        NO_PLAN = "no_plan", _("no plan in force that week")
        NO_LIMITS = "no_limits", _("no limits set")
        NO_AMOUNT = "no_amount", _("not worked out: no amount given for the per-day limit")
        UNIT_MISMATCH = "unit_mismatch", _("not worked out: the unit differs from the plan's")
        # Rows recorded before the plan had limits in numbers: the figure was typed by hand.
        ENTERED = "entered", _("entered by the clinician")

    # What every reader uses (charts, "% of days within plan", summaries, benchmarks): the
    # clinician's correction when there is one, else the plan's figure, else 0. Only
    # `services.checkin_record` writes it, through `resolve_days_above_plan`.
    days_above_plan = models.PositiveSmallIntegerField(
        _("days of use above plan"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
        help_text=_("Days when use went beyond the plan's limits, in neutral words: data."),
    )
    above_plan_computed = models.PositiveSmallIntegerField(
        _("days above plan, from the plan's limits"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
    )
    above_plan_basis = models.CharField(
        _("how days above plan were found"),
        max_length=16,
        choices=AbovePlanBasis.choices,
        default=AbovePlanBasis.ENTERED,
    )
    above_plan_corrected = models.PositiveSmallIntegerField(
        _("days above plan, as corrected by the clinician"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
    )
    # The plan version the week was measured against (None: no plan then).
    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Which session note recorded it; a plain id so goals does not depend on sessions.
    source_note_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Source(models.TextChoices):
        CLINICIAN = "clinician", _("recorded in a session")
        CLIENT = "client", _("reported by the client")

    # Who told it: the clinician in a session (a note) or the client from their phone (the
    # weekly use diary of selfreport). Read like any other row by every reader.
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.CLINICIAN
    )

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
            models.CheckConstraint(
                condition=Q(above_plan_corrected__isnull=True)
                | Q(above_plan_corrected__lte=models.F("use_days")),
                name="corrected_within_use_days",
                violation_error_message=_("Days above plan cannot exceed use days."),
            ),
            models.CheckConstraint(
                condition=Q(above_plan_computed__isnull=True)
                | Q(above_plan_computed__lte=models.F("use_days")),
                name="computed_within_use_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week_start}: {self.use_days} days"

    @staticmethod
    def resolve_days_above_plan(computed: int | None, corrected: int | None) -> int:
        """The one rule: the clinician's correction wins; else the plan's figure; else 0 (no
        limits means no day counts as above them)."""
        if corrected is not None:
            return corrected
        return computed if computed is not None else 0

    @property
    def is_corrected(self) -> bool:
        return self.above_plan_corrected is not None and (
            self.above_plan_basis != self.AbovePlanBasis.ENTERED
        )

    @property
    def above_plan_shown(self) -> str:
        """Days above plan as a page shows them, with where the figure came from: "no limits
        set" rather than 0 when the plan has none, "corrected by clinician" when corrected."""
        basis = self.AbovePlanBasis
        if self.is_corrected:
            computed = (
                _("the plan's limits give %(n)d") % {"n": self.above_plan_computed}
                if self.above_plan_computed is not None
                else self.get_above_plan_basis_display()
            )
            return _("%(n)d (corrected by clinician; %(computed)s)") % {
                "n": self.days_above_plan,
                "computed": computed,
            }
        if self.above_plan_basis == basis.COMPUTED or self.above_plan_basis == basis.ENTERED:
            return str(self.days_above_plan)
        return str(self.get_above_plan_basis_display())

    def clean(self) -> None:
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": _("A week starts on a Monday.")})
        if (
            self.days_above_plan is not None
            and self.use_days is not None
            and self.days_above_plan > self.use_days
        ):
            raise ValidationError({"days_above_plan": _("Days above plan cannot exceed use days.")})
