"""Harm assessments and standard-measure administrations. Both are kept over time: each new
one is a new row, earlier ones are read-only and comparable."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES, Band, Measure, get_measure
from clients.models import (
    STAGE_CHOICES,
    STRENGTH_FIELDS,
    Client,
    LongText,
    PrivateText,
    SubstanceUse,
    stage_label,
    text_limit,
)
from hrp import bounds, formats
from hrp.crypto import EncryptedTextField
from hrp.immutability import AppendOnlyModel, append_only
from hrp.immutability import ImmutableError as BaseImmutableError


class ImmutableError(BaseImmutableError):
    """Raised when code tries to change a submitted record."""


# --- Standard measures -------------------------------------------------------------------------


class Administration(AppendOnlyModel):
    """One administration of a standard measure with the client. Never edited: a correction is
    a new administration that names the one it corrects."""

    class Source(models.TextChoices):
        # Given with the clinician (in session, or entered from paper).
        CLINICIAN = "clinician", _("With the clinician")
        # Answered by the client on their own through a link (selfreport); `administered_by` is
        # then the clinician who sent the link.
        CLIENT = "client", _("Reported by the client")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="administrations")
    measure_code = models.CharField(
        _("measure"), max_length=16, choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    answers = models.JSONField(_("answers"))
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=32)
    # Whether question 9 was answered above 0: what the answers said. The flag and its
    # follow-up live in risk.RiskFlag (source "assessments.phq9").
    suicide_risk = models.BooleanField(_("suicide-risk flag"), default=False)
    severity_flag = models.BooleanField(_("severity flag"), default=False)
    administered_at = models.DateTimeField(_("administered"), default=timezone.now, db_index=True)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrected_by",
    )
    correction_reason = models.CharField(_("reason for the correction"), max_length=255, blank=True)
    source = models.CharField(
        _("answered"), max_length=10, choices=Source.choices, default=Source.CLINICIAN
    )

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [
            models.Index(fields=["client", "measure_code", "-administered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=""),
                name="correction_has_reason",
            )
        ]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"{self.measure.name} {self.score} ({formats.date(self.administered_at)})"

    @property
    def measure(self) -> Measure:
        return get_measure(self.measure_code)

    @property
    def band_label(self) -> str:
        return str(self._band.label)

    @property
    def band_short(self) -> str:
        """The band in a word or two, lower case, to follow the score ("10 positive")."""
        return self._band.short_label

    @property
    def _band(self) -> Band:
        return next(b for b in self.measure.bands if b.key == self.band)


# --- Harm assessment ---------------------------------------------------------------------------

HARM_DOMAINS: list[tuple[str, Any]] = [
    ("physical", _("Physical health")),
    ("mental", _("Mental health")),
    ("relationships", _("Relationships")),
    ("work", _("Work or school")),
    ("legal", _("Legal")),
    ("financial", _("Financial")),
    ("safety", _("Safety and housing")),
]
HARM_RATINGS = [(0, _("0 none")), (1, _("1 mild")), (2, _("2 moderate")), (3, _("3 severe"))]
# A life area the assessment did not cover has no rating (NULL), never 0: "0 none" is a
# finding. Every page, comparison and count treats it as unknown.
NOT_ASKED = _("Not asked")


def harm_rating_label(rating: int | None) -> Any:
    """How a harm rating reads: "2 moderate", or "Not asked" for a life area not covered."""
    if rating is None:
        return NOT_ASKED
    return dict(HARM_RATINGS).get(rating, rating)


OVERDOSE_FACTORS: list[tuple[str, Any]] = [
    ("uses_alone", _("Using alone")),
    ("mixes_depressants", _("Mixing depressants (opioids with alcohol or benzodiazepines)")),
    ("lowered_tolerance", _("Lowered tolerance after a break or release")),
    ("unknown_supply", _("Unknown supply")),
    ("injects", _("Injecting")),
    ("previous_overdose", _("Previous overdose")),
]
OVERDOSE_RESOURCES: list[tuple[str, Any]] = [
    ("has_naloxone", _("Naloxone on hand")),
    ("has_test_strips", _("Drug-checking strips")),
    ("has_sterile_supplies", _("Sterile supplies")),
]

FUNCTIONS: list[tuple[str, Any]] = [
    ("self_medication", _("Self-medication")),
    ("managing_feelings", _("Managing feelings")),
    ("coping", _("Coping with stress")),
    ("sleep", _("Sleep")),
    ("energy", _("Energy or focus")),
    ("social", _("Social connection")),
    ("identity", _("Identity")),
    ("pleasure", _("Pleasure")),
    ("creativity", _("Creativity")),
    ("pain", _("Physical pain")),
    ("other", _("Other")),
]

zero_to_ten = [MinValueValidator(0), MaxValueValidator(10)]
zero_to_three = [MinValueValidator(0), MaxValueValidator(3)]
# A harm rating starts as "not asked" (no value) until the client and clinician rate it.
_NOT_ASKED_YET: dict[str, Any] = {
    "null": True,
    "blank": True,
    "default": None,
    "validators": zero_to_three,
}


class HarmAssessment(AppendOnlyModel):
    """A harm assessment done with the client. Each one is kept; once saved it is read-only
    and later ones are compared against it."""

    DATE_RANGES = {"assessed_on": bounds.HISTORY}

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="harm_assessments")
    assessed_on = models.DateField(_("date"), default=timezone.localdate)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Harms per life domain, each 0-3 (or not asked) with the client's own words.
    physical_rating = models.PositiveSmallIntegerField(
        _("physical health"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    physical_words = LongText(_("in the client's words"), client_words=True)
    mental_rating = models.PositiveSmallIntegerField(
        _("mental health"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    mental_words = LongText(_("in the client's words"), client_words=True)
    relationships_rating = models.PositiveSmallIntegerField(
        _("relationships"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    relationships_words = LongText(_("in the client's words"), client_words=True)
    work_rating = models.PositiveSmallIntegerField(
        _("work or school"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    work_words = LongText(_("in the client's words"), client_words=True)
    legal_rating = models.PositiveSmallIntegerField(
        _("legal"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    legal_words = LongText(_("in the client's words"), client_words=True)
    financial_rating = models.PositiveSmallIntegerField(
        _("financial"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    financial_words = LongText(_("in the client's words"), client_words=True)
    safety_rating = models.PositiveSmallIntegerField(
        _("safety and housing"), choices=HARM_RATINGS, **_NOT_ASKED_YET
    )
    safety_words = LongText(_("in the client's words"), client_words=True)

    # Overdose-risk factors and resources (DOMAIN.md).
    uses_alone = models.BooleanField(_("using alone"), default=False)
    mixes_depressants = models.BooleanField(_("mixing depressants"), default=False)
    lowered_tolerance = models.BooleanField(_("lowered tolerance"), default=False)
    unknown_supply = models.BooleanField(_("unknown supply"), default=False)
    injects = models.BooleanField(_("injecting"), default=False)
    previous_overdose = models.BooleanField(_("previous overdose"), default=False)
    has_naloxone = models.BooleanField(_("naloxone on hand"), default=False)
    has_test_strips = models.BooleanField(_("drug-checking strips"), default=False)
    has_sterile_supplies = models.BooleanField(_("sterile supplies"), default=False)
    # Set by assessments.services from risk.rules: the ticked factors that count for the
    # client's substances (using alone is no overdose factor with alcohol alone).
    overdose_risk = models.BooleanField(_("overdose-risk flag"), default=False, editable=False)

    # Decisional balance, one point per line, in the client's words.
    benefits_of_use = LongText(_("good things about using"), client_words=True)
    costs_of_use = LongText(_("not-so-good things about using"), client_words=True)
    benefits_of_change = LongText(_("good things about changing"), client_words=True)
    costs_of_change = LongText(_("not-so-good things about changing"), client_words=True)

    notes = LongText(_("clinician's notes"))

    # Strengths and resources in the client's words (clients.models.STRENGTH_FIELDS), encrypted.
    # Added after the first assessments were stored: an empty value there means "not recorded".
    strengths = PrivateText(STRENGTH_FIELDS[0][1], help_text=STRENGTH_FIELDS[0][2])
    supports = PrivateText(STRENGTH_FIELDS[1][1], help_text=STRENGTH_FIELDS[1][2])
    past_changes = PrivateText(STRENGTH_FIELDS[2][1], help_text=STRENGTH_FIELDS[2][2])

    class Meta:
        ordering = ["-assessed_on", "-id"]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return f"Harm assessment {self.assessed_on}"

    @property
    def overdose_factors(self) -> list[str]:
        """The factors that raise the overdose-risk flag, named."""
        return [str(label) for key, label in OVERDOSE_FACTORS if getattr(self, key)]

    @property
    def overdose_resources(self) -> list[str]:
        return [str(label) for key, label in OVERDOSE_RESOURCES if getattr(self, key)]

    @property
    def harms(self) -> list[tuple[str, Any, int | None, str]]:
        """(key, life area, rating or None when not asked, the client's words) per domain."""
        return [
            (key, label, getattr(self, f"{key}_rating"), getattr(self, f"{key}_words"))
            for key, label in HARM_DOMAINS
        ]

    def balance(self) -> dict[str, list[str]]:
        return {
            name: [line.strip() for line in getattr(self, name).splitlines() if line.strip()]
            for name in ("benefits_of_use", "costs_of_use", "benefits_of_change", "costs_of_change")
        }


class SubstancePattern(AppendOnlyModel):
    """Per substance, a micro-analysis of the current pattern, the functions it serves and the
    client's readiness, within one harm assessment."""

    assessment = models.ForeignKey(
        HarmAssessment, on_delete=models.PROTECT, related_name="patterns"
    )
    substance = models.ForeignKey(
        SubstanceUse, on_delete=models.PROTECT, related_name="patterns", null=True, blank=True
    )
    substance_name = models.CharField(_("substance or behaviour"), max_length=100)
    dose = models.CharField(_("dose or amount"), max_length=200, blank=True)
    frequency = models.CharField(_("how often"), max_length=200, blank=True)
    route = models.CharField(_("route or method"), max_length=100, blank=True)
    setting = models.CharField(_("setting"), max_length=200, blank=True)
    with_whom = models.CharField(_("with whom"), max_length=200, blank=True)
    functions = models.JSONField(_("what it does for the client"), default=list, blank=True)
    function_other = models.CharField(_("other function"), max_length=200, blank=True)
    function_notes = LongText(_("notes on what it does for them"))
    importance = models.PositiveSmallIntegerField(
        _("importance of changing (0-10)"), null=True, blank=True, validators=zero_to_ten
    )
    confidence = models.PositiveSmallIntegerField(
        _("confidence (0-10)"), null=True, blank=True, validators=zero_to_ten
    )
    readiness = models.PositiveSmallIntegerField(
        _("readiness (0-10)"), null=True, blank=True, validators=zero_to_ten
    )
    # Optional: where the client is with this substance today, in plain words (STAGE_CHOICES).
    stage_of_change = models.CharField(
        _("stage of change"), max_length=20, choices=STAGE_CHOICES, blank=True
    )

    class Meta:
        ordering = ["id"]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return self.substance_name

    @property
    def stage_label(self) -> Any:
        return stage_label(self.stage_of_change)

    @property
    def function_labels(self) -> list[str]:
        labels = dict(FUNCTIONS)
        names = [str(labels[key]) for key in self.functions if key in labels and key != "other"]
        if "other" in self.functions and self.function_other:
            names.append(self.function_other)
        return names


class IdentifiedHarm(AppendOnlyModel):
    """One concrete harm the client names within a harm assessment: what happens, in their
    words ("misses Monday shifts after weekend use"), the substance it comes with and the part
    of life it touches. Specific harms, not labels (DOMAIN.md); goals name the harms they answer.

    A harm carried over from the previous assessment keeps its thread (`first_identified`), so
    a goal set for it still answers it in the newer assessment."""

    assessment = models.ForeignKey(
        HarmAssessment, on_delete=models.PROTECT, related_name="identified_harms"
    )
    # Null: the harm comes with use in general (several substances, or the client cannot say).
    substance = models.ForeignKey(
        SubstanceUse,
        verbose_name=_("substance or behaviour"),
        on_delete=models.PROTECT,
        related_name="identified_harms",
        null=True,
        blank=True,
    )
    domain = models.CharField(_("part of life"), max_length=16, choices=HARM_DOMAINS)
    description = EncryptedTextField(
        _("what happens, concretely"), validators=[text_limit], client_words=True
    )
    severity = models.PositiveSmallIntegerField(
        _("how much harm"), choices=HARM_RATINGS, null=True, blank=True, validators=zero_to_three
    )
    # The same harm named in an earlier assessment: the first time it was named (null for a
    # harm named for the first time). A goal answering any harm of the thread answers it.
    first_identified = models.ForeignKey(
        "self",
        verbose_name=_("first named"),
        on_delete=models.PROTECT,
        related_name="carried_into",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["id"]
        triggers = append_only(error=ImmutableError)

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def thread_id(self) -> int:
        """The id all records of this harm share: the first time it was named."""
        return self.first_identified_id or self.pk

    @property
    def severity_label(self) -> Any:
        return harm_rating_label(self.severity) if self.severity is not None else ""
