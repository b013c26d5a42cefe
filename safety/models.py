"""Safety plans (suicide), overdose prevention plans and periods of lost tolerance.

Both plans are versioned like the ideal substance use plan (goals.models.Plan/PlanVersion): one
plan row per client, and append-only versions holding the content, so what the client was handed
on a given day can always be read again. Every free-text field is the client's words and is
encrypted at rest.

A tolerance window is a dated period of lowered opioid tolerance (after release from prison or
jail, residential treatment, a hospital stay or a break of some weeks). It is "open" on the days
start_date <= today <= end_date in clinic time, and while it is open the chart, the caseload and
the reminders say so.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, text_limit
from hrp import bounds
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, append_only
from hrp.immutability import ImmutableError as BaseImmutableError


class ImmutableError(BaseImmutableError):
    """Raised when code tries to change a saved plan version: a change is a new version."""


def Words(verbose_name: Any, *, limit: Any = text_limit, **kwargs: Any) -> EncryptedTextField:
    """Free text in the client's words, encrypted at rest, with the clinic's length limit. The
    language hint leaves it alone; pass client_words=False for the clinician's own text."""
    kwargs.setdefault("client_words", True)
    return EncryptedTextField(verbose_name, blank=True, validators=[limit], **kwargs)


short_limit = MaxLengthValidator(
    200, message=_("Please keep this under 200 characters (it has %(show_value)d).")
)


# The six steps of a safety plan, in the product's own words (the published Stanley-Brown form
# is copyrighted; these say the same steps plainly, as the client would). Each entry: the
# field, the heading the client reads, and the prompt under it. The page, the PDF, the history
# and the comparison all read this one list.
SAFETY_STEPS: list[tuple[str, Any, Any]] = [
    (
        "warning_signs",
        _("Signs that a hard time is starting"),
        _("What I notice in my thoughts, feelings, body or day when things begin to get harder."),
    ),
    (
        "coping_alone",
        _("Things I can do on my own to get through it"),
        _("Ways I can calm down or move my mind somewhere else, without needing anyone."),
    ),
    (
        "distractions",
        _("People and places that help me take my mind off things"),
        _("Who I can be around, and where I can go, so I feel less alone."),
    ),
    (
        "people_to_ask",
        _("People I can reach out to for help"),
        _("Friends or family I can tell that I am struggling, and how to reach them."),
    ),
    (
        "professionals",
        _("Professionals and crisis lines I can call"),
        _("My clinicians and services I can call or text, any time of day or night."),
    ),
    (
        "safer_surroundings",
        _("Making where I am safer"),
        _("What I will do to keep things I could hurt myself with out of reach."),
    ),
]
SAFETY_STEP_FIELDS = [field for field, _title, _prompt in SAFETY_STEPS]


class SafetyPlan(models.Model):
    """One per client: the safety plan. Its content lives in versions."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="safety_plan")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Safety plan {self.client_id}"


class SafetyPlanVersion(AppendOnlyModel):
    """One saved state of a safety plan. Never changed after saving: a change is a new version."""

    DATE_RANGES = {"review_date": bounds.PLANNING}

    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    warning_signs = Words(SAFETY_STEPS[0][1])
    coping_alone = Words(SAFETY_STEPS[1][1])
    distractions = Words(SAFETY_STEPS[2][1])
    people_to_ask = Words(SAFETY_STEPS[3][1])
    professionals = Words(SAFETY_STEPS[4][1])
    safer_surroundings = Words(SAFETY_STEPS[5][1])
    # The crisis lines as printed on this version (the clinic's default when it was written,
    # or what the client chose instead): kept with the version so a reprint says the same.
    crisis_lines = models.CharField(_("crisis lines"), max_length=200, blank=True)
    review_date = models.DateField(_("review date"))
    reason = Words(_("what changed and why"), limit=short_limit, client_words=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_safety_version_number")
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Safety plan version {self.number}"

    def steps(self) -> list[tuple[str, Any, Any, str]]:
        """(field, heading, prompt, the client's words) for each of the six steps."""
        return [(f, title, prompt, getattr(self, f)) for f, title, prompt in SAFETY_STEPS]


# The overdose prevention plan's free-text parts, in display order: (field, heading, prompt).
OVERDOSE_TEXTS: list[tuple[str, Any, Any]] = [
    ("naloxone_where", _("Where my naloxone is"), _("Where I keep it, so others can find it.")),
    (
        "never_alone",
        _("Not using alone"),
        _("Who can be with me or check on me (a buddy), and what I do when nobody can."),
    ),
    (
        "never_use_alone_line",
        _("A never-use-alone line"),
        _("A number I can call or text to have someone stay on the line while I use."),
    ),
    ("spacing", _("Going slow"), _("Starting with a small amount and spacing doses.")),
    (
        "drug_checking",
        _("Checking what I have"),
        _("Where I get test strips and how I use them."),
    ),
    (
        "supply_route_changes",
        _("When my supply or the way I use changes"),
        _("A new dealer, a new batch, or a new way of using: what I do to stay safer."),
    ),
    (
        "not_mixing",
        _("Not mixing"),
        _("What I keep apart, such as alcohol, benzos or sleeping pills with opioids."),
    ),
    ("client_words", _("In my own words"), _("Anything else that keeps me safer.")),
]
OVERDOSE_TEXT_FIELDS = [field for field, _title, _prompt in OVERDOSE_TEXTS]
OVERDOSE_CHOICES: list[tuple[str, Any]] = [
    ("has_naloxone", _("I have naloxone")),
    ("knows_naloxone", _("I know how to use it")),
    ("fentanyl_strips", _("I use fentanyl test strips")),
    ("xylazine_strips", _("I use xylazine test strips")),
]
OVERDOSE_CHOICE_FIELDS = [field for field, _label in OVERDOSE_CHOICES]


class OverdosePlan(models.Model):
    """One per client: the overdose prevention plan. Its content lives in versions."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="overdose_plan")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Overdose prevention plan {self.client_id}"


class OverdosePlanVersion(AppendOnlyModel):
    """One saved state of an overdose prevention plan; a change is a new version."""

    DATE_RANGES = {"review_date": bounds.PLANNING}

    plan = models.ForeignKey(OverdosePlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    has_naloxone = models.BooleanField(_("I have naloxone"), default=False)
    knows_naloxone = models.BooleanField(_("I know how to use it"), default=False)
    fentanyl_strips = models.BooleanField(_("I use fentanyl test strips"), default=False)
    xylazine_strips = models.BooleanField(_("I use xylazine test strips"), default=False)
    naloxone_where = Words(OVERDOSE_TEXTS[0][1], limit=short_limit)
    never_alone = Words(OVERDOSE_TEXTS[1][1])
    never_use_alone_line = Words(OVERDOSE_TEXTS[2][1], limit=short_limit)
    spacing = Words(OVERDOSE_TEXTS[3][1])
    drug_checking = Words(OVERDOSE_TEXTS[4][1])
    supply_route_changes = Words(OVERDOSE_TEXTS[5][1])
    not_mixing = Words(OVERDOSE_TEXTS[6][1])
    client_words = Words(OVERDOSE_TEXTS[7][1])
    review_date = models.DateField(_("review date"))
    reason = Words(_("what changed and why"), limit=short_limit, client_words=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_overdose_version_number")
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Overdose prevention plan version {self.number}"

    def checks(self) -> list[tuple[str, Any, bool]]:
        return [(f, label, getattr(self, f)) for f, label in OVERDOSE_CHOICES]

    def texts(self) -> list[tuple[str, Any, Any, str]]:
        return [(f, title, prompt, getattr(self, f)) for f, title, prompt in OVERDOSE_TEXTS]


class ToleranceWindow(models.Model):
    """A period of lowered tolerance, from `start_date` to `end_date` inclusive (clinic dates).
    Recorded by safety.services.tolerance_window_record only."""

    DATE_RANGES = {"start_date": bounds.PLANNING, "end_date": bounds.PLANNING}

    class Reason(models.TextChoices):
        RELEASE = "release", _("Release from prison or jail")
        RESIDENTIAL = "residential", _("Residential treatment")
        HOSPITAL = "hospital", _("Hospital stay")
        BREAK = "break", _("A break from using of some weeks")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tolerance_windows")
    reason = models.CharField(_("why tolerance is lower"), max_length=16, choices=Reason.choices)
    start_date = models.DateField(
        _("from"),
        help_text=_("The day of release or discharge, or the day the break from using ended."),
    )
    end_date = models.DateField(
        _("until"), help_text=_("The last day to take extra care (included).")
    )
    note = Words(_("note"), client_words=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="tolerance_end_not_before_start",
                violation_error_message=_("The last day cannot be before the first."),
            ),
        ]
        indexes = [
            # "Is a window open for this client today?" reads only the client's windows that
            # end today or later (an index range scan), never their whole history.
            models.Index(fields=["client", "end_date"], name="tolerance_client_end"),
            # Reminders ask the clinic-wide question "which windows open (or run) today?".
            models.Index(fields=["start_date"], name="tolerance_start"),
        ]

    def __str__(self) -> str:
        return f"Tolerance window {self.start_date} to {self.end_date}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first.")})

    def is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.start_date <= today <= self.end_date
