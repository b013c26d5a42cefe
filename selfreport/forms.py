from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES
from selfreport.models import LANGUAGES


class SendLinkForm(forms.Form):
    measure_code = forms.ChoiceField(
        label=_("Measure"), choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )
