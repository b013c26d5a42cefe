"""The period a summary covers: validated with messages a clinician understands."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from hrp import bounds
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
