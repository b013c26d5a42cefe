"""Forms for group sessions. The services check everything again; a refused form keeps what
was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import CrispyMixin
from groups.models import ATTENDANCE_STATUSES, GROUP_NOTE_TEXT_LIMIT, Group
from hrp import bounds
from hrp.accounts.models import User


class GroupForm(CrispyMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    label = forms.CharField(
        label=_("Calendar label"),
        max_length=60,
        help_text=_("What calendars and phones show: nothing about the group's subject."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Group.Kind.choices, widget=forms.RadioSelect)
    weekday = forms.TypedChoiceField(label=_("Meets on"), choices=Group.Weekday.choices, coerce=int)
    start_time = bounds.TimeField(label=_("At"))
    duration_minutes = bounds.IntegerField(
        label=_("Length (minutes)"), min_value=15, max_value=480, initial=90
    )
    starts_on = bounds.DateField(label=_("First week"), within=bounds.APPOINTMENT)
    ends_on = bounds.DateField(label=_("Last week"), within=bounds.APPOINTMENT)
    co_facilitators = forms.ModelMultipleChoiceField(
        label=_("Co-facilitators"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You lead the group."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["co_facilitators"].queryset = (
            User.objects.filter(is_active=True, is_therapist=True)
            .exclude(pk=user.pk)
            .order_by("full_name", "id")
        )
        self.fields["co_facilitators"].label_from_instance = lambda u: u.full_name
        self._crispy()


class GroupEditForm(CrispyMixin, forms.Form):
    """What a running group may change: its name, kind, calendar label and the schedule of its
    future meetings (the series' weeks stay)."""

    name = GroupForm.base_fields["name"]
    label = GroupForm.base_fields["label"]
    kind = GroupForm.base_fields["kind"]
    weekday = GroupForm.base_fields["weekday"]
    start_time = GroupForm.base_fields["start_time"]
    duration_minutes = GroupForm.base_fields["duration_minutes"]

    def __init__(self, *args: Any, group: Group, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": group.name,
                "label": group.label,
                "kind": group.kind,
                "weekday": group.weekday,
                "start_time": group.start_time,
                "duration_minutes": group.duration_minutes,
            },
        )
        super().__init__(*args, **kwargs)
        self._crispy()


class GroupEndForm(CrispyMixin, forms.Form):
    ended_on = bounds.DateField(
        label=_("No meetings from"),
        within=bounds.APPOINTMENT,
        help_text=_(
            "The first day without the group: its meetings from then are cancelled, members' "
            "reminders stop and every membership ends that day."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("ended_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self._crispy()


class MemberForm(CrispyMixin, forms.Form):
    chart_number = forms.CharField(
        label=_("Chart number"),
        max_length=32,
        help_text=_("The client needs a consent in force to take part in a group."),
    )
    joined_on = bounds.DateField(label=_("Joins on"), within=bounds.APPOINTMENT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("joined_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self._crispy()


class DropInForm(CrispyMixin, forms.Form):
    chart_number = forms.CharField(
        label=_("Chart number of a client joining today"),
        max_length=32,
        help_text=_("The client needs a consent in force to take part in a group."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()


class LeaveForm(forms.Form):
    left_on = bounds.DateField(label=_("Left on"), within=bounds.APPOINTMENT)


ATTENDANCE_CHOICES = [("", _("Not recorded"))] + [(s.value, s.label) for s in ATTENDANCE_STATUSES]


class AttendanceForm(forms.Form):
    """One choice per member active on the meeting's day, named `member_<membership pk>`."""

    def __init__(self, *args: Any, members: list[Any], current: dict[int, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.members = members
        for membership in members:
            self.fields[f"member_{membership.pk}"] = forms.ChoiceField(
                label=membership.client.preferred_name,
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=current.get(membership.pk, ""),
            )

    def statuses(self) -> dict[int, str]:
        return {
            membership.pk: self.cleaned_data[f"member_{membership.pk}"]
            for membership in self.members
            if self.cleaned_data.get(f"member_{membership.pk}")
        }

    def bound_rows(self) -> list[tuple[Any, Any]]:
        return [(m, self[f"member_{m.pk}"]) for m in self.members]


class GroupNoteForm(forms.Form):
    """The shared part and a private part per attending member (`part_<client pk>`)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    shared = forms.CharField(
        label=_("Shared part: what the group did, themes"),
        required=False,
        max_length=GROUP_NOTE_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Every member's chart shows this part: write no member's name."),
    )

    def __init__(self, *args: Any, parts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts = parts
        for part in parts:
            self.fields[f"part_{part.client_id}"] = forms.CharField(
                label=_("Private part for %(name)s") % {"name": part.client.preferred_name},
                required=False,
                max_length=GROUP_NOTE_TEXT_LIMIT,
                initial=part.text,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Only this member's chart shows it: write no other member's name."),
            )

    def part_values(self) -> dict[int, str]:
        return {p.client_id: self.cleaned_data.get(f"part_{p.client_id}", "") for p in self.parts}

    def part_fields(self) -> list[Any]:
        return [self[f"part_{p.client_id}"] for p in self.parts]


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label=_("Comments for the facilitator"),
        max_length=GROUP_NOTE_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
