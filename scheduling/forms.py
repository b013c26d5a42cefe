"""Forms for working hours, time off, rooms and booking a free slot. Every value is checked
here with a message a clinician understands (times and dates through hrp/bounds.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hrp import bounds
from scheduling.models import TimeOff, Weekday
from sessions.forms import RoomAndVideoFields
from sessions.models import Modality


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    starts = bounds.TimeField(label=_("From"))
    ends = bounds.TimeField(label=_("Until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("The end must be after the start."))
        return data


class TimeOffForm(forms.Form):
    first_day = bounds.DateField(label=_("First day"), within=bounds.PLANNING)
    last_day = bounds.DateField(label=_("Last day"), within=bounds.PLANNING)
    kind = forms.ChoiceField(label=_("Kind"), choices=TimeOff.Kind.choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            self.add_error("last_day", _("The last day cannot be before the first."))
        return data


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Room name"), max_length=100)


class ClientSearchForm(forms.Form):
    """Sent by POST: a name typed here never reaches a URL, a log line or the browser's
    history of addresses."""

    query = forms.CharField(label=_("Client's name or chart number"), max_length=100)


class SlotBookForm(RoomAndVideoFields):
    """The room and video fields and rules are the chart's Book page's (sessions.forms)."""

    field_order = ["client", "modality", "room", "video", "video_link", "confirm_overlap"]
    client = forms.IntegerField(widget=forms.HiddenInput)
    modality = forms.ChoiceField(label=_("How"), choices=Modality.choices)
    confirm_overlap = forms.BooleanField(
        label=_("Book anyway, although it overlaps another appointment"), required=False
    )
