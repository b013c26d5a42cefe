"""Forms for the ideal substance use plan: one section per substance or behaviour, and the
reason for the change.

The plan is built with the client. A section sets the current pattern beside the pattern that
keeps the benefits and cuts the harms, and links each function the substance serves to another
way of meeting it. The client's words and the clinician's notes are separate fields.

The edit page starts from the latest version; the first time, from the latest harm assessment
(its pattern of use and the functions it names), else from the substances recorded at intake.
Nothing here saves: the view hands `section_values()` to `services.plan_save`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import selectors as assessment_selectors
from assessments.models import FUNCTIONS, HarmAssessment, SubstancePattern
from clients.forms import CrispyMixin
from clients.models import Client, SubstanceUse, text_limit
from goals import selectors
from goals.models import SAFER_USE_PRACTICES, PlanVersion
from hrp import bounds
from hrp.language import client_words as client_words_field

FUNCTION_KEYS = [key for key, _label in FUNCTIONS]

# "Other ways to ..." for each function a substance can serve (assessments.models.FUNCTIONS).
ALTERNATIVE_LABELS: dict[str, Any] = {
    "self_medication": _("Other ways to ease what it self-medicates"),
    "managing_feelings": _("Other ways to manage feelings"),
    "coping": _("Other ways to cope with stress"),
    "sleep": _("Other ways to get to sleep"),
    "energy": _("Other ways to find energy or focus"),
    "social": _("Other ways to connect with people"),
    "identity": _("Other ways to be who they are"),
    "pleasure": _("Other sources of pleasure"),
    "creativity": _("Other ways into creativity"),
    "pain": _("Other ways to ease physical pain"),
    "other": _("Other ways to meet what else it does for them"),
}

MAX_SECTIONS = 20
BLANK_SECTION_ROWS = 1
SECTION_PREFIX = "sections"
NAME_MAX_LENGTH = 200
REASON_MAX_LENGTH = 255  # PlanVersion.reason

AMOUNT_MESSAGE = _("Most per use day is a number from 0 to 9999, or leave it empty.")
DAYS_MESSAGE = _("Most use days a week is a whole number from 0 to 7, or leave it empty.")


def alternative_field_name(function_key: str) -> str:
    return f"alt_{function_key}"


def alternative_label(function_key: str, function_label: Any) -> Any:
    return ALTERNATIVE_LABELS.get(function_key) or _("Other ways to meet: %(function)s") % {
        "function": function_label
    }


def _text(label: Any, *, rows: int | None = None, help_text: Any = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label, required=False, widget=widget, validators=[text_limit], help_text=help_text
    )


class PlanSectionForm(CrispyMixin, forms.Form):
    """One substance or behaviour: the current pattern and the ideal one."""

    name = forms.CharField(
        label=_("Substance or behaviour"),
        required=False,
        max_length=NAME_MAX_LENGTH,
        error_messages={
            "max_length": _(
                "Keep the name to %(limit_value)d characters or fewer (it has %(show_value)d)."
            )
        },
    )
    current_pattern = _text(
        _("Current pattern"),
        rows=2,
        help_text=_("How the client uses now: amount, how often, route, setting, with whom."),
    )
    dose_limit = _text(
        _("Most per occasion"),
        help_text=_("The dose limit per occasion, in the client's units, e.g. 3 drinks."),
    )
    max_days_per_week = bounds.IntegerField(
        label=_("Most use days a week"),
        required=False,
        min_value=0,
        max_value=7,
        widget=forms.NumberInput(attrs={"min": 0, "max": 7, "step": 1}),
        error_messages={
            "invalid": DAYS_MESSAGE,
            "min_value": DAYS_MESSAGE,
            "max_value": DAYS_MESSAGE,
        },
    )
    # The plan's limits in numbers: "days above plan" in the weekly check-ins is worked out
    # from these and `max_days_per_week` (goals/limits.py).
    max_amount_per_day = bounds.DecimalField(
        label=_("Most per use day (number)"),
        required=False,
        min_value=0,
        max_value=9999,
        max_digits=6,
        decimal_places=1,
        help_text=_("The number the weekly check-ins are compared with, e.g. 3."),
        error_messages={
            "min_value": AMOUNT_MESSAGE,
            "max_value": AMOUNT_MESSAGE,
            "max_digits": AMOUNT_MESSAGE,
            "max_decimal_places": _("Use at most one decimal place, e.g. 2.5."),
            "max_whole_digits": AMOUNT_MESSAGE,
        },
    )
    amount_unit = forms.CharField(
        label=_("Unit of that amount"),
        required=False,
        max_length=50,
        help_text=_("e.g. drinks, grams, bags: as the check-ins count them."),
    )
    route = _text(_("Route"), help_text=_("e.g. smoking rather than injecting."))
    setting_company = _text(
        _("Setting and company"), rows=2, help_text=_("Where, and with whom, e.g. never alone.")
    )
    safer_use = forms.MultipleChoiceField(
        label=_("Safer-use practices"),
        choices=SAFER_USE_PRACTICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the practices listed.")},
    )
    # Kept in the version's JSON, so the form field itself says whose words these are.
    client_words = client_words_field(
        _text(
            _("In the client's words"),
            rows=3,
            help_text=_("What the client says about this part of the plan, as they said it."),
        )
    )
    clinician_notes = _text(
        _("Clinician's notes"),
        rows=3,
        help_text=_("Your own notes, kept apart from the client's words."),
    )
    # The functions the harm assessment named for this substance: they decide which
    # alternatives are shown first. Carried through a refused POST; never stored.
    functions = forms.MultipleChoiceField(
        choices=FUNCTIONS, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in FUNCTIONS:
            self.fields[alternative_field_name(key)] = _text(alternative_label(key, label))
        self._crispy()

    # Fields as typed, for telling a blank row from a filled one.
    def _typed(self, name: str) -> Any:
        return self[name].value() if self.is_bound else None

    def is_blank(self) -> bool:
        """True when nothing was typed or ticked in the row (the hidden functions aside)."""
        for name in self.fields:
            if name == "functions":
                continue
            value = self._typed(name)
            if isinstance(value, list | tuple):
                if any(str(v).strip() for v in value):
                    return False
            elif value is not None and str(value).strip():
                return False
        return True

    def has_changed(self) -> bool:
        # The formset marks every row `empty_permitted`, and Django skips validating such a
        # row when it "has not changed". Here that means "is blank": a section pre-filled from
        # the latest version and left as it was is still part of the plan, while a row the
        # clinician left (or made) empty is ignored.
        return not self.is_blank()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "name" in data and not data["name"].strip():
            self.add_error(
                "name", _("Name the substance or behaviour for this section (or clear it).")
            )
        if (
            data.get("max_amount_per_day") is not None
            and not (data.get("amount_unit") or "").strip()
        ):
            self.add_error(
                "amount_unit", _("Say which unit the most per use day is counted in, e.g. drinks.")
            )
        return data

    def section_values(self) -> dict[str, Any]:
        """The section as `services.plan_save` takes it."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "current_pattern": data["current_pattern"],
            "dose_limit": data["dose_limit"],
            "max_days_per_week": data["max_days_per_week"],
            "max_amount_per_day": data["max_amount_per_day"],
            "amount_unit": data["amount_unit"],
            "route": data["route"],
            "setting_company": data["setting_company"],
            "safer_use": list(data["safer_use"]),
            "alternatives": {
                key: data[alternative_field_name(key)]
                for key in FUNCTION_KEYS
                if data[alternative_field_name(key)].strip()
            },
            "client_words": data["client_words"],
            "clinician_notes": data["clinician_notes"],
        }

    # Template helpers: the alternatives the substance serves (or that have text) come first;
    # the rest fold away under "More functions".
    def _served(self) -> set[str]:
        served = self._typed("functions") if self.is_bound else self.initial.get("functions")
        return {str(key) for key in served or []}

    def alternative_fields(self) -> tuple[list[forms.BoundField], list[forms.BoundField]]:
        served = self._served()
        first, more = [], []
        for key in FUNCTION_KEYS:
            bound = self[alternative_field_name(key)]
            value = bound.value()
            if key in served or (value and str(value).strip()):
                first.append(bound)
            else:
                more.append(bound)
        if not first:
            return more, []
        return first, more


class BasePlanSectionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("A plan holds at most %(num)d substances or behaviours."),
    }

    def __init__(self, *args: Any, require_one: bool = False, **kwargs: Any) -> None:
        # A first plan needs at least one section; a later version may remove them all.
        self.require_one = require_one
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"empty_permitted": True}

    def filled_forms(self) -> list[PlanSectionForm]:
        return [form for form in self.forms if not form.is_blank()]

    def clean(self) -> None:
        if any(self.errors):
            return
        filled = self.filled_forms()
        if self.require_one and not filled:
            raise forms.ValidationError(
                _("Add at least one substance or behaviour to start the plan.")
            )
        seen: set[str] = set()
        for form in filled:
            key = " ".join(form.cleaned_data["name"].split()).casefold()
            if key in seen:
                # Versions are compared section by section, matched by name.
                form.add_error(
                    "name",
                    _("“%(name)s” already has a section above; put it all in one section.")
                    % {"name": form.cleaned_data["name"].strip()},
                )
            seen.add(key)

    def section_values(self) -> list[dict[str, Any]]:
        """The sections to store, in the order shown; blank rows are left out."""
        return [form.section_values() for form in self.filled_forms()]


PlanSectionFormSet = forms.formset_factory(
    PlanSectionForm,
    formset=BasePlanSectionFormSet,
    extra=BLANK_SECTION_ROWS,
    max_num=MAX_SECTIONS,
    validate_max=True,
    absolute_max=MAX_SECTIONS + BLANK_SECTION_ROWS,
)


class PlanReasonForm(CrispyMixin, forms.Form):
    """Why this version: shown in the history beside who saved it and when."""

    reason = forms.CharField(
        label=_("What changed and why"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("A short line for the history, e.g. “Lower weekend limit after the review”."),
        error_messages={
            "required": _("Say briefly what changed and why."),
            "max_length": _(
                "Keep this to %(limit_value)d characters or fewer (it has %(show_value)d)."
            ),
        },
    )
    review_date = bounds.DateField(
        label=_("Review the plan on"),
        within=bounds.PLANNING,
        required=False,
        widget=bounds.DateInput(),
        help_text=_("When to look together at how the plan worked. Empty: in four weeks."),
    )
    # The version the page was opened on: saving over a newer one would undo its changes.
    based_on = bounds.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"])
        return reason


# --- Where a plan starts from ------------------------------------------------------------------


@dataclass
class PlanInitial:
    """What the edit page starts from, and where it came from (for a note on the page)."""

    sections: list[dict[str, Any]] = field(default_factory=list)
    from_version: PlanVersion | None = None
    from_assessment: HarmAssessment | None = None
    from_intake: bool = False


def _initial_from_section(section: dict[str, Any]) -> dict[str, Any]:
    alternatives = section.get("alternatives") or {}
    return {
        "name": section.get("name", ""),
        "current_pattern": section.get("current_pattern", ""),
        "dose_limit": section.get("dose_limit", ""),
        "max_days_per_week": section.get("max_days_per_week"),
        "max_amount_per_day": section.get("max_amount_per_day"),
        "amount_unit": section.get("amount_unit", ""),
        "route": section.get("route", ""),
        "setting_company": section.get("setting_company", ""),
        "safer_use": list(section.get("safer_use") or []),
        **{alternative_field_name(key): text for key, text in alternatives.items()},
        "client_words": section.get("client_words", ""),
        "clinician_notes": section.get("clinician_notes", ""),
        "functions": [key for key in FUNCTION_KEYS if key in alternatives],
    }


def _pattern_words(parts: Iterable[tuple[Any, str]]) -> str:
    """ "Dose or amount: 4-5 drinks; how often: weekends; ..." from the parts that are filled."""
    return "; ".join(f"{label}: {value.strip()}" for label, value in parts if value.strip())


def current_pattern_from_assessment(pattern: SubstancePattern) -> str:
    return _capitalised(
        _pattern_words(
            [
                (_("dose or amount"), pattern.dose),
                (_("how often"), pattern.frequency),
                (_("route"), pattern.route),
                (_("setting"), pattern.setting),
                (_("with whom"), pattern.with_whom),
            ]
        )
    )


def _capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


def _initial_from_pattern(pattern: SubstancePattern) -> dict[str, Any]:
    functions = [key for key in FUNCTION_KEYS if key in (pattern.functions or [])]
    return {
        "name": pattern.substance_name,
        "current_pattern": current_pattern_from_assessment(pattern),
        # One empty alternative per function the substance serves, to fill in together.
        **{alternative_field_name(key): "" for key in functions},
        "functions": functions,
    }


def _initial_from_intake(substance: SubstanceUse) -> dict[str, Any]:
    return {
        "name": substance.name,
        "current_pattern": _capitalised(
            _pattern_words(
                [
                    (_("amount"), substance.amount),
                    (_("how often"), substance.frequency),
                    (_("route"), substance.route),
                    (_("setting"), substance.setting),
                ]
            )
        ),
    }


def plan_initial(client: Client, latest: PlanVersion | None) -> PlanInitial:
    """Start from the latest version; else from the latest harm assessment; else from the
    substances recorded at intake; else from one blank section."""
    if latest is not None:
        return PlanInitial(
            sections=[_initial_from_section(s) for s in latest.sections], from_version=latest
        )
    assessment = assessment_selectors.latest_harm_assessment(client)
    if assessment is not None:
        patterns = list(assessment.patterns.order_by("id"))
        if patterns:
            return PlanInitial(
                sections=[_initial_from_pattern(p) for p in patterns], from_assessment=assessment
            )
    substances = list(client.substances.order_by("recorded_at", "id"))
    return PlanInitial(
        sections=[_initial_from_intake(s) for s in substances], from_intake=bool(substances)
    )


def plan_forms(
    client: Client, data: Any = None
) -> tuple[BasePlanSectionFormSet, PlanReasonForm, PlanInitial | None, PlanVersion | None]:
    """The sections and the reason: bound to `data` on a POST, else pre-filled."""
    latest = selectors.latest_version(client)
    if data is not None:
        return (
            PlanSectionFormSet(data, prefix=SECTION_PREFIX, require_one=latest is None),
            PlanReasonForm(data),
            None,
            latest,
        )
    initial = plan_initial(client, latest)
    return (
        PlanSectionFormSet(
            initial=initial.sections, prefix=SECTION_PREFIX, require_one=latest is None
        ),
        PlanReasonForm(initial={"based_on": latest.number if latest else 0}),
        initial,
        latest,
    )
