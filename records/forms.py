from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Consent
from disclosures.forms import consent_label
from hrp import bounds
from records.models import RecordRequest


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class ExportForm(forms.Form):
    """Which consent the record goes under; the choices are the consents in force allowing
    a treatment summary, passed in already loaded."""

    consent = forms.TypedChoiceField(
        label=_("Send to the recipient of the consent"),
        coerce=int,
        error_messages={
            "invalid_choice": _("Choose a consent in force that allows a treatment summary.")
        },
    )

    def __init__(self, *args: Any, consents: Sequence[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consents = {c.pk: c for c in consents}
        self.fields["consent"].choices = [(c.pk, consent_label(c)) for c in consents]
        if len(consents) == 1:
            self.fields["consent"].initial = consents[0].pk
        self.helper = _helper()

    def clean_consent(self) -> Consent:
        return self.consents[self.cleaned_data["consent"]]


class RecordRequestForm(forms.Form):
    requested_on = bounds.DateField(
        label=_("The client asked on"), within=RecordRequest.DATE_RANGES["requested_on"]
    )
    format = forms.ChoiceField(
        label=_("What the client asked for"),
        choices=RecordRequest.Format.choices,
        initial=RecordRequest.Format.BOTH,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"requested_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the copy needs more time (the client is told)"), max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()
