from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES
from hrp import bounds
from selfreport.models import LANGUAGES


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
