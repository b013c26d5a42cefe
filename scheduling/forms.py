"""Forms for working hours, time off, rooms and booking a free slot. Every value is checked
here with a message a clinician understands (times and dates through hrp/bounds.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hrp import bounds
from scheduling.models import TimeOff, Weekday
from sessions.models import Modality, Room, validate_video_link


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


class SlotBookForm(forms.Form):
    client = forms.IntegerField(widget=forms.HiddenInput)
    modality = forms.ChoiceField(label=_("How"), choices=Modality.choices)
    room = forms.ModelChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room")
    )
    video = forms.ChoiceField(
        label=_("Video link"),
        choices=[("none", _("No video link")), ("paste", _("Paste a link"))],
        initial="none",
        widget=forms.RadioSelect,
    )
    video_link = forms.CharField(label=_("Link to paste"), max_length=500, required=False)
    confirm_overlap = forms.BooleanField(
        label=_("Book anyway, although it overlaps another appointment"), required=False
    )

    def __init__(self, *args: Any, rooms: Any, provider: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        if provider:
            self.fields["video"].choices = [
                ("none", _("No video link")),
                ("provider", _("Make one with the clinic's video provider")),
                ("paste", _("Paste a link")),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        link = (data.get("video_link") or "").strip()
        if data.get("video") == "paste":
            if not link:
                self.add_error("video_link", _("Paste the video link, or choose “No video link”."))
            else:
                try:
                    forms.URLField().clean(link)
                    validate_video_link(link)
                except ValidationError:
                    self.add_error("video_link", _("Enter a video link starting with https://."))
        data["video_link"] = link
        return data
