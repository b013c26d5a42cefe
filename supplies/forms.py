from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import CrispyMixin
from clients.models import text_limit
from hrp import bounds, formats
from supplies.models import QUANTITY_MAX, SupplyRecord
from supplies.selectors import REPORT_MONTHS_MAX, month_start, months_between


class SupplyForm(CrispyMixin, forms.Form):
    item = forms.ChoiceField(label=_("Item"), choices=SupplyRecord.Item.choices)
    item_other = forms.CharField(
        label=_("Other item"), max_length=100, required=False, help_text=_("Only for “Other”.")
    )
    quantity = bounds.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=QUANTITY_MAX,
        initial=1,
        help_text=_("Kits, strips or items, as counted for the clinic's totals."),
    )
    given_on = bounds.DateField(label=_("Date"), within=bounds.HISTORY)
    how = forms.ChoiceField(
        label=_("Given or referred"),
        choices=SupplyRecord.How.choices,
        initial=SupplyRecord.How.GIVEN,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("given_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("item") == SupplyRecord.Item.OTHER and not data.get("item_other", "").strip():
            self.add_error("item_other", _("Describe the other item."))
        return data


class CorrectionForm(SupplyForm):
    reason = forms.CharField(
        label=_("Why the record is corrected"),
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VoidForm(CrispyMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why this record is set aside"),
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: recorded on the wrong chart, or entered twice."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()


_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (what <input type="month"> sends), from 1900 to this month."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"})

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if not _MONTH.fullmatch(text):
            raise forms.ValidationError(_("Enter a month such as 2026-01."), code="invalid")
        year, month = int(text[:4]), int(text[5:])
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter a month such as 2026-01."), code="invalid")
        if year < bounds.HISTORY_START.year:
            raise forms.ValidationError(_("Enter a month from 1900 onwards."), code="out_of_range")
        day = datetime.date(year, month, 1)
        if day > month_start(timezone.localdate()):
            raise forms.ValidationError(
                _("The report covers months up to this one."), code="out_of_range"
            )
        return day


class ReportForm(forms.Form):
    """The range of months, both included; at most REPORT_MONTHS_MAX."""

    first = MonthField(label=_("From month"))
    last = MonthField(label=_("To month"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The last month must be on or after the first."))
            elif len(months_between(first, last)) > REPORT_MONTHS_MAX:
                self.add_error(
                    "last",
                    _("A report covers at most %(n)d months.") % {"n": REPORT_MONTHS_MAX},
                )
        return data


def default_months(today: datetime.date | None = None) -> dict[str, str]:
    """The last six months, this one included."""
    today = today or timezone.localdate()
    last = month_start(today)
    first = last
    for _i in range(5):
        first = month_start(first - datetime.timedelta(days=1))
    return {"first": formats.iso_month(first), "last": formats.iso_month(last)}
