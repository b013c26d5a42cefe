from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clients.forms import CrispyMixin
from clients.models import Consent, text_limit
from hrp import bounds
from linkage.models import Service, ServiceReferral, Status


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Consent) -> str:
        return _("%(recipient)s: %(scope)s, until %(until)s") % {
            "recipient": obj.recipient,
            "scope": obj.get_scope_display(),
            "until": obj.expires_on.isoformat(),
        }


class _ShareMixin(forms.Form):
    """Sharing information with the provider: a disclosure under 42 CFR Part 2."""

    share = forms.BooleanField(
        label=_("Information about the client is shared with the provider"),
        required=False,
        help_text=_(
            "Needs the client's written consent in force naming the provider; the sharing is "
            "recorded on the Disclosures tab with the redisclosure notice."
        ),
    )
    consent = ConsentChoiceField(
        label=_("Under consent"),
        queryset=Consent.objects.none(),
        required=False,
        empty_label=_("Choose the consent"),
    )
    shared = forms.CharField(
        label=_("What is shared"),
        required=False,
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: name, date of birth, current use and the reason for referral."),
    )

    def _share_init(self, consents: QuerySet[Consent]) -> None:
        self.fields["consent"].queryset = consents  # type: ignore[attr-defined]

    def _share_clean(self, data: dict[str, Any]) -> None:
        if not data.get("share"):
            return
        if data.get("consent") is None:
            self.add_error(
                "consent",
                _(
                    "Sharing information needs a consent in force naming the provider. Record "
                    "the client's written consent on the Consents tab first, or untick sharing."
                ),
            )
        if not data.get("shared", "").strip():
            self.add_error("shared", _("Describe what information is shared."))


class OfferForm(CrispyMixin, _ShareMixin):
    service = forms.ChoiceField(label=_("Service"), choices=Service.choices)
    service_other = forms.CharField(
        label=_("Other service"), max_length=100, required=False, help_text=_("Only for “Other”.")
    )
    provider = forms.CharField(label=_("Organisation or provider"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.SUGGESTED)
    follow_up_on = bounds.DateField(
        label=_("Follow up on"),
        within=bounds.PLANNING,
        required=False,
        help_text=_("You get a reminder that day while the referral is open."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = [
        "service",
        "service_other",
        "provider",
        "status",
        "follow_up_on",
        "note",
        "share",
        "consent",
        "shared",
    ]

    def __init__(self, *args: Any, consents: QuerySet[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._share_init(consents)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("service") == Service.OTHER and not data.get("service_other", "").strip():
            self.add_error("service_other", _("Describe the other service."))
        if data.get("share") and not data.get("provider", "").strip():
            self.add_error("provider", _("Name the provider the information goes to."))
        self._share_clean(data)
        return data


class UpdateForm(CrispyMixin, _ShareMixin):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        validators=[text_limit],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    follow_up_on = bounds.DateField(
        label=_("Follow up on"),
        within=bounds.PLANNING,
        required=False,
        help_text=_("Leave empty for no reminder."),
    )
    field_order = ["status", "note", "follow_up_on", "share", "consent", "shared"]

    def __init__(
        self,
        *args: Any,
        referral: ServiceReferral,
        consents: QuerySet[Consent],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).update(
            {"status": referral.status, "follow_up_on": referral.follow_up_on}
        )
        super().__init__(*args, **kwargs)
        self._share_init(consents)
        self._crispy()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._share_clean(data)
        return data
