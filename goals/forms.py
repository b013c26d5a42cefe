from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.selectors import current_harms, harms_by_substance
from clients.forms import DateInput
from clients.models import Client, SubstanceUse
from goals.models import PLAN_REVIEW_AFTER, Goal, GoalReview, PlanReview
from hrp import bounds


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        formfield_callback = bounds.formfield
        fields = [
            "kind",
            "substance",
            "client_words",
            "hypothesis",
            "target",
            "target_value",
            "target_unit",
            "start_date",
            "review_date",
            "harms",
        ]
        widgets = {
            "harms": forms.CheckboxSelectMultiple,
            "client_words": forms.Textarea(attrs={"rows": 3}),
            "hypothesis": forms.Textarea(
                attrs={"rows": 3, "placeholder": _("If I ..., I expect ...")}
            ),
            "start_date": DateInput(),
            "review_date": DateInput(),
        }

    def __init__(self, *args: Any, client: Client, prefix: str | None = None, **kwargs: Any):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.instance.client = client
        self.fields["substance"].queryset = SubstanceUse.objects.filter(client=client)
        self.fields["substance"].required = False
        self.fields["client_words"].required = True
        self.fields["client_words"].error_messages["required"] = _(
            "Write the goal as the client put it."
        )
        self.fields["hypothesis"].required = True
        self.fields["hypothesis"].error_messages["required"] = _(
            'State the goal as an experiment: "If I ..., I expect ..."'
        )
        self.fields["review_date"].error_messages["required"] = _(
            "Choose when you will review the goal together."
        )
        kind = self.fields["kind"]
        kind.help_text = _(
            "“Exploring” is a goal too: for a client who has not decided what they want, "
            "clarifying it (or staying with both sides for a while) is the work. It needs no "
            "substance and no target."
        )
        self._harms_field(client)
        self.helper = _helper()

    def _harms_field(self, client: Client) -> None:
        """The harms the client named in their latest harm assessment, grouped by substance.
        Only those are offered (the queryset is what validation checks), so another client's
        harm is refused."""
        harms = self.fields["harms"]
        queryset = current_harms(client)
        harms.queryset = queryset
        harms.required = False
        harms.label = _("Harms this goal answers")
        harms.help_text = _("From the client's latest harm assessment. Tick any this goal is for.")
        harms.error_messages["invalid_choice"] = _(
            "Choose from the harms in the client's latest harm assessment."
        )
        harms.choices = [
            (
                group.label,
                [
                    (harm.pk, f"{harm.description} ({harm.get_domain_display()})")
                    for harm in group.harms
                ],
            )
            for group in harms_by_substance(queryset)
        ]
        if not harms.choices:
            # No named harms yet: nothing to offer, and no empty box of checkboxes.
            harms.widget = forms.MultipleHiddenInput()

    def has_harms_to_offer(self) -> bool:
        return bool(self.fields["harms"].choices)


class ReviewForm(forms.ModelForm):
    class Meta:
        model = GoalReview
        formfield_callback = bounds.formfield
        fields = [
            "reviewed_on",
            "what_happened",
            "realistic",
            "learned",
            "decision",
            "next_review_date",
        ]
        widgets = {
            "reviewed_on": DateInput(),
            "next_review_date": DateInput(),
            "what_happened": forms.Textarea(attrs={"rows": 3}),
            "learned": forms.Textarea(attrs={"rows": 3}),
            "decision": forms.RadioSelect,
            "realistic": forms.RadioSelect,
        }
        help_texts = {
            "what_happened": _("In neutral words: use above plan is information to learn from."),
            "next_review_date": _("For “keep going”: when to look at it again."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["what_happened"].required = True
        self.fields["learned"].required = False
        self.fields["reviewed_on"].initial = timezone.localdate()
        self.helper = _helper()


class PlanReviewForm(forms.ModelForm):
    """The plan version tested as a hypothesis, reviewed with the client."""

    class Meta:
        model = PlanReview
        formfield_callback = bounds.formfield
        fields = [
            "reviewed_on",
            "what_happened",
            "realistic",
            "harms_changed",
            "learned",
            "outcome",
            "next_review_date",
        ]
        widgets = {
            "reviewed_on": DateInput(),
            "next_review_date": DateInput(),
            "what_happened": forms.Textarea(attrs={"rows": 3}),
            "harms_changed": forms.Textarea(attrs={"rows": 3}),
            "learned": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.RadioSelect,
            "realistic": forms.RadioSelect,
        }
        help_texts = {
            "what_happened": _(
                "The weeks since this version, in neutral words: use above plan is information."
            ),
            "harms_changed": _("The harms the plan aimed at: fewer, the same, different?"),
            "next_review_date": _(
                "When to look at the plan again. A new version brings its own review date."
            ),
        }
        error_messages = {
            "what_happened": {"required": _("Say what happened since this version.")},
            "realistic": {"required": _("Say whether the plan was realistic.")},
            "outcome": {"required": _("Choose what happens next with the plan.")},
            "next_review_date": {"required": _("Choose when to look at the plan again.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["reviewed_on"].initial = today
        self.fields["next_review_date"].initial = today + PLAN_REVIEW_AFTER
        # Radio buttons need no blank "select an option" choice: none is checked until chosen.
        self.fields["outcome"].choices = PlanReview.Outcome.choices
        self.helper = _helper()
