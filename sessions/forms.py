from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Consent
from goals import limits as plan_limits
from hrp import bounds, formats
from sessions.models import (
    CONTACT_MAX_MINUTES,
    CONTACT_TEXT_LIMIT,
    NOTE_TEXT_LIMIT,
    Appointment,
    AppointmentSeries,
    Modality,
    Room,
    SessionNote,
    validate_video_link,
)
from sessions.services import MAX_SERIES, series_times, video_link_generate
from sessions.vocab import (
    EXERCISE_STAGES,
    FORMAT_FIELDS,
    INTERVENTIONS,
    RATING_ITEMS,
    ContactKind,
    RiskLevel,
)

# What note.js sends as a tab's key: crypto.randomUUID() or its fallback, letters, digits, "-".
SAVE_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class WhenForm(forms.Form):
    """A date, start time and end time in the clinic's time zone. The date is inside
    `bounds.APPOINTMENT`, so combining it with a time cannot overflow in any time zone."""

    date = bounds.DateField(label=_("Date"), within=bounds.APPOINTMENT)
    start = bounds.TimeField(label=_("Starts"))
    end = bounds.TimeField(label=_("Ends"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date") and data.get("start") and data.get("end"):
            tz = timezone.get_current_timezone()
            data["starts_at"] = datetime.datetime.combine(data["date"], data["start"], tzinfo=tz)
            data["ends_at"] = datetime.datetime.combine(data["date"], data["end"], tzinfo=tz)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The end must be after the start."))
        return data


class RoomAndVideoFields(forms.Form):
    """A room and a video link for a booking: the one set of fields and rules for every page
    that books (the chart's Book page, a free slot on the calendar). After cleaning,
    `video_link` holds the link to store: pasted, made from the clinic's provider pattern, or
    "" for none."""

    room = forms.ModelChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room")
    )
    video = forms.ChoiceField(
        label=_("Video link"),
        choices=[("none", _("No video link")), ("paste", _("Paste a link"))],
        initial="none",
        widget=forms.RadioSelect,
        # Nothing chosen means no link: a booking never fails for want of this radio.
        required=False,
    )
    video_link = forms.CharField(label=_("Link to paste"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(active=True)
        # Asked once per form: whether the clinic has a provider pattern (a clinic setting).
        if video_link_generate():
            self.fields["video"].choices = [
                ("none", _("No video link")),
                ("provider", _("Make one with the clinic's video provider")),
                ("paste", _("Paste a link")),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        link = (data.get("video_link") or "").strip()
        choice = data.get("video")
        if choice == "paste":
            if not link:
                self.add_error("video_link", _("Paste the video link, or choose “No video link”."))
            else:
                try:
                    forms.URLField().clean(link)
                    validate_video_link(link)
                except ValidationError:
                    self.add_error("video_link", _("Enter a video link starting with https://."))
        elif choice == "provider":
            link = video_link_generate()
        else:
            link = ""
        data["video_link"] = link
        return data


class BookForm(WhenForm, RoomAndVideoFields):
    field_order = [
        "date",
        "start",
        "end",
        "modality",
        "location",
        "room",
        "video",
        "video_link",
        "frequency",
        "occurrences",
        "confirm_overlap",
    ]
    modality = forms.ChoiceField(label=_("How"), choices=Modality.choices)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    frequency = forms.ChoiceField(
        label=_("Repeats"),
        choices=[("", _("Does not repeat")), *AppointmentSeries.Frequency.choices],
        required=False,
    )
    occurrences = bounds.IntegerField(
        label=_("Number of appointments"), min_value=2, max_value=MAX_SERIES, required=False
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
        elif data.get("frequency") and data.get("occurrences") and data.get("starts_at"):
            # Every occurrence must be bookable, not only the first.
            last_start, _last_end = series_times(
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                frequency=data["frequency"],
                occurrences=data["occurrences"],
            )[-1]
            if not bounds.APPOINTMENT.contains(last_start):
                self.add_error(
                    "occurrences",
                    _(
                        "The last appointment of this series would fall after %(latest)s, the "
                        "last day appointments can be booked. Book fewer or start earlier."
                    )
                    % {"latest": bounds.show_date(bounds.APPOINTMENT.latest())},
                )
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
    notice_hours = bounds.IntegerField(
        label=_("Notice given (hours)"),
        min_value=0,
        max_value=24 * 365,
        required=False,
        help_text=_("For a cancellation: how many hours before the appointment it was said."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper()


# --- Session notes ---------------------------------------------------------------------------

TEXT_ERRORS = {
    "max_length": _(
        "This is limited to 20,000 characters (it has %(show_value)d). Your text is kept below: "
        "shorten it, or move part of it to an addendum after signing."
    )
}


def _text(label: Any, rows: int = 4, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=NOTE_TEXT_LIMIT,
        strip=False,
        error_messages=TEXT_ERRORS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _score(label: Any, maximum: int = 10) -> forms.IntegerField:
    return bounds.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=maximum,
        error_messages={
            "min_value": _("Use a number from 0 to %(max)d.") % {"max": maximum},
            "max_value": _("Use a number from 0 to %(max)d.") % {"max": maximum},
            "invalid": _("Use a whole number from 0 to %(max)d.") % {"max": maximum},
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": maximum, "inputmode": "numeric"}),
    )


@dataclass
class GoalLine:
    goal: Any
    score: str
    note: str


@dataclass
class UseLine:
    substance: Any
    week: datetime.date
    prefix: str
    # Days above plan as the plan's limits give them for the values shown (goals/limits.py).
    plan_hint: str = ""


class NoteForm(forms.Form):
    """A draft note: the format's body, the structured parts and the client's rating.

    Goal check-ins and the use follow-back are fields made per goal and per substance-week.
    Nothing here is required: a draft may be incomplete; `services.sign_problems` decides what
    signing needs. Validation still refuses numbers out of range and text over the limit.
    """

    # Whose words each text is comes from the note's fields (hrp/language.py).
    words_model = SessionNote

    version = bounds.IntegerField(min_value=0, widget=forms.HiddenInput)
    # The editor tab's random key (note.js keeps one per tab in sessionStorage), so a save
    # whose answer was lost is not taken for a conflict with the same tab's next save.
    save_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    agenda = _text(_("The client's agenda for today, in their words"), rows=2)
    data = _text(_("Data"))
    objective = _text(_("Objective"))
    assessment = _text(_("Assessment"))
    plan = _text(_("Plan"))
    narrative = _text(_("Narrative"), rows=10)
    interventions = forms.MultipleChoiceField(
        label=_("Interventions used"),
        choices=INTERVENTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exercise_stages = forms.MultipleChoiceField(
        label=_("Awareness and relaxation exercise: stages done"),
        choices=EXERCISE_STAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tension_before = _score(_("Tension before (0-10)"))
    tension_after = _score(_("Tension after (0-10)"))
    overdose_risk = forms.ChoiceField(
        label=_("Overdose risk"),
        choices=RiskLevel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    suicide_risk = forms.ChoiceField(
        label=_("Suicidal thoughts"),
        choices=RiskLevel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    risk_actions = _text(_("Actions taken"), rows=2)
    next_time = _text(_("Plan for next time"), rows=2)
    rating_heard = _score(RATING_ITEMS[0][1])
    rating_wanted = _score(RATING_ITEMS[1][1])
    rating_approach = _score(RATING_ITEMS[2][1])
    rating_overall = _score(RATING_ITEMS[3][1])

    def __init__(
        self,
        data: Any = None,
        *,
        note: SessionNote,
        goals: list[Any],
        substances: list[Any],
        weeks: list[datetime.date],
        plan_versions: list[Any] | None = None,
    ) -> None:
        super().__init__(data, initial=self._initial(note, goals, substances, weeks))
        self.plan_versions = plan_versions or []
        self.note = note
        self.goals = goals
        self.substances = substances
        self.weeks = weeks
        body = {name for name, _label in FORMAT_FIELDS[note.format]}
        for name, label in FORMAT_FIELDS[note.format]:
            self.fields[name].label = label
        for name in ("data", "objective", "assessment", "plan", "narrative"):
            if name not in body:
                del self.fields[name]
        self.body_fields = [self[name] for name, _label in FORMAT_FIELDS[note.format]]
        for goal in goals:
            self.fields[f"goal_{goal.pk}_score"] = _score(_("Progress (0-10)"))
            self.fields[f"goal_{goal.pk}_note"] = _text(_("Note"), rows=1)
        self.use_lines: list[UseLine] = []
        for substance in substances:
            for week in weeks:
                prefix = f"use_{substance.pk}_{formats.date_stamp(week)}"
                self.fields[f"{prefix}_days"] = _score(_("Use days"), maximum=7)
                # The clinician's correction; blank takes the figure the plan's limits give.
                self.fields[f"{prefix}_above"] = _score(_("Days above plan"), maximum=7)
                self.fields[f"{prefix}_amount"] = bounds.DecimalField(
                    label=_("Typical amount per use day"),
                    required=False,
                    min_value=Decimal(0),
                    max_digits=7,
                    decimal_places=2,
                    error_messages={"min_value": _("An amount cannot be negative.")},
                )
                self.fields[f"{prefix}_unit"] = forms.CharField(
                    label=_("Unit"), required=False, max_length=50
                )
                self.use_lines.append(UseLine(substance=substance, week=week, prefix=prefix))
                # A new week's unit starts as the plan's, so the amounts compare.
                if not self.initial.get(f"{prefix}_unit"):
                    unit = plan_limits.unit_for(self.plan_versions, substance.name, week)
                    if unit:
                        self.initial[f"{prefix}_unit"] = unit
        # Table cells render bare widgets, so they carry Bootstrap's classes themselves.
        for name, field in self.fields.items():
            if name.startswith(("use_", "goal_")):
                field.widget.attrs["class"] = "form-control form-control-sm"

    @staticmethod
    def _initial(
        note: SessionNote, goals: list[Any], substances: list[Any], weeks: list[datetime.date]
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {"version": note.version}
        for name in SessionNote.CONTENT_FIELDS:
            if name not in ("goal_checkins", "use_entries", "format"):
                initial[name] = getattr(note, name)
        for line in note.goal_checkins or []:
            initial[f"goal_{line['goal']}_score"] = line.get("score")
            initial[f"goal_{line['goal']}_note"] = line.get("note", "")
        for entry in note.use_entries or []:
            prefix = f"use_{entry['substance']}_{entry['week'].replace('-', '')}"
            initial[f"{prefix}_days"] = entry.get("use_days")
            initial[f"{prefix}_above"] = entry.get("days_above_plan")
            initial[f"{prefix}_amount"] = entry.get("amount") or None
            initial[f"{prefix}_unit"] = entry.get("unit", "")
        return initial

    def goal_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (goal, self[f"goal_{goal.pk}_score"], self[f"goal_{goal.pk}_note"])
            for goal in self.goals
        ]

    def _plan_hint(self, line: UseLine) -> str:
        """What the plan's limits give for the values shown in this line, in words."""
        days = self._shown(f"{line.prefix}_days")
        if days in (None, ""):
            return ""
        try:
            use_days = int(days)
            amount = self._shown(f"{line.prefix}_amount")
            typical = Decimal(str(amount)) if amount not in (None, "") else None
        except (ValueError, ArithmeticError):
            return ""
        above = plan_limits.above_plan_for_week(
            versions=self.plan_versions,
            substance_name=line.substance.name,
            week_start=line.week - datetime.timedelta(days=line.week.weekday()),
            use_days=max(0, min(7, use_days)),
            typical_amount=typical,
            amount_unit=str(self._shown(f"{line.prefix}_unit") or ""),
        )
        if above.days is None:
            return str(plan_limits.Basis(above.basis).label)
        return str(_("the plan's limits give %(n)d") % {"n": above.days})

    def _shown(self, name: str) -> Any:
        return self[name].value()

    def use_rows(self) -> list[tuple[UseLine, Any, Any, Any, Any]]:
        for line in self.use_lines:
            line.plan_hint = self._plan_hint(line)
        return [
            (
                line,
                self[f"{line.prefix}_days"],
                self[f"{line.prefix}_above"],
                self[f"{line.prefix}_amount"],
                self[f"{line.prefix}_unit"],
            )
            for line in self.use_lines
        ]

    def clean_save_key(self) -> str:
        # Anything but the key note.js makes is ignored: the save then works as without script.
        key = self.cleaned_data.get("save_key") or ""
        return key if SAVE_KEY.fullmatch(key) else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for line in self.use_lines:
            days = data.get(f"{line.prefix}_days")
            above = data.get(f"{line.prefix}_above")
            if days is not None and above is not None and above > days:
                self.add_error(
                    f"{line.prefix}_above",
                    _("Days above plan cannot be more than the use days."),
                )
            if days is None and (above or data.get(f"{line.prefix}_amount") is not None):
                self.add_error(f"{line.prefix}_days", _("Enter the use days for this week too."))
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned data in the shape `services.note_save` takes."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            name: data[name]
            for name in SessionNote.CONTENT_FIELDS
            if name in data and name not in ("goal_checkins", "use_entries", "format")
        }
        values["interventions"] = list(data.get("interventions") or [])
        values["exercise_stages"] = list(data.get("exercise_stages") or [])
        values["goal_checkins"] = [
            {
                "goal": goal.pk,
                "score": data.get(f"goal_{goal.pk}_score"),
                "note": data.get(f"goal_{goal.pk}_note") or "",
            }
            for goal in self.goals
        ]
        entries = []
        for line in self.use_lines:
            days = data.get(f"{line.prefix}_days")
            if days is None:
                continue
            amount = data.get(f"{line.prefix}_amount")
            entries.append(
                {
                    "substance": line.substance.pk,
                    "week": line.week.isoformat(),
                    "use_days": days,
                    # The clinician's correction, or None for the plan's figure.
                    "days_above_plan": data.get(f"{line.prefix}_above"),
                    "amount": str(amount) if amount is not None else "",
                    "unit": data.get(f"{line.prefix}_unit") or "",
                }
            )
        values["use_entries"] = entries
        return values


class SignForm(forms.Form):
    version = bounds.IntegerField(min_value=0, widget=forms.HiddenInput)
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Signing locks the note. Corrections after that are addenda."),
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        max_length=NOTE_TEXT_LIMIT,
        error_messages=TEXT_ERRORS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A correction or later addition. It is shown under the note with your name."),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("cosign", _("Co-sign")), ("return", _("Return for revision"))],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("Comments for the therapist"),
        required=False,
        max_length=NOTE_TEXT_LIMIT,
        error_messages=TEXT_ERRORS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you return the note; kept with it."),
    )
    # Co-signing is a signature, so it asks for the password as signing does (SignForm).
    password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed to co-sign."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comments") or "").strip():
            self.add_error("comments", _("Say what the therapist should revise."))
        if data.get("decision") == "cosign" and not data.get("password"):
            self.add_error("password", _("Enter your password to co-sign."))
        return data


# --- Contacts outside sessions ---------------------------------------------------------------

CONTACT_TEXT_ERRORS = {
    "max_length": _("This is limited to 5,000 characters (it has %(show_value)d).")
}


def _contact_text(label: Any, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=CONTACT_TEXT_LIMIT,
        error_messages=CONTACT_TEXT_ERRORS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ContactForm(forms.Form):
    """A contact outside a session. What a draft needs is checked here and by the service
    (`services._contact_clean`, which holds the consent rule); what signing needs, by
    `services.contact_sign_problems`."""

    version = bounds.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind of contact"), choices=ContactKind.choices, widget=forms.RadioSelect
    )
    date = bounds.DateField(label=_("Date"), within=bounds.CONTACT)
    time = bounds.TimeField(label=_("Time"))
    duration_minutes = bounds.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=1,
        max_value=CONTACT_MAX_MINUTES,
        error_messages={
            "min_value": _("Enter the minutes, from 1 to %(n)d.") % {"n": CONTACT_MAX_MINUTES},
            "max_value": _("Enter the minutes, from 1 to %(n)d.") % {"n": CONTACT_MAX_MINUTES},
        },
    )
    with_whom = forms.CharField(
        label=_("With whom (collateral contact)"),
        required=False,
        max_length=200,
        help_text=_("A name and how they know the client, e.g. “Sam, partner”."),
    )
    consent = forms.ModelChoiceField(
        label=_("Consent that allows it (collateral contact)"),
        queryset=Consent.objects.none(),
        required=False,
        empty_label=_("— none —"),
        error_messages={"invalid_choice": _("Choose one of this client's consents.")},
    )
    summary = _contact_text(_("Note"), rows=4)
    overdose_risk = forms.ChoiceField(
        label=_("Overdose risk"),
        choices=RiskLevel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    suicide_risk = forms.ChoiceField(
        label=_("Suicidal thoughts"),
        choices=RiskLevel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    risk_actions = _contact_text(_("Actions taken"), rows=2)

    def __init__(self, data: Any = None, *, client: Any, contact: Any = None) -> None:
        initial: dict[str, Any] = {}
        if contact is not None:
            local = timezone.localtime(contact.occurred_at)
            initial = {
                "version": contact.version,
                "kind": contact.kind,
                "date": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": contact.duration_minutes,
                "with_whom": contact.with_whom,
                "consent": contact.consent_id,
                "summary": contact.summary,
                "overdose_risk": contact.overdose_risk,
                "suicide_risk": contact.suicide_risk,
                "risk_actions": contact.risk_actions,
            }
        super().__init__(data, initial=initial)
        # An attendance-only consent is for confirming dates to an agency, never a
        # conversation: it is not offered (and the service refuses it too).
        self.fields["consent"].queryset = (
            Consent.objects.filter(client=client)
            .exclude(scope__in=(Consent.Scope.ATTENDANCE, Consent.Scope.GROUP))
            .order_by("-effective_on", "-id")
        )
        self.fields["consent"].label_from_instance = self._consent_label
        self.helper = _helper()

    @staticmethod
    def _consent_label(consent: Consent) -> str:
        return f"{consent.recipient} · {consent.get_scope_display()} ({consent.state_label})"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date") and data.get("time"):
            tz = timezone.get_current_timezone()
            data["occurred_at"] = datetime.datetime.combine(data["date"], data["time"], tzinfo=tz)
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned data in the shape `services.contact_create` / `contact_save` take."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "occurred_at": data["occurred_at"],
            "duration_minutes": data.get("duration_minutes"),
            "with_whom": (data.get("with_whom") or "").strip(),
            "consent": data.get("consent"),
            "summary": data.get("summary") or "",
            "overdose_risk": data.get("overdose_risk") or "",
            "suicide_risk": data.get("suicide_risk") or "",
            "risk_actions": data.get("risk_actions") or "",
        }


class ContactSignForm(SignForm):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Signing locks the contact. Corrections after that are addenda."),
    )
