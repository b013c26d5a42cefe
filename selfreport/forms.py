from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES
from hrp import bounds
from selfreport.models import LANGUAGES, PlanShare


class SendLinkForm(forms.Form):
    measure_code = forms.ChoiceField(
        label=_("Measure"), choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )


class ScheduleForm(SendLinkForm):
    # Text, read by hrp.bounds (ASCII digits only): IntegerField would take "٣" for 3.
    every_weeks = forms.CharField(label=_("Every (weeks)"), initial="4", max_length=3)

    def clean_every_weeks(self) -> int:
        weeks = bounds.parse_int(self.cleaned_data["every_weeks"], minimum=1, maximum=52)
        if weeks is None:
            raise forms.ValidationError(_("Enter a whole number of weeks from 1 to 52."))
        return weeks


class PlanShareForm(forms.Form):
    """Which plan to share and in which language. The plans offered are those with a saved
    version (the view passes them); the language starts as the client's own."""

    kind = forms.ChoiceField(label=_("Plan"), choices=PlanShare.Kind.choices)
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [
                (value, label) for value, label in PlanShare.Kind.choices if value in kinds
            ]
