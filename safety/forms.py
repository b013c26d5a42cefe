"""Forms for the safety plan, the overdose prevention plan and a period of lower tolerance.

Each validates everything server-side with messages a clinician understands; the services
check again (dates through hrp/bounds.py, who may write through hrp/access.py)."""

from __future__ import annotations

import datetime
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import text_limit
from hrp import bounds
from safety.models import (
    OVERDOSE_CHOICE_FIELDS,
    OVERDOSE_TEXTS,
    SAFETY_STEPS,
    OverdosePlanVersion,
    SafetyPlanVersion,
    ToleranceWindow,
)


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class _PlanForm(forms.ModelForm):
    """Shared by both plans: the version the page was opened on travels with the form, so a
    save on top of a newer version is noticed (services.PlanConflict)."""

    based_on = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=bounds.PG_INT_MAX
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["reason"].widget = forms.TextInput()
        self.fields["reason"].help_text = _("Needed from the second version on.")


def review_initial() -> datetime.date:
    """A first review four weeks ahead, as for goals."""
    return timezone.localdate() + datetime.timedelta(weeks=4)


class SafetyPlanForm(_PlanForm):
    class Meta:
        model = SafetyPlanVersion
        formfield_callback = bounds.formfield
        fields = [
            *[field for field, _title, _prompt in SAFETY_STEPS],
            "crisis_lines",
            "review_date",
            "reason",
        ]
        widgets = {field: forms.Textarea(attrs={"rows": 3}) for field, _t, _p in SAFETY_STEPS}
        help_texts = {field: prompt for field, _title, prompt in SAFETY_STEPS} | {
            "crisis_lines": _("Printed under step 5. The clinic's lines are filled in."),
        }


class OverdosePlanForm(_PlanForm):
    class Meta:
        model = OverdosePlanVersion
        formfield_callback = bounds.formfield
        fields = [
            *OVERDOSE_CHOICE_FIELDS,
            *[field for field, _title, _prompt in OVERDOSE_TEXTS],
            "review_date",
            "reason",
        ]
        widgets = {
            field: forms.Textarea(attrs={"rows": 2})
            for field, _t, _p in OVERDOSE_TEXTS
            if field not in ("naloxone_where", "never_use_alone_line")
        }
        help_texts = {field: prompt for field, _title, prompt in OVERDOSE_TEXTS}


class ToleranceWindowForm(forms.ModelForm):
    class Meta:
        model = ToleranceWindow
        formfield_callback = bounds.formfield
        fields = ["reason", "start_date", "end_date", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, default_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["end_date"].required = False
        self.fields["end_date"].help_text = ngettext(
            "The last day to take extra care. Left empty: %(n)d day in all, the first.",
            "The last day to take extra care. Left empty: %(n)d days in all, from the first.",
            default_days,
        ) % {"n": default_days}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day cannot be before the first."))
        return data

    def _post_clean(self) -> None:
        # The model's clean() and constraints need an end date, which the service sets when
        # none is typed: the form checks what was typed (clean() above, the note's length
        # here) and the service checks the rest.
        note = self.cleaned_data.get("note")
        if note:
            try:
                text_limit(note)
            except ValidationError as error:
                self.add_error("note", error)
