"""The language hint: a gentle, never blocking suggestion of person-first words when clinician
free text contains a stigmatising term (DOMAIN.md, "Stigma harms"). The terms are data, in
hrp/data/language_hints.json, so a clinic may add some.

One mechanism marks every clinician free-text box in the project: the form renderer
(settings.FORM_RENDERER = HintingRenderer) gives every form the `HintedBoundField`, which adds
the `data-language-hint` attribute to each textarea unless the field holds the client's own
words. static/hrp/language_hint.js then shows the suggestion under the box as the clinician
types (no inline script: the CSP forbids it), and the note also says it on saving
(sessions/services.py `note_save`). A form added tomorrow gets the hint without an edit.

What counts as the client's words is declared once, on the field: `client_words=True` on the
model field (EncryptedTextField, clients.models.LongText accept it), or `client_words(...)` on a
form field that no model field backs (e.g. parts of a plan kept in JSON). A plain form that
mirrors a model names it as `words_model`, and its fields are looked up there by name. The
client's words are theirs: they are never corrected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

HINTS_FILE = Path(__file__).with_name("data") / "language_hints.json"
# The attribute the script looks for; present (no value) on each hinted textarea.
HINT_ATTR = "data-language-hint"


@dataclass(frozen=True)
class LanguageHint:
    term: str
    found: str
    suggest: tuple[str, ...]


@cache
def hint_entries() -> tuple[dict[str, Any], ...]:
    """The terms as stored: pattern, term, suggestions. Also what the page's script reads."""
    return tuple(json.loads(HINTS_FILE.read_text(encoding="utf-8"))["hints"])


@cache
def _hint_patterns() -> list[tuple[re.Pattern[str], str, tuple[str, ...]]]:
    return [
        (
            re.compile(rf"\b(?:{e['pattern']})\b", re.IGNORECASE),
            e["term"],
            tuple(e["suggest"]),
        )
        for e in hint_entries()
    ]


def language_hints(*texts: str) -> list[LanguageHint]:
    """Each stigmatising term found in `texts`, once, in the order of the list."""
    found: list[LanguageHint] = []
    for pattern, term, suggest in _hint_patterns():
        for text in texts:
            match = pattern.search(text or "")
            if match:
                found.append(LanguageHint(term=term, found=match.group(0), suggest=suggest))
                break
    return found


# --- Which fields are hinted ---------------------------------------------------------------


def client_words[F](field: F) -> F:
    """Mark a form field that holds the client's own words and has no model field behind it."""
    field.client_words = True  # type: ignore[attr-defined]
    return field


def _model_of(form: Any) -> Any:
    meta = getattr(form, "_meta", None)
    return getattr(meta, "model", None) or getattr(form, "words_model", None)


def is_client_words(form: Any, name: str, field: forms.Field) -> bool:
    """Whether the field `name` of `form` (an instance or a class) holds the client's words."""
    if getattr(field, "client_words", False):
        return True
    model = _model_of(form)
    if model is None:
        return False
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        return False
    return bool(getattr(model_field, "client_words", False))


def hint_applies(form: Any, name: str, field: forms.Field) -> bool:
    """The rule: every free-text box (a textarea) a clinician writes in, except the client's
    words. Short one-line inputs (names, dates, numbers) are not prose and are left alone."""
    return isinstance(field.widget, forms.Textarea) and not is_client_words(form, name, field)


class HintedBoundField(BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        shown = widget or self.field.widget
        if isinstance(shown, forms.Textarea) and hint_applies(self.form, self.name, self.field):
            attrs[HINT_ATTR] = True
        return attrs


class HintingRenderer(DjangoTemplates):
    """Django's default renderer, giving every form in the project the hinted bound field."""

    bound_field_class = HintedBoundField
