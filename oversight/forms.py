from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hrp import bounds
from hrp.audit.actions import action_label
from hrp.audit.models import AuditEvent
from oversight.filters import NO_ACTOR, AuditFilters


class AuditFilterForm(forms.Form):
    """The audit viewer's filters. The choices come from the caller (the staff accounts and the
    actions the trail holds), already read for the page, so validating costs no query."""

    actor = forms.ChoiceField(
        label=_("User"),
        required=False,
        error_messages={
            "invalid_choice": _("That staff account does not exist. Choose one from the list.")
        },
    )
    chart_number = forms.CharField(
        label=_("Client chart number"),
        required=False,
        max_length=32,
        help_text=_("For example C-7K2M9Q. The chart number, never the client's name."),
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "That action does not appear in the audit trail. Choose one from the list."
            )
        },
    )
    date_from = bounds.DateField(
        label=_("From"),
        required=False,
        within=bounds.PERIOD,
        error_messages={"invalid": _("Enter the start date as YYYY-MM-DD.")},
    )
    date_to = bounds.DateField(
        label=_("To"),
        required=False,
        within=bounds.PERIOD,
        error_messages={"invalid": _("Enter the end date as YYYY-MM-DD.")},
    )

    def __init__(
        self,
        *args: Any,
        staff: list[dict[str, Any]],
        actions: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        people = [
            (
                str(s["pk"]),
                f"{s['full_name']} ({s['email']})"
                + ("" if s["is_active"] else f" · {_('deactivated')}"),
            )
            for s in staff
        ]
        self.fields["actor"].choices = [
            ("", _("Anyone")),
            (NO_ACTOR, _("Nobody signed in (failed sign-ins, lockouts)")),
            *people,
        ]
        labels = dict(AuditEvent.Category.choices)
        groups: dict[str, list[tuple[str, str]]] = {}
        for category, action in actions:
            groups.setdefault(category, []).append((action, action_label(action)))
        self.fields["action"].choices = [
            ("", _("Any action")),
            *[
                (labels.get(category, category), options)
                for category, options in sorted(groups.items())
            ],
        ]
        for bound in self.fields.values():
            css = "form-select" if isinstance(bound, forms.ChoiceField) else "form-control"
            bound.widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        # Bootstrap shows a field as invalid only with this class.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def clean_chart_number(self) -> str:
        return self.cleaned_data["chart_number"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("The end date is before the start date. Choose an end on or after it.")
            )
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data["actor"],
            chart_number=data["chart_number"],
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
