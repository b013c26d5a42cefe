from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from hrp import bounds
from hrp.accounts.models import User
from supervision.fidelity import ITEMS, RATINGS
from supervision.models import TEXT_LIMIT

text_limit = MaxLengthValidator(
    TEXT_LIMIT, message=_("Please keep this under 20,000 characters (it has %(show_value)d).")
)


class ClientChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Client) -> str:
        return f"{obj.display_name} ({obj.chart_number})"


class MeetingForm(forms.Form):
    """A supervision meeting. The service checks the same rules again (date, text, clients);
    the form says them in words a clinician understands."""

    met_on = bounds.DateField(label=_("Date of the meeting"), within=bounds.HISTORY)
    clients = ClientChoice(
        label=_("Clients discussed"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    guidance = forms.CharField(
        label=_("Guidance"),
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[text_limit],
        error_messages={"required": _("Write down the guidance given in the meeting.")},
    )
    follow_ups = forms.CharField(
        label=_("Follow-ups"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        validators=[text_limit],
        help_text=_("What the supervisee will do, and what to come back to next time."),
    )
    countertransference = forms.CharField(
        label=_("Countertransference"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        validators=[text_limit],
        help_text=_(
            "What did these clients stir in the therapist (frustration at a return to use, "
            "wanting to rescue, hopelessness, pressure to push a goal), and how did it shape "
            "the work? Seen only by the two of you."
        ),
    )

    def __init__(self, *args: Any, supervisee: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"met_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.supervisee = supervisee
        field = self.fields["clients"]
        field.queryset = Client.objects.filter(therapist=supervisee).order_by(  # type: ignore[attr-defined]
            "preferred_name", "legal_name"
        )
        field.error_messages["invalid_choice"] = _(
            "Choose only clients on %(name)s's caseload."
        ) % {"name": supervisee.full_name}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_guidance(self) -> str:
        guidance = self.cleaned_data["guidance"].strip()
        if not guidance:
            raise forms.ValidationError(_("Write down the guidance given in the meeting."))
        return guidance


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment for the therapist"),
        widget=forms.Textarea(attrs={"rows": 5}),
        validators=[text_limit],
        error_messages={"required": _("Write the comment before sending it.")},
        help_text=_(
            "The therapist sees it at the top of this client's chart until they acknowledge "
            "it. It is not part of the client's record and never appears in exports."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write the comment before sending it."))
        return text


class FidelityReviewForm(forms.Form):
    """The fidelity checklist: one rating per item of supervision/fidelity.py (made from that
    list, so an item added there appears here) and a comment for the therapist."""

    comment = forms.CharField(
        label=_("Comment for the therapist"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        validators=[text_limit],
        help_text=_("What went well, and one thing to try next time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rated = {
            item.key: forms.TypedChoiceField(
                label=item.label,
                help_text=item.looks_like,
                choices=RATINGS,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Rate this item: not observed, partly or clearly.")},
            )
            for item in ITEMS
        }
        # The items first, in the checklist's order, then the comment.
        self.fields = {**rated, "comment": self.fields["comment"]}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def ratings(self) -> dict[str, int]:
        return {item.key: self.cleaned_data[item.key] for item in ITEMS}
