from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from covers import selectors


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ClinicDateField(forms.DateField):
    """A date typed as YYYY-MM-DD in ASCII digits. Python's parser also reads other scripts'
    digits, which no clinician means to type and which would be stored as a different date."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CoverForm(forms.Form):
    """Whose caseload, who covers, and the clinic's dates. The form checks types; every rule
    (order, past, length, overlap, who may arrange) is the service's, so it holds for any
    caller."""

    absent = forms.ModelChoiceField(
        label=_("Therapist who will be away"), queryset=None, empty_label=_("Choose…")
    )
    cover = forms.ModelChoiceField(
        label=_("Therapist who covers"), queryset=None, empty_label=_("Choose…")
    )
    starts_on = ClinicDateField(label=_("First day"), widget=DateInput())
    ends_on = ClinicDateField(label=_("Last day"), widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].queryset = selectors.absent_choices(user)
        self.fields["cover"].queryset = selectors.cover_choices()
        for field in self.fields.values():
            field.error_messages.setdefault("required", _("This is needed."))
        self.fields["starts_on"].error_messages["invalid"] = _("Enter a date such as 2026-06-01.")
        self.fields["ends_on"].error_messages["invalid"] = _("Enter a date such as 2026-06-14.")
