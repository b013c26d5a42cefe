from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES
from hrp import bounds
from selfreport.models import LANGUAGES, LinkSchedule


class SendLinkForm(forms.Form):
    measure_code = forms.ChoiceField(
        label=_("Measure"), choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )


class ScheduleForm(SendLinkForm):
    """Two timings: every few weeks, or a few days before each booked session (optionally no
    more often than every few weeks). A form posted without `timing` (an older page) means
    every few weeks."""

    timing = forms.ChoiceField(
        label=_("When"),
        choices=[
            (LinkSchedule.Timing.EVERY_WEEKS, _("Every few weeks, starting now")),
            (
                LinkSchedule.Timing.BEFORE_SESSION,
                _("A few days before each session booked with the client"),
            ),
        ],
        initial=LinkSchedule.Timing.EVERY_WEEKS,
        required=False,
        widget=forms.RadioSelect,
    )
    # Text, read by hrp.bounds (ASCII digits only): IntegerField would take "٣" for 3.
    every_weeks = forms.CharField(
        label=_("Weeks between links"),
        help_text=_(
            "Every few weeks: a link this often. Before each session: at most this often (4: "
            "at most every 4 weeks), or leave it empty for a link before every session. 1 to 52."
        ),
        initial="4",
        max_length=3,
        required=False,
    )
    days_before = forms.CharField(
        label=_("Days before the session"),
        help_text=_(
            "Before each session only: the link goes out this many days before, at the hour "
            "the clinic sends reminders. 1 to 14."
        ),
        initial="2",
        max_length=3,
        required=False,
    )

    def clean_timing(self) -> str:
        return self.cleaned_data["timing"] or LinkSchedule.Timing.EVERY_WEEKS

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        timing = data.get("timing")
        weeks_text = data.get("every_weeks", "")
        weeks = bounds.parse_int(weeks_text, minimum=1, maximum=52)
        if timing == LinkSchedule.Timing.EVERY_WEEKS:
            if weeks is None:
                self.add_error("every_weeks", _("Enter a whole number of weeks from 1 to 52."))
            data["every_weeks"], data["days_before"] = weeks, None
        elif timing == LinkSchedule.Timing.BEFORE_SESSION:
            days = bounds.parse_int(
                data.get("days_before", ""), minimum=1, maximum=LinkSchedule.DAYS_BEFORE_MAX
            )
            if days is None:
                self.add_error("days_before", _("Enter a whole number of days from 1 to 14."))
            if weeks_text.strip() and weeks is None:
                self.add_error(
                    "every_weeks",
                    _(
                        "Enter a whole number of weeks from 1 to 52, or leave it empty to send "
                        "before every session."
                    ),
                )
            data["every_weeks"], data["days_before"] = weeks, days
        return data
