from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import (
    STRENGTH_FIELDS,
    TEXT_LIMIT,
    Client,
    Consent,
    Intake,
    MedicalEvaluation,
    Referral,
    SubstanceUse,
    mandated_agency,
    text_limit,
)
from hrp import bounds
from hrp.accounts.models import User

# The date input of hrp/bounds.py, under the name other apps' forms import from here.
DateInput = bounds.DateInput


STRENGTH_KEYS = [key for key, _label, _help in STRENGTH_FIELDS]


class CrispyMixin:
    """Forms render their fields with crispy; the page supplies the <form> and buttons, so a
    step can carry several forms (a formset beside a form)."""

    def _crispy(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReasonForm(CrispyMixin, forms.Form):
    """Intake step 1: who the client is and, first of all, why they came, in their words."""

    # Whose words each text is comes from the intake's fields (hrp/language.py).
    words_model = Intake

    preferred_name = forms.CharField(
        label=_("Chosen name"),
        max_length=200,
        required=False,
        help_text=_(
            "What the client likes to be called. Initials are fine: this is the only name "
            "care needs."
        ),
    )
    legal_name = forms.CharField(
        label=_("Legal name (optional)"),
        max_length=200,
        required=False,
        help_text=_(
            "Only if the client chooses to share it; it can be added later. Nothing in care "
            "needs it."
        ),
    )
    identity_description = forms.CharField(
        label=_("How the team recognises the client (optional)"),
        max_length=200,
        required=False,
        help_text=_("Only words the client agrees to, e.g. “red cap, Tuesday drop-in”."),
    )
    pronouns = forms.CharField(label=_("Pronouns"), max_length=50, required=False)
    reason_for_coming = forms.CharField(
        label=_("What brings you here?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[text_limit],
        help_text=_("Write it in the client's own words, as they said it."),
        error_messages={
            "required": _("Write down the client's reason for coming, in their own words.")
        },
    )
    client_goals = forms.CharField(
        label=_("What would you like to get from coming here?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[text_limit],
        required=False,
        help_text=_(
            "The client's goals in their own words. Any goal is welcome: safer use, using "
            "less, stopping, or something unrelated to use."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        require_a_name(self, data)
        return data


def require_a_name(form: forms.BaseForm, data: dict[str, Any]) -> None:
    """A record needs one name to call the client by: the chosen one, or the legal one."""
    if (
        not (data.get("preferred_name") or "").strip()
        and not (data.get("legal_name") or "").strip()
    ):
        form.add_error(
            "preferred_name",
            _("Write the name the client chooses to be called (initials are fine)."),
        )


class ClientDetailsForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Client
        formfield_callback = bounds.formfield
        fields = [
            "date_of_birth",
            "phone",
            "email",
            "may_contact",
            "safe_to_leave_message",
            "preferred_language",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A page opened before the field existed posts without it: the language stays as it is.
        self.fields["preferred_language"].required = False
        self._crispy()

    def clean_preferred_language(self) -> str:
        return self.cleaned_data.get("preferred_language") or self.instance.preferred_language

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("may_contact") and not (data.get("phone") or data.get("email")):
            self.add_error(
                "may_contact", _("Add a phone number or email to contact the client on.")
            )
        return data


class ClientEditForm(ClientDetailsForm):
    class Meta(ClientDetailsForm.Meta):
        fields = [
            "preferred_name",
            "legal_name",
            "identity_description",
            "pronouns",
            *ClientDetailsForm.Meta.fields,
        ]
        labels = {"preferred_name": _("Chosen name"), "legal_name": _("Legal name (optional)")}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        require_a_name(self, data)
        return data


class SubstanceForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = SubstanceUse
        formfield_callback = bounds.formfield
        fields = [
            "substance",
            "substance_other",
            "amount",
            "frequency",
            "route",
            "setting",
            "last_use",
            "goal",
            "stage_of_change",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substance"].choices = [("", _("Choose…")), *SubstanceUse.Substance.choices]
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("substance") == SubstanceUse.Substance.OTHER
            and not data.get("substance_other", "").strip()
        ):
            self.add_error("substance_other", _("Name the substance or behaviour."))
        return data


SubstanceFormSet = forms.modelformset_factory(
    SubstanceUse, form=SubstanceForm, extra=1, can_delete=False, max_num=20, validate_max=True
)


class ConcernsForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Intake
        formfield_callback = bounds.formfield
        # The step pairs what worries the client with what they bring: their strengths,
        # supports and past changes that worked, in their words (STRENGTH_FIELDS).
        fields = [
            "anxiety",
            "depression",
            "trauma_history",
            "other_concern",
            "concerns_notes",
            *STRENGTH_KEYS,
        ]
        widgets = {
            "concerns_notes": forms.Textarea(attrs={"rows": 4}),
            **{key: forms.Textarea(attrs={"rows": 3}) for key in STRENGTH_KEYS},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()
        self.helper.layout = Layout(
            Fieldset(
                _("Other concerns"),
                "anxiety",
                "depression",
                "trauma_history",
                "other_concern",
                "concerns_notes",
            ),
            Fieldset(_("Strengths and resources, in the client's words"), *STRENGTH_KEYS),
        )


class MedicalForm(CrispyMixin, forms.ModelForm):
    """Intake step 5: the decision about a medical evaluation. Evaluations already done are
    recorded on the chart's Medical evaluation section (MedicalEvaluationForm), as many as
    there are."""

    class Meta:
        model = Intake
        formfield_callback = bounds.formfield
        fields = ["medical_evaluation", "medical_not_needed_reason"]
        widgets = {"medical_evaluation": forms.RadioSelect}
        help_texts = {
            "medical_evaluation": _(
                "We recommend a medical evaluation to everyone who comes here. Choose "
                "“not needed now” only with a reason."
            )
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("medical_evaluation") == Intake.MedicalDecision.NOT_NEEDED:
            if not data.get("medical_not_needed_reason", "").strip():
                self.add_error(
                    "medical_not_needed_reason",
                    _("Say why a medical evaluation is not needed now."),
                )
        elif "medical_not_needed_reason" in data:
            data["medical_not_needed_reason"] = ""
        return data

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "Not yet considered" is only ever inherited (intakes from before the decision was
        # explicit); nobody chooses it.
        self.fields["medical_evaluation"].choices = [
            (value, label)
            for value, label in Intake.MedicalDecision.choices
            if value != Intake.MedicalDecision.NOT_CONSIDERED
        ]
        self._crispy()


class MedicalEvaluationForm(CrispyMixin, forms.ModelForm):
    """A medical evaluation the client had (the first, or a repeat). The date keeps to the
    HISTORY range (hrp/bounds.py): no evaluation is dated in the future."""

    class Meta:
        model = MedicalEvaluation
        formfield_callback = bounds.formfield
        fields = ["evaluated_on", "evaluated_by", "findings"]
        widgets = {
            "evaluated_on": DateInput(),
            "findings": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "evaluated_by": _("A clinic, a doctor, or “primary care at the health centre”."),
            "findings": _("What matters for the client's care, briefly."),
        }
        error_messages = {"evaluated_on": {"required": _("Enter the date of the evaluation.")}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()


class ReferralForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Referral
        formfield_callback = bounds.formfield
        fields = ["source", "mandate_kind", "agency", "agency_contact", "agency_contact_details"]
        widgets = {"source": forms.RadioSelect}
        help_texts = {
            "source": _(
                "A mandated referral's agency receives attendance only (dates attended or "
                "missed), and only with the client's written consent. Never clinical content."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("source") == Referral.Source.MANDATED:
            if not data.get("mandate_kind"):
                self.add_error("mandate_kind", _("Choose the kind of mandate."))
            if not data.get("agency", "").strip():
                self.add_error("agency", _("Name the referring agency."))
        return data


class ExplainedForm(CrispyMixin, forms.ModelForm):
    """Intake step 6, beside the referral: what was said at the start about how we work.
    Ticking is never required (care is not held up); the review step lists what is still to
    say."""

    class Meta:
        model = Intake
        formfield_callback = bounds.formfield
        fields = ["explained_goals", "explained_lapses", "explained_attendance_only"]
        labels = {
            "explained_goals": _(
                "I explained that every goal is welcome here: safer use, using less, stopping, "
                "or something else. Stopping is one possible goal among several."
            ),
            "explained_lapses": _(
                "I explained that using more than planned can happen, that it is expected, and "
                "that we can learn from it together."
            ),
            "explained_attendance_only": _(
                "The referral is mandated: I explained that the referring agency sees "
                "attendance only (dates attended or missed), never what is said here."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "explained")
        super().__init__(*args, **kwargs)
        self._crispy()


class ConsentForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Consent
        formfield_callback = bounds.formfield
        fields = [
            "recipient",
            "purpose",
            "scope",
            "scope_details",
            "signed_on",
            "effective_on",
            "expires_on",
        ]
        widgets = {
            "signed_on": DateInput(),
            "effective_on": DateInput(),
            "expires_on": DateInput(),
            "scope_details": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency = mandated_agency(self.instance.client_id)
        if agency:
            # Said before the clinician chooses, not only on refusal.
            self.fields["scope"].help_text = _(
                "This client's mandated referral agency (%(agency)s) sees attendance only: a "
                "consent naming it may only allow “Attendance only”."
            ) % {"agency": agency}
        self._crispy()


class ConsentRevokeForm(CrispyMixin, forms.Form):
    revoked_on = bounds.DateField(label=_("Revoked on"), within=bounds.HISTORY)
    revoked_by = forms.CharField(label=_("Revoked by"), max_length=200, initial=_("The client"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("revoked_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self._crispy()


class StatusForm(CrispyMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Client.Status.choices)
    discharged_on = bounds.DateField(
        label=_("Discharge date"), within=bounds.HISTORY, required=False
    )
    discharge_reason = forms.CharField(
        label=_("Reason for discharge"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_LIMIT,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == Client.Status.DISCHARGED and not data.get("discharged_on"):
            self.add_error("discharged_on", _("Enter the date of discharge."))
        return data


class ReassignForm(CrispyMixin, forms.Form):
    therapist = forms.ModelChoiceField(label=_("New therapist"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self._crispy()


class QueueAssignForm(forms.Form):
    """Assign one client from the unassigned queue to an active therapist."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This client is no longer in the unassigned queue.")},
    )
    therapist = forms.ModelChoiceField(
        label=_("Therapist"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose the therapist who will see this client."),
            "invalid_choice": _("Choose an active therapist."),
        },
    )

    def __init__(self, *args: Any, clients: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
        self.fields["therapist"].queryset = therapists


class ClientSearchForm(forms.Form):
    """Caseload filters. Sent by POST so that a client's name never sits in a URL."""

    q = forms.CharField(label=_("Search by name or chart number"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[*Client.Status.choices, ("all", _("All"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("chart", _("Chart number")),
            ("status", _("Status")),
            ("newest", _("Newest first")),
        ],
        required=False,
    )
    page = bounds.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
