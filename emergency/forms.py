from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from emergency.services import REASON_LIMIT


class EmergencyForm(forms.Form):
    # Nothing is required here: `emergency_grant` checks every field, so that a request
    # without a reason or a password is refused with its message *and* audited.
    chart_number = forms.CharField(
        label=gettext_lazy("Chart number"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 16, "required": True}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why you need this record now"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_LIMIT, "required": True}),
        help_text=gettext_lazy(
            "Shown to the client's therapist and kept in the audit trail's record of this access."
        ),
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "required": True}),
    )
