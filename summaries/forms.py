"""The period a summary covers: validated with messages a clinician understands."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Consent
from hrp import bounds, formats
from summaries.selectors import default_period

MAX_YEARS = 2


class PeriodForm(forms.Form):
    period_start = bounds.DateField(
        label=_("From"),
        within=bounds.PERIOD,
        error_messages={
            "required": _("Enter the first day of the period."),
            "invalid": _("Enter the first day as a date, for example 2026-01-31."),
        },
    )
    period_end = bounds.DateField(
        label=_("To"),
        within=bounds.PERIOD,
        error_messages={
            "required": _("Enter the last day of the period."),
            "invalid": _("Enter the last day as a date, for example 2026-03-31."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args or args[0] is None:
            start, end = default_period()
            kwargs.setdefault("initial", {"period_start": start, "period_end": end})
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Div(
                Div(Field("period_start"), css_class="col-sm-4"),
                Div(Field("period_end"), css_class="col-sm-4"),
                css_class="row",
            )
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        # Each day is inside bounds.PERIOD (1900 to today) by now, or has its own message.
        if start is not None and end is not None:
            if end < start:
                self.add_error("period_end", _("The last day cannot be before the first day."))
            elif start < bounds.add_years(end, -MAX_YEARS):
                self.add_error(
                    "period_start",
                    _("A summary covers at most two years. Choose a later first day."),
                )
        return data


class DownloadForm(forms.Form):
    """Where a downloaded progress summary is going: a PDF that leaves the clinic is a
    disclosure (42 CFR Part 2), so the download asks first. Posted, never in the query string:
    the answer names a recipient."""

    OWN_USE = "own_use"
    RECIPIENT = "recipient"

    purpose = forms.ChoiceField(
        label=_("Who is this copy for?"),
        widget=forms.RadioSelect,
        choices=[
            (OWN_USE, _("The clinic's own use (the record, supervision, a case review)")),
            (RECIPIENT, _("Someone outside the clinic, under the client's consent")),
        ],
        error_messages={"required": _("Choose who this copy is for.")},
    )
    consent = forms.ModelChoiceField(
        label=_("Recipient (from a consent in force)"),
        queryset=Consent.objects.none(),
        required=False,
        empty_label=_("Choose the recipient"),
        error_messages={
            "invalid_choice": _(
                "That consent is no longer in force for a progress summary. Choose another."
            )
        },
    )

    def __init__(self, *args: Any, consents: list[Consent], may_disclose: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.may_disclose = may_disclose
        consent_field = self.fields["consent"]
        assert isinstance(consent_field, forms.ModelChoiceField)
        consent_field.queryset = Consent.objects.filter(pk__in=[c.pk for c in consents])
        consent_field.label_from_instance = lambda c: (
            _("%(recipient)s (consent signed %(signed)s, in force until %(expires)s)")
            % {
                "recipient": c.recipient,
                "signed": formats.date(c.signed_on),
                "expires": formats.date(c.expires_on),
            }
        )
        # The listed choices are the consents already read; the field's own lookup on POST
        # re-checks the posted pk is among them.
        self.consents = consents
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("purpose") == self.RECIPIENT:
            if not self.may_disclose:
                self.add_error(
                    "purpose",
                    _(
                        "Only the client's therapist sends a summary outside the clinic. "
                        "Download it for the clinic's own use, or ask the therapist."
                    ),
                )
            elif not self.consents:
                self.add_error(
                    "purpose",
                    _(
                        "No consent in force allows a progress summary to leave the clinic. "
                        "Record the client's written consent to disclose a treatment summary "
                        "(on the Consents tab) first."
                    ),
                )
            elif data.get("consent") is None and "consent" not in self.errors:
                self.add_error("consent", _("Choose the recipient named in the consent."))
        return data
