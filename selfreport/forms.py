from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.measures import MEASURES
from hrp import bounds
from selfreport.models import LANGUAGES, LinkSchedule, PlanShare


class _MeasureForm(forms.Form):
    measure_code = forms.ChoiceField(
        label=_("Measure"), choices=[(code, m.name) for code, m in MEASURES.items()]
    )
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )


class SendLinkForm(_MeasureForm):
    """What the link is for (selfreport/kinds.py), and what that kind needs: a measure, a
    session, a week. Each kind checks its own choice again when the link is made."""

    kind = forms.ChoiceField(label=_("What the link is for"), required=False)
    appointment = forms.TypedChoiceField(
        label=_("Session to rate (a session rating)"), required=False, coerce=int, empty_value=None
    )
    week = bounds.DateField(
        label=_("Week starting (a use diary; blank: last Monday to Sunday)"),
        required=False,
        within=bounds.HISTORY,
    )
    field_order = ["kind", "measure_code", "appointment", "week", "language"]

    def __init__(
        self,
        *args: object,
        kinds: list[tuple[str, object]],
        sessions: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
        self.fields["kind"].initial = "measure"
        # The first measure stays selected, as before: it is read only for a measure link.
        self.fields["measure_code"].required = False
        self.fields["appointment"].choices = [("", "—"), *sessions]  # type: ignore[attr-defined]

    def clean_kind(self) -> str:
        # A form without the field (older pages, scripts) sends a measure, as before.
        return self.cleaned_data.get("kind") or "measure"

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        measure_missing = not data.get("measure_code") and "measure_code" not in self.errors
        if data.get("kind") == "measure" and measure_missing:
            self.add_error("measure_code", _("Choose one of the listed measures."))
        if data.get("kind") == "session_rating" and not data.get("appointment"):
            self.add_error("appointment", _("Choose the session the client is to rate."))
        return data


class ScheduleForm(_MeasureForm):
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


# --- The client's pages (selfreport/kinds.py) -------------------------------------------------
# Rendered by hand in templates/selfreport/ (large touch targets, no script); these forms only
# validate, server-side, with messages in the link's language.

SCALE_0_10 = [(str(n), str(n)) for n in range(11)]
DAYS_0_7 = [(str(n), str(n)) for n in range(8)]

# A small fixed list, in the client's words; "other" is free text beside it.
SAFER_USE_STEPS = [
    ("not_alone", _("Used with someone around, or told someone")),
    ("naloxone", _("Had naloxone (Narcan) with me")),
    ("tested", _("Tested what I used (for example, fentanyl test strips)")),
    ("new_supplies", _("Used new supplies")),
    ("went_slow", _("Started with a small amount, went slow")),
    ("no_mixing", _("Did not mix substances")),
    ("looked_after", _("Ate, drank water or rested")),
]


def _scale(label: object, choices: list[tuple[str, str]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        error_messages={
            "required": _("Please choose a number."),
            "invalid_choice": _("Please choose one of the numbers shown."),
        },
    )


class SessionRatingForm(forms.Form):
    """The four items of the session rating (sessions.vocab.RATING_ITEMS), 0-10 each."""

    def __init__(self, *args: object, items: list[tuple[str, object]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for key, label in items:
            self.fields[key] = _scale(label, SCALE_0_10)


class UseDiaryForm(forms.Form):
    """One block per substance of the client's plan: use days, a typical amount and its unit,
    the setting, and the safer-use steps taken."""

    def __init__(
        self, *args: object, substances: list[object], units: dict[int, str], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.prefixes: list[tuple[object, str]] = []
        for substance in substances:
            prefix = f"s{substance.pk}"  # type: ignore[attr-defined]
            self.prefixes.append((substance, prefix))
            self.fields[f"{prefix}_days"] = _scale(_("Days you used"), DAYS_0_7)
            self.fields[f"{prefix}_amount"] = bounds.DecimalField(
                label=_("On a day you used, about how much?"),
                required=False,
                min_value=Decimal(0),
                max_value=Decimal("99999"),
                max_digits=6,
                decimal_places=1,
                error_messages={
                    "min_value": _("An amount cannot be below 0."),
                    "max_value": _("Please enter a smaller number."),
                    "max_digits": _("Please enter a smaller number."),
                    "max_decimal_places": _("Please use at most one decimal, such as 2.5."),
                },
            )
            self.fields[f"{prefix}_unit"] = forms.CharField(
                label=_("Unit"), required=False, max_length=50
            )
            self.initial.setdefault(f"{prefix}_unit", units.get(substance.pk, ""))  # type: ignore[attr-defined]
            self.fields[f"{prefix}_setting"] = forms.CharField(
                label=_("Where or with whom (optional)"), required=False, max_length=200
            )
            self.fields[f"{prefix}_steps"] = forms.MultipleChoiceField(
                label=_("Things you did to stay safer"),
                choices=SAFER_USE_STEPS,
                required=False,
            )
            self.fields[f"{prefix}_steps_other"] = forms.CharField(
                label=_("Something else"), required=False, max_length=200
            )


class PracticeLogForm(forms.Form):
    days = forms.MultipleChoiceField(
        label=_("Which days did you practise?"),
        error_messages={"required": _("Please tick at least one day.")},
    )
    minutes = forms.CharField(label=_("About how many minutes each time?"), max_length=4)
    practice = forms.ChoiceField(
        label=_("What did you practise?"),
        error_messages={"required": _("Please choose one.")},
    )
    practice_other = forms.CharField(label=_("Something else"), required=False, max_length=200)
    feeling_before = _scale(_("How did you feel before?"), SCALE_0_10)
    feeling_after = _scale(_("How did you feel after?"), SCALE_0_10)

    def __init__(
        self,
        *args: object,
        offered_days: list[tuple[str, str]],
        practices: list[tuple[str, object]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["days"].choices = offered_days  # type: ignore[attr-defined]
        self.fields["practice"].choices = practices  # type: ignore[attr-defined]

    def clean_minutes(self) -> int:
        minutes = bounds.parse_int(self.cleaned_data["minutes"], minimum=1, maximum=600)
        if minutes is None:
            raise forms.ValidationError(_("Please enter a number of minutes from 1 to 600."))
        return minutes

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("practice") == "other" and not str(data.get("practice_other", "")).strip():
            self.add_error("practice_other", _("Please say in a few words what you practised."))
        return data


class PlanShareForm(forms.Form):
    """Which plan to share and in which language. The plans offered are those with a saved
    version (the view passes them); the language starts as the client's own."""

    kind = forms.ChoiceField(label=_("Plan"), choices=PlanShare.Kind.choices)
    language = forms.ChoiceField(
        label=_("Language of the page and the message"), choices=LANGUAGES, initial="en"
    )

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [
                (value, label) for value, label in PlanShare.Kind.choices if value in kinds
            ]
