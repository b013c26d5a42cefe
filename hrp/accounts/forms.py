from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from hrp.accounts.models import User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "That email and password do not match an active account. "
            "After 5 failed attempts the account is locked for a while."
        ),
        "inactive": _("This account is not active."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Continue")))

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, submit_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit_label or _("Verify")))

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().replace(" ", "")


class EnrolForm(TokenForm):
    def clean_token(self) -> str:
        token = super().clean_token()
        if not (token.isdigit() and len(token) == 6):
            raise forms.ValidationError(_("Enter the 6-digit code your authenticator app shows."))
        return token


class StaffAccountForm(forms.ModelForm):
    """Create or edit a staff account. Role rules are enforced by the services; the form
    only shapes input."""

    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For therapists. Trainees' notes go to this supervisor to co-sign."),
    )

    class Meta:
        model = User
        fields = [
            "email",
            "full_name",
            "credentials",
            "is_therapist",
            "is_supervisor",
            "is_clinic_admin",
            "requires_cosign",
        ]

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = User.objects.active().filter(is_supervisor=True)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        self.fields["supervisor"].queryset = qs
        self.fields["full_name"].required = True
        if not creating:
            del self.fields["email"]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *(["email"] if creating else []),
            "full_name",
            "credentials",
            Fieldset(
                _("Roles"),
                "is_therapist",
                "is_supervisor",
                "is_clinic_admin",
                "requires_cosign",
                "supervisor",
            ),
        )
        self.helper.add_input(
            Submit("submit", _("Create account and send link") if creating else _("Save changes"))
        )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self) -> None:
        # Email uniqueness is checked by account_create, with the clinic's wording.
        return None
