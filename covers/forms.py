from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from covers import selectors
from hrp import bounds


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
    # ASCII dates every time zone can hold (hrp/bounds.py); the range is the service's rule.
    starts_on = bounds.DateField(label=_("First day"), within=None)
    ends_on = bounds.DateField(label=_("Last day"), within=None)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].queryset = selectors.absent_choices(user)
        self.fields["cover"].queryset = selectors.cover_choices()
        for field in self.fields.values():
            field.error_messages.setdefault("required", _("This is needed."))
        self.fields["starts_on"].error_messages["invalid"] = _("Enter a date such as 2026-06-01.")
        self.fields["ends_on"].error_messages["invalid"] = _("Enter a date such as 2026-06-14.")
