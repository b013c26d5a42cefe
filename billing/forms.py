"""Forms for the problem list, coding an encounter and billing exports. They shape input; the
rules are the services' (billing.services), which the views call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from billing import codes
from billing.models import Diagnosis, DiagnosisStatus
from billing.services import MemberCoding
from clients.forms import CrispyMixin
from clients.models import Consent, text_limit
from disclosures.models import Disclosure
from hrp import bounds


def _diagnosis_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for entry in codes.ICD10_CODES:
        groups.setdefault(entry.group, []).append((entry.code, entry.label))
    return [("", _("Choose a diagnosis")), *groups.items()]


class DiagnosisAddForm(CrispyMixin, forms.Form):
    code = forms.ChoiceField(label=_("Diagnosis (ICD-10-CM)"), choices=_diagnosis_choices)
    onset_on = bounds.DateField(label=_("Onset"), required=False, within=bounds.HISTORY)
    reason = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=500, validators=[text_limit]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].error_messages["invalid_choice"] = _(
            "Choose a diagnosis code from the list."
        )
        self._crispy()


class DiagnosisChangeForm(CrispyMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=DiagnosisStatus.choices)
    onset_on = bounds.DateField(label=_("Onset"), required=False, within=bounds.HISTORY)
    resolved_on = bounds.DateField(label=_("Resolved on"), required=False, within=bounds.HISTORY)
    reason = forms.CharField(
        label=_("Reason for the change"), required=False, max_length=500, validators=[text_limit]
    )

    def __init__(self, *args: Any, diagnosis: Diagnosis, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": diagnosis.status,
                "onset_on": diagnosis.onset_on,
                "resolved_on": diagnosis.resolved_on,
            },
        )
        super().__init__(*args, **kwargs)
        self._crispy()


class EncounterForm(CrispyMixin, forms.Form):
    code = forms.ChoiceField(label=_("Service code"))
    minutes = bounds.IntegerField(
        label=_("Real duration (minutes)"),
        min_value=1,
        max_value=8 * 60,
        help_text=_("The units follow from the code's time rule."),
    )
    place_of_service = forms.ChoiceField(
        label=_("Place of service"),
        choices=[(code, f"{code} {name}") for code, name in codes.PLACES_OF_SERVICE],
    )
    diagnosis_codes = forms.MultipleChoiceField(
        label=_("Diagnoses addressed"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("From the problem list, up to four, the main one first."),
    )

    def __init__(
        self,
        *args: Any,
        service_codes: Iterable[codes.ServiceCode],
        diagnoses: Iterable[Diagnosis],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            ("", _("Choose a service code")),
            *((entry.code, entry.label) for entry in service_codes),
        ]
        self.fields["diagnosis_codes"].choices = [(d.code, d.label) for d in diagnoses]
        self.fields["code"].error_messages["invalid_choice"] = _(
            "Choose a service code from the list."
        )
        self.fields["diagnosis_codes"].error_messages["invalid_choice"] = _(
            "Choose diagnoses from the problem list."
        )
        self._crispy()


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Consent) -> str:
        return _("%(recipient)s: %(scope)s, until %(until)s") % {
            "recipient": obj.recipient,
            "scope": obj.get_scope_display(),
            "until": obj.expires_on.isoformat(),
        }


class ExportForm(CrispyMixin, forms.Form):
    what = forms.ChoiceField(
        label=_("Export"),
        choices=[
            (Disclosure.What.SUPERBILL, _("Superbill (PDF)")),
            (Disclosure.What.BILLING_CSV, _("Encounters for billing software (CSV)")),
        ],
    )
    consent = ConsentChoiceField(
        label=_("To the recipient of the consent"),
        queryset=Consent.objects.none(),
        empty_label=_("Choose the consent"),
        error_messages={
            "required": _(
                "A billing export leaves the clinic: choose the client's consent to disclose "
                "to the payer or billing service."
            ),
            "invalid_choice": _("Choose a consent in force from the list."),
        },
    )
    start = bounds.DateField(label=_("From"), within=bounds.PERIOD)
    end = bounds.DateField(label=_("To"), within=bounds.PERIOD)

    def __init__(self, *args: Any, consents: QuerySet[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = consents  # type: ignore[attr-defined]
        self._crispy()


class FeeForm(CrispyMixin, forms.Form):
    code = forms.ChoiceField(label=_("Service code"))
    amount = bounds.DecimalField(
        label=_("Fee per unit (USD)"), min_value=0, max_value=99999.99, decimal_places=2
    )
    effective_on = bounds.DateField(label=_("In force from"), within=bounds.PLANNING)

    def __init__(self, *args: Any, service_codes: Iterable[codes.ServiceCode], **kwargs: Any):
        super().__init__(*args, prefix="fee", **kwargs)
        self.fields["code"].choices = [
            ("", _("Choose a service code")),
            *((entry.code, entry.label) for entry in service_codes),
        ]
        self._crispy()


class ClinicCodeForm(CrispyMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16)
    description = forms.CharField(label=_("Description"), max_length=200)
    rule = forms.ChoiceField(
        label=_("Units"), choices=[(r.value, label) for r, label in codes.UNIT_RULE_LABELS.items()]
    )
    min_minutes = bounds.IntegerField(
        label=_("Range from (minutes)"), required=False, min_value=1, max_value=480
    )
    max_minutes = bounds.IntegerField(
        label=_("Range to (minutes)"), required=False, min_value=1, max_value=480
    )
    unit_minutes = bounds.IntegerField(
        label=_("Minutes per unit"), required=False, min_value=2, max_value=480
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="new_code", **kwargs)
        self._crispy()


class MeetingCodingForm(forms.Form):
    """The meeting's coding for every attending member at once: the group's service code,
    real duration and place, and per member whether to code them now, their own diagnoses
    and, where it differs, their code and minutes (someone who arrived late or left early).
    Coded members of a signed group note have no fields: their coding is locked."""

    code = forms.ChoiceField(label=_("Service code for the group"))
    minutes = bounds.IntegerField(
        label=_("Real duration of the meeting (minutes)"),
        min_value=1,
        max_value=8 * 60,
        help_text=_("The units follow from the code's time rule (90853: one per meeting)."),
    )
    place_of_service = forms.ChoiceField(
        label=_("Place of service"),
        choices=[(code, f"{code} {name}") for code, name in codes.PLACES_OF_SERVICE],
    )

    def __init__(
        self,
        *args: Any,
        rows: list[Any],
        service_codes: Iterable[codes.ServiceCode],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        code_choices = [(entry.code, entry.label) for entry in service_codes]
        self.fields["code"].choices = [("", _("Choose a service code")), *code_choices]
        self.fields["code"].error_messages["invalid_choice"] = _(
            "Choose a group service code from the list."
        )
        self.rows = rows
        self.row_errors: dict[int, list[str]] = {}
        for row in rows:
            if row.locked:
                continue
            encounter = row.encounter
            prefix = f"member-{row.attendance.pk}"
            # A member with no diagnosis in force cannot be coded yet: not proposed.
            self.fields[f"{prefix}-include"] = forms.BooleanField(
                label=_("Code now"), required=False, initial=bool(row.diagnoses)
            )
            self.fields[f"{prefix}-code"] = forms.ChoiceField(
                label=_("Code"),
                required=False,
                choices=[("", _("The group's code")), *code_choices],
                initial=encounter.code if encounter else "",
            )
            self.fields[f"{prefix}-minutes"] = bounds.IntegerField(
                label=_("Minutes, if different"),
                required=False,
                min_value=1,
                max_value=8 * 60,
                initial=encounter.minutes if encounter else None,
            )
            chosen = encounter.diagnosis_codes if encounter else [d.code for d in row.diagnoses[:1]]
            self.fields[f"{prefix}-diagnosis_codes"] = forms.MultipleChoiceField(
                label=_("Diagnoses addressed"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                choices=[(d.code, d.label) for d in row.diagnoses],
                initial=chosen,
                error_messages={"invalid_choice": _("Choose diagnoses from the problem list.")},
            )

    def member_fields(self) -> list[tuple[Any, dict[str, Any], list[str]]]:
        """Per attending member: the row, its bound fields by name and its errors."""
        out = []
        for row in self.rows:
            prefix = f"member-{row.attendance.pk}"
            bound = {}
            if not row.locked:
                for name in ("include", "code", "minutes", "diagnosis_codes"):
                    bound[name] = self[f"{prefix}-{name}"]
            errors = list(self.row_errors.get(row.attendance.pk, []))
            for field in bound.values():
                errors.extend(field.errors)
            out.append((row, bound, errors))
        return out

    def member_codings(self) -> list[MemberCoding]:
        """The members chosen for coding, as billing.services.MemberCoding."""
        chosen = []
        for row in self.rows:
            prefix = f"member-{row.attendance.pk}"
            if row.locked or not self.cleaned_data.get(f"{prefix}-include"):
                continue
            chosen.append(
                MemberCoding(
                    attendance=row.attendance,
                    diagnosis_codes=list(self.cleaned_data.get(f"{prefix}-diagnosis_codes") or []),
                    code=self.cleaned_data.get(f"{prefix}-code") or "",
                    minutes=self.cleaned_data.get(f"{prefix}-minutes"),
                )
            )
        return chosen

    def add_service_errors(self, error: Any) -> None:
        """A refusal of billing.services.meeting_encounters_code: per member where keyed
        "member-<attendance pk>", on the form otherwise."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            if key.startswith("member-") and key[7:].isdigit():
                self.row_errors.setdefault(int(key[7:]), []).extend(messages)
                # A form with member errors is not valid: the page says so at the top too.
                self.add_error(None, _("Some members could not be coded: see their rows."))
            else:
                self.add_error(key if key in self.fields else None, messages)
