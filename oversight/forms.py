from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hrp import bounds
from hrp.audit.actions import action_label
from hrp.audit.models import AuditEvent
from oversight.filters import NO_ACTOR, AuditFilters
from oversight.selectors import staff_pk_for_email


class AuditFilterForm(forms.Form):
    """The audit viewer's filters. The choices come from the caller (the staff accounts and the
    actions the trail holds), already read for the page, so validating costs no query."""

    # An email, not a list of every account: a large agency has hundreds of staff, and the list
    # cost more to draw than the page of events (docs/PERFORMANCE.md).
    actor = forms.CharField(
        label=_("User's email"),
        required=False,
        max_length=254,
        help_text=_("The staff account's sign-in email. Empty for anyone."),
    )
    nobody = forms.BooleanField(
        label=_("Only events with nobody signed in (failed sign-ins, lockouts)"),
        required=False,
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

    def __init__(self, *args: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
            if isinstance(bound, forms.BooleanField):
                css = "form-check-input"
            elif isinstance(bound, forms.ChoiceField):
                css = "form-select"
            else:
                css = "form-control"
            bound.widget.attrs.setdefault("class", css)

    def full_clean(self) -> None:
        super().full_clean()
        # Bootstrap shows a field as invalid only with this class.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def clean_actor(self) -> str:
        """The account's pk as text (what the filters keep), from its email; deactivated
        accounts count, since their past actions stay in the trail."""
        email = self.cleaned_data["actor"].strip()
        if not email:
            return ""
        pk = staff_pk_for_email(email)
        if pk is None:
            raise forms.ValidationError(
                _(
                    "No staff account has this email. Check the spelling: the Staff accounts "
                    "page lists every account."
                )
            )
        return str(pk)

    def clean_chart_number(self) -> str:
        return self.cleaned_data["chart_number"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("nobody") and data.get("actor"):
            self.add_error(
                "nobody", _("Choose a user or “nobody signed in”, not both. Empty one of them.")
            )
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to", _("The end date is before the start date. Choose an end on or after it.")
            )
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=NO_ACTOR if data["nobody"] else data["actor"],
            chart_number=data["chart_number"],
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
