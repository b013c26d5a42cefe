from __future__ import annotations

import datetime
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import DateInput
from sessions.models import Appointment, AppointmentSeries, Modality


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class WhenForm(forms.Form):
    """A date, start time and end time in the clinic's time zone."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    start = forms.TimeField(label=_("Starts"), widget=TimeInput())
    end = forms.TimeField(label=_("Ends"), widget=TimeInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date") and data.get("start") and data.get("end"):
            tz = timezone.get_current_timezone()
            data["starts_at"] = datetime.datetime.combine(data["date"], data["start"], tzinfo=tz)
            data["ends_at"] = datetime.datetime.combine(data["date"], data["end"], tzinfo=tz)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The end must be after the start."))
        return data


class BookForm(WhenForm):
    modality = forms.ChoiceField(label=_("How"), choices=Modality.choices)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    frequency = forms.ChoiceField(
        label=_("Repeats"),
        choices=[("", _("Does not repeat")), *AppointmentSeries.Frequency.choices],
        required=False,
    )
    occurrences = forms.IntegerField(
        label=_("Number of appointments"), min_value=2, max_value=52, required=False
    )
    confirm_overlap = forms.BooleanField(
        label=_("Book anyway, although it overlaps another appointment"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # An out-of-range number already has its own message.
        if (
            data.get("frequency")
            and not data.get("occurrences")
            and "occurrences" not in self.errors
        ):
            self.add_error("occurrences", _("How many appointments in the series?"))
        return data


class RescheduleForm(WhenForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Appointment.Status.ATTENDED, _("Attended")),
            (Appointment.Status.NO_SHOW, _("Did not attend")),
            (Appointment.Status.CANCELLED_CLIENT, _("Cancelled by the client")),
            (Appointment.Status.CANCELLED_CLINIC, _("Cancelled by the clinic")),
            (Appointment.Status.SCHEDULED, _("Scheduled")),
        ],
    )
    notice_hours = forms.IntegerField(
        label=_("Notice given (hours)"), min_value=0, max_value=24 * 365, required=False
    )
