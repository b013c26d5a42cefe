"""One form per kind of technique record, built from the model's fields. Lengths are checked
here; whether a record says anything (an empty one is refused) is the service's rule
(techniques.services.technique_problems), shown on the same form."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from techniques.kinds import Kind
from techniques.models import TECHNIQUE_TEXT_LIMIT


class TechniqueForm(forms.ModelForm):
    class Meta:
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        for name, field in self.fields.items():
            field.required = False
            if isinstance(field, forms.CharField) and name in self._meta.model.TEXT_FIELDS:
                field.widget = forms.Textarea(attrs={"rows": 2})
                field.strip = True
                field.validators.append(_limit)
            if isinstance(field, forms.ChoiceField):
                # The empty choice is an answer here ("not said"), not a dash.
                field.choices = [("", _("Not said")), *[c for c in field.choices if c[0]]]
            field.label = str(field.label)[:1].upper() + str(field.label)[1:]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in self._meta.fields}


def _limit(value: str) -> None:
    if len(value) > TECHNIQUE_TEXT_LIMIT:
        raise forms.ValidationError(
            _("Keep this to %(limit)s characters (it has %(n)s).")
            % {"limit": f"{TECHNIQUE_TEXT_LIMIT:,}", "n": f"{len(value):,}"}
        )


def form_class(kind: Kind) -> type[TechniqueForm]:
    model = kind.model
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": (*model.TEXT_FIELDS[:1], *model.CHOICE_FIELDS, *model.TEXT_FIELDS[1:]),
        },
    )
    return type(f"{model.__name__}Form", (TechniqueForm,), {"Meta": meta})
