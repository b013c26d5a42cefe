"""Forms for the harm assessment: harms per life domain, overdose risk, decisional balance and,
per substance, the pattern of use, what it does for the client and their readiness.

A new assessment starts from the client's latest one (or, the first time, from the substances
recorded at intake), so a repeat assessment is a conversation about what has changed rather than
a blank page. Nothing here saves: the view hands `cleaned_data` to
`services.harm_assessment_record`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from assessments import selectors
from assessments.models import (
    FUNCTIONS,
    HARM_DOMAINS,
    HARM_RATINGS,
    NOT_ASKED,
    OVERDOSE_FACTORS,
    OVERDOSE_RESOURCES,
    HarmAssessment,
    IdentifiedHarm,
    SubstancePattern,
)
from clients.forms import CrispyMixin, DateInput
from clients.models import STAGE_CHOICES, STRENGTH_FIELDS, Client, SubstanceUse
from hrp import bounds

RATING_FIELDS = [f"{key}_rating" for key, _label in HARM_DOMAINS]
WORDS_FIELDS = [f"{key}_words" for key, _label in HARM_DOMAINS]
FACTOR_FIELDS = [key for key, _label in OVERDOSE_FACTORS]
RESOURCE_FIELDS = [key for key, _label in OVERDOSE_RESOURCES]
BALANCE_FIELDS = ["benefits_of_use", "costs_of_use", "benefits_of_change", "costs_of_change"]
# Strengths and resources, in the client's words: a new assessment starts from the client's
# current ones (selectors.current_strengths: the latest assessment's, else the intake's).
STRENGTH_FORM_FIELDS = list(selectors.STRENGTH_KEYS)

# What carries over from the latest assessment into a new one. The date is today's and the
# clinician's notes belong to the conversation they were written about, so neither is copied.
CARRIED_OVER = [*RATING_FIELDS, *WORDS_FIELDS, *FACTOR_FIELDS, *RESOURCE_FIELDS, *BALANCE_FIELDS]

PATTERN_FIELDS = [
    "substance_name",
    "dose",
    "frequency",
    "route",
    "setting",
    "with_whom",
    "functions",
    "function_other",
    "function_notes",
    "importance",
    "confidence",
    "readiness",
    "stage_of_change",
]

MAX_PATTERNS = 20
BLANK_PATTERN_ROWS = 2

RATING_MESSAGE = _(
    "Choose a rating from 0 (no harm) to 3 (severe harm), or “Not asked” if you did not "
    "talk about this part of life."
)
# "Not asked" comes first and is what a new assessment starts from: a life area nobody asked
# about must not be stored as "0 none".
RATING_CHOICES = [("", NOT_ASKED), *HARM_RATINGS]


def _zero_to_ten(label: Any, help_text: Any) -> forms.IntegerField:
    message = _("Use a whole number from 0 to 10, or leave it empty.")
    return bounds.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "step": 1}),
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class HarmAssessmentForm(CrispyMixin, forms.ModelForm):
    """Everything of a harm assessment except the per-substance rows."""

    class Meta:
        model = HarmAssessment
        formfield_callback = bounds.formfield
        fields = ["assessed_on", *CARRIED_OVER, *STRENGTH_FORM_FIELDS, "notes"]
        widgets = {
            "assessed_on": DateInput(),
            **{name: forms.Textarea(attrs={"rows": 2}) for name in WORDS_FIELDS},
            **{name: forms.Textarea(attrs={"rows": 4}) for name in BALANCE_FIELDS},
            "notes": forms.Textarea(attrs={"rows": 4}),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in STRENGTH_FORM_FIELDS},
        }
        help_texts = {
            name: _("One point per line, in the client's own words.") for name in BALANCE_FIELDS
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].label = _("Date of the assessment")
        self.fields["assessed_on"].error_messages["invalid"] = _(
            "Enter the date as year-month-day, e.g. 2026-03-14."
        )
        for key, label in HARM_DOMAINS:
            rating = self.fields[f"{key}_rating"]
            rating.label = _("%(domain)s: how much harm") % {"domain": label}
            rating.choices = RATING_CHOICES
            rating.error_messages.update(
                {"invalid_choice": RATING_MESSAGE, "required": RATING_MESSAGE}
            )
            words = self.fields[f"{key}_words"]
            words.label = _("%(domain)s: in the client's words") % {"domain": label}
        for key, label in [*OVERDOSE_FACTORS, *OVERDOSE_RESOURCES]:
            self.fields[key].label = label
        self.fields["benefits_of_use"].label = _("Good things about using")
        self.fields["costs_of_use"].label = _("Not-so-good things about using")
        self.fields["benefits_of_change"].label = _("Good things about changing")
        self.fields["costs_of_change"].label = _("Not-so-good things about changing")
        for key, label, _help in STRENGTH_FIELDS:
            self.fields[key].label = capfirst(label)
        self.fields["notes"].label = _("Clinician's notes")
        self.fields["notes"].help_text = _("Your own notes, kept apart from the client's words.")
        self._crispy()

    # Template helpers: the form is laid out by section, not field by field.
    def domain_rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"{key}_rating"], self[f"{key}_words"]) for key, label in HARM_DOMAINS]

    def factor_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FACTOR_FIELDS]

    def resource_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in RESOURCE_FIELDS]

    def balance_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BALANCE_FIELDS]

    def strength_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in STRENGTH_FORM_FIELDS]


class SubstancePatternForm(CrispyMixin, forms.ModelForm):
    """One substance or behaviour: the pattern, its functions, and readiness to change."""

    functions = forms.MultipleChoiceField(
        label=_("What it does for them"),
        choices=FUNCTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every function the client names; there is usually more than one."),
        error_messages={"invalid_choice": _("Choose from the functions listed.")},
    )
    importance = _zero_to_ten(
        _("Importance of changing (0-10)"), _("How important is it to you to change this?")
    )
    confidence = _zero_to_ten(
        _("Confidence (0-10)"), _("How confident are you that you could change it?")
    )
    readiness = _zero_to_ten(_("Readiness (0-10)"), _("How ready are you to change it now?"))
    stage_of_change = forms.ChoiceField(
        label=_("Where the client is with changing it (stage of change)"),
        choices=[("", _("Not discussed")), *STAGE_CHOICES],
        required=False,
        help_text=_("Where they are today, in their view. It describes, never judges."),
        error_messages={"invalid_choice": _("Choose one of the stages listed, or leave it.")},
    )
    substance = forms.ModelChoiceField(
        queryset=SubstanceUse.objects.none(), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = SubstancePattern
        formfield_callback = bounds.formfield
        fields = ["substance", *PATTERN_FIELDS]
        widgets = {"function_notes": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "substance_name": _("Substance or behaviour"),
            "dose": _("Dose or amount"),
            "frequency": _("How often"),
            "route": _("Route or method"),
            "setting": _("Setting"),
            "with_whom": _("With whom"),
            "function_other": _("Other function, in their words"),
            "function_notes": _("Notes on what it does for them"),
        }

    def __init__(
        self, *args: Any, substances: QuerySet[SubstanceUse] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The link to an intake substance is limited to this client's substances, so a
        # tampered id cannot point at another client's record.
        if substances is not None:
            self.fields["substance"].queryset = substances
        self.fields["substance"].error_messages["invalid_choice"] = _(
            "This row is linked to a substance that is not on this client's record."
        )
        self.fields["substance_name"].error_messages["required"] = _(
            "Name the substance or behaviour for this row (or clear the row)."
        )
        self._crispy()

    def is_blank(self) -> bool:
        """True when nothing was typed or ticked in the row (the hidden link aside)."""
        for name in PATTERN_FIELDS:
            value = self[name].value() if self.is_bound else None
            if isinstance(value, list | tuple):
                if any(str(v).strip() for v in value):
                    return False
            elif value is not None and str(value).strip():
                return False
        return True

    def has_changed(self) -> bool:
        # The formset marks every row `empty_permitted`, and Django skips validating such a
        # row when it "has not changed". Here that means "is blank": a row pre-filled from the
        # last assessment and left as it was is still part of this assessment, while a row the
        # clinician left (or made) empty is ignored.
        return not self.is_blank()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        functions = list(data.get("functions") or [])
        if data.get("function_other", "").strip() and "other" not in functions:
            functions.append("other")
        if "other" in functions and not data.get("function_other", "").strip():
            self.add_error("function_other", _("Say what else it does for them."))
        data["functions"] = [key for key, _label in FUNCTIONS if key in functions]
        return data

    def pattern_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ["substance", *PATTERN_FIELDS]}


class BaseSubstancePatternFormSet(forms.BaseFormSet):
    def __init__(
        self, *args: Any, substances: QuerySet[SubstanceUse] | None = None, **kwargs: Any
    ) -> None:
        self.substances = substances
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"substances": self.substances, "empty_permitted": True}

    def filled_forms(self) -> list[SubstancePatternForm]:
        return [form for form in self.forms if not form.is_blank()]

    def pattern_values(self) -> list[dict[str, Any]]:
        """The rows to store, in the order shown; blank rows are left out."""
        return [form.pattern_values() for form in self.filled_forms()]


SubstancePatternFormSet = forms.formset_factory(
    SubstancePatternForm,
    formset=BaseSubstancePatternFormSet,
    extra=BLANK_PATTERN_ROWS,
    max_num=MAX_PATTERNS,
    validate_max=True,
    absolute_max=MAX_PATTERNS + BLANK_PATTERN_ROWS,
)
PATTERN_PREFIX = "patterns"


MAX_HARMS = 30
BLANK_HARM_ROWS = 2
HARM_FIELDS = ["substance", "domain", "description", "severity"]


class IdentifiedHarmForm(CrispyMixin, forms.ModelForm):
    """One concrete harm: what happens, with which substance, in which part of life."""

    severity = forms.TypedChoiceField(
        label=_("How much harm"),
        # Optional: the words matter more than a number, and a harm may be left unrated.
        choices=[("", _("Not rated")), *HARM_RATINGS],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={
            "invalid_choice": _("Choose from 0 (no harm) to 3 (severe harm), or “Not rated”.")
        },
    )
    carries = forms.ModelChoiceField(
        queryset=IdentifiedHarm.objects.none(), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = IdentifiedHarm
        formfield_callback = bounds.formfield
        fields = ["substance", "domain", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "substance": _("With which substance or behaviour"),
            "domain": _("Part of life"),
            "description": _("What happens, concretely, in the client's words"),
        }
        help_texts = {
            "description": _("e.g. “misses Monday shifts after weekend use”: what, not a label."),
        }

    def __init__(
        self,
        *args: Any,
        substances: QuerySet[SubstanceUse] | None = None,
        earlier: QuerySet[IdentifiedHarm] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Both links are limited to this client's records, so a tampered id cannot point at
        # another client's substance or harm.
        substance = self.fields["substance"]
        substance.queryset = substances if substances is not None else SubstanceUse.objects.none()
        substance.required = False
        substance.empty_label = _("Use in general (more than one, or not sure)")
        substance.error_messages["invalid_choice"] = _(
            "Choose one of this client's substances, or “use in general”."
        )
        if earlier is not None:
            self.fields["carries"].queryset = earlier
        self.fields["carries"].error_messages["invalid_choice"] = _(
            "This row is linked to a harm that is not on this client's record."
        )
        self.fields["domain"].choices = [("", _("Choose a part of life")), *HARM_DOMAINS]
        self.fields["domain"].error_messages.update(
            {
                "required": _("Choose the part of life this harm touches (or clear the row)."),
                "invalid_choice": _("Choose one of the parts of life listed."),
            }
        )
        self.fields["description"].required = True
        self.fields["description"].error_messages["required"] = _(
            "Say what happens, concretely, in the client's words (or clear the row)."
        )
        self._crispy()

    def is_blank(self) -> bool:
        if not self.is_bound:
            return True
        # Anything typed or chosen fills the row; the hidden link to the earlier record does not.
        return not any(str(self[name].value() or "").strip() for name in HARM_FIELDS)

    def has_changed(self) -> bool:
        # As for the substance rows: a row carried over and left as it was is part of this
        # assessment; a row left (or made) empty is ignored.
        return not self.is_blank()

    def harm_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in [*HARM_FIELDS, "carries"]}


class BaseIdentifiedHarmFormSet(forms.BaseFormSet):
    def __init__(
        self,
        *args: Any,
        substances: QuerySet[SubstanceUse] | None = None,
        earlier: QuerySet[IdentifiedHarm] | None = None,
        **kwargs: Any,
    ) -> None:
        self.substances = substances
        self.earlier = earlier
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"substances": self.substances, "earlier": self.earlier, "empty_permitted": True}

    def harm_values(self) -> list[dict[str, Any]]:
        """The harms to store, in the order shown; blank rows are left out."""
        return [form.harm_values() for form in self.forms if not form.is_blank()]


IdentifiedHarmFormSet = forms.formset_factory(
    IdentifiedHarmForm,
    formset=BaseIdentifiedHarmFormSet,
    extra=BLANK_HARM_ROWS,
    max_num=MAX_HARMS,
    validate_max=True,
    absolute_max=MAX_HARMS + BLANK_HARM_ROWS,
)
HARM_PREFIX = "harms"


@dataclass
class HarmInitial:
    """What a new assessment starts from, and where it came from (for a note on the page)."""

    values: dict[str, Any]
    patterns: list[dict[str, Any]] = field(default_factory=list)
    harms: list[dict[str, Any]] = field(default_factory=list)
    from_assessment: HarmAssessment | None = None
    from_intake: bool = False


def _pattern_from_previous(pattern: SubstancePattern) -> dict[str, Any]:
    return {"substance": pattern.substance_id, **{n: getattr(pattern, n) for n in PATTERN_FIELDS}}


def _harm_from_previous(harm: IdentifiedHarm) -> dict[str, Any]:
    # `carries` keeps the harm's thread, so a goal set for it still answers it.
    return {
        "carries": harm.pk,
        "substance": harm.substance_id,
        "domain": harm.domain,
        "description": harm.description,
        "severity": harm.severity,
    }


def _pattern_from_intake(substance: SubstanceUse) -> dict[str, Any]:
    return {
        "substance": substance.pk,
        "stage_of_change": substance.stage_of_change,
        "substance_name": substance.name,
        "dose": substance.amount,
        "frequency": substance.frequency,
        "route": substance.route,
        "setting": substance.setting,
    }


def harm_initial(client: Client) -> HarmInitial:
    """Start a new assessment from the latest one, else from the intake's substances."""
    today = timezone.localdate()
    latest = selectors.latest_harm_assessment(client)
    strengths = {key: "" for key in STRENGTH_FORM_FIELDS}
    strengths.update({s.key: s.text for s in selectors.current_strengths(client)})
    if latest is not None:
        return HarmInitial(
            values={
                "assessed_on": today,
                **{n: getattr(latest, n) for n in CARRIED_OVER},
                **strengths,
            },
            patterns=[_pattern_from_previous(p) for p in latest.patterns.all()],
            harms=[_harm_from_previous(h) for h in latest.identified_harms.all()],
            from_assessment=latest,
        )
    substances: Iterable[SubstanceUse] = client.substances.all()
    patterns = [_pattern_from_intake(s) for s in substances]
    return HarmInitial(
        values={"assessed_on": today, **strengths}, patterns=patterns, from_intake=bool(patterns)
    )


@dataclass
class HarmForms:
    """The assessment form, its substance rows and its harm rows, and what they started from."""

    form: HarmAssessmentForm
    patterns: BaseSubstancePatternFormSet
    harms: BaseIdentifiedHarmFormSet
    initial: HarmInitial | None

    def is_valid(self) -> bool:
        # Each part is validated so that every problem is shown at once.
        return all([self.form.is_valid(), self.patterns.is_valid(), self.harms.is_valid()])


def harm_forms(client: Client, data: Any = None) -> HarmForms:
    """The assessment form, its substance rows and its harm rows: bound to `data` on a POST,
    else pre-filled from the latest assessment."""
    substances = client.substances.all()
    # A harm carried over continues one of this client's earlier harms, never another's.
    earlier = IdentifiedHarm.objects.filter(assessment__client=client).select_related("assessment")
    if data is not None:
        return HarmForms(
            HarmAssessmentForm(data),
            SubstancePatternFormSet(data, prefix=PATTERN_PREFIX, substances=substances),
            IdentifiedHarmFormSet(data, prefix=HARM_PREFIX, substances=substances, earlier=earlier),
            None,
        )
    initial = harm_initial(client)
    return HarmForms(
        HarmAssessmentForm(initial=initial.values),
        SubstancePatternFormSet(
            initial=initial.patterns, prefix=PATTERN_PREFIX, substances=substances
        ),
        IdentifiedHarmFormSet(
            initial=initial.harms, prefix=HARM_PREFIX, substances=substances, earlier=earlier
        ),
        initial,
    )
