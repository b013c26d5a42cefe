from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from hrp import bounds
from hrp.accounts.identity import canonical_email
from hrp.accounts.models import User, interface_languages


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
        return canonical_email(self.cleaned_data["username"])


class PasswordAgainForm(forms.Form):
    """The password typed again before a step that needs it (new recovery codes)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )

    def __init__(self, *args: Any, submit_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", submit_label or _("Continue")))


class LanguageForm(forms.Form):
    """The person's own interface language, on "Your account"."""

    language = forms.ChoiceField(label=_("Interface language"), choices=interface_languages)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = "accounts:my_account"
        self.helper.add_input(Submit("submit", _("Save language")))


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
        if not (bounds.is_ascii_int(token) and len(token) == 6):
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
            "licence",
            "npi",
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
            "licence",
            "npi",
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
        return canonical_email(self.cleaned_data["email"])

    def validate_unique(self) -> None:
        # Email uniqueness is checked by account_create, with the clinic's wording.
        return None


QUEUE = "queue"


class HandoverForm(forms.Form):
    """Where a therapist's clients who are not discharged go when their account is
    deactivated: all to one colleague, client by client, or to the unassigned queue.

    `destinations()` gives the service its answer: client id -> colleague, or None for the
    queue. The service checks it again (an active therapist, every client placed)."""

    ALL_TO_ONE = "colleague"
    EACH = "each"
    MODES = [
        (ALL_TO_ONE, _("All to one colleague")),
        (EACH, _("Client by client")),
        (QUEUE, _("All to the unassigned queue")),
    ]

    mode = forms.ChoiceField(
        label=_("Where do their clients go?"),
        choices=MODES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose where their clients go.")},
    )
    colleague = forms.ChoiceField(label=_("Colleague who takes over"), required=False)

    def __init__(
        self, *args: Any, clients: list[Any], colleagues: Any, therapist: User, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clients = clients
        # Read once (one query) and shared by every select on the page.
        self.colleagues = {c.pk: c for c in colleagues}
        not_them = _("Choose an active therapist other than %(name)s.") % {
            "name": therapist.full_name
        }
        if not clients:
            # Nothing to hand over: the page only asks to confirm.
            del self.fields["mode"], self.fields["colleague"]
            return
        names = [(str(pk), c.full_name) for pk, c in self.colleagues.items()]
        self.fields["colleague"].choices = [("", _("Choose a colleague")), *names]
        self.fields["colleague"].error_messages["invalid_choice"] = not_them
        choices = [("", _("Choose")), (QUEUE, _("Unassigned queue")), *names]
        for client in clients:
            self.fields[self.client_field(client)] = forms.ChoiceField(
                label=_("Where %(client)s (%(chart)s) goes")
                % {"client": client.display_name, "chart": client.chart_number},
                choices=choices,
                required=False,
                error_messages={"invalid_choice": not_them},
            )

    @staticmethod
    def client_field(client: Any) -> str:
        return f"client_{client.pk}"

    def client_rows(self) -> list[tuple[Any, Any]]:
        """(client, bound field of their destination) for the page's table."""
        return [(c, self[self.client_field(c)]) for c in self.clients]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.clients:
            return data
        mode = data.get("mode")
        if mode == self.ALL_TO_ONE and not data.get("colleague") and "colleague" not in self.errors:
            self.add_error("colleague", _("Choose the colleague who takes over these clients."))
        if mode == self.EACH:
            for client in self.clients:
                name = self.client_field(client)
                if not data.get(name) and name not in self.errors:
                    self.add_error(
                        name,
                        _("Choose where %(client)s goes.") % {"client": client.display_name},
                    )
        return data

    def destinations(self) -> dict[int, User | None]:
        data = self.cleaned_data
        if not self.clients:
            return {}
        if data["mode"] == QUEUE:
            return {c.pk: None for c in self.clients}
        if data["mode"] == self.ALL_TO_ONE:
            colleague = self.colleagues[int(data["colleague"])]
            return {c.pk: colleague for c in self.clients}
        chosen = {c.pk: data[self.client_field(c)] for c in self.clients}
        return {pk: None if v == QUEUE else self.colleagues[int(v)] for pk, v in chosen.items()}
