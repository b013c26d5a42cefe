from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Consent
from hrp import bounds, formats


def consent_label(consent: Consent) -> str:
    return _("%(recipient)s (signed %(signed)s, in force until %(expires)s)") % {
        "recipient": consent.recipient,
        "signed": formats.date(consent.signed_on),
        "expires": formats.date(consent.expires_on),
    }


class AttendanceReportForm(forms.Form):
    """Which consent, which period. The choices are the valid consents only, passed in already
    loaded (a ModelChoiceField would query them again when rendering). The period rules are
    the service's, so the preview and the download refuse with the same words."""

    consent = forms.TypedChoiceField(
        label=_("Under the consent"),
        coerce=int,
        error_messages={
            "invalid_choice": _(
                "Choose a consent that is in force, allows attendance and names the "
                "referring agency."
            )
        },
    )
    # ASCII dates that every time zone can hold; the range itself is the service's rule.
    start = bounds.DateField(label=_("Period from"), within=None)
    end = bounds.DateField(label=_("Period to"), within=None)

    def __init__(self, *args: Any, consents: Sequence[Consent], **kwargs: Any) -> None:
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {"start": today - datetime.timedelta(days=90), "end": today},
        )
        super().__init__(*args, **kwargs)
        self.consents = {c.pk: c for c in consents}
        self.fields["consent"].choices = [(c.pk, consent_label(c)) for c in consents]
        if len(consents) == 1:
            self.fields["consent"].initial = consents[0].pk
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_consent(self) -> Consent:
        return self.consents[self.cleaned_data["consent"]]
