from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import TEXT_LIMIT
from hrp import bounds, formats


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class FollowUpForm(_Form):
    """What was done about a risk flag, and when."""

    action = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_LIMIT,
        help_text=_(
            "For example: talked it through with the client, made or reviewed a safety plan, "
            "checked naloxone and never using alone, gave crisis line numbers, consulted the "
            "supervisor."
        ),
        error_messages={"required": _("Describe what was done.")},
    )
    # ASCII, representable everywhere; how far back or ahead is the service's rule.
    done_at = bounds.DateTimeField(
        label=_("When"),
        within=None,
        input_formats=list(formats.DATETIME_INPUT_FORMATS),
        error_messages={"required": _("Enter when it was done.")},
    )


class ResolveForm(_Form):
    """Why the flag can be closed."""

    resolution = forms.CharField(
        label=_("Why the flag can be resolved"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_LIMIT,
        help_text=_("For example: the safety plan is in place and the client feels safe."),
        error_messages={"required": _("Say why the flag can be resolved.")},
    )
