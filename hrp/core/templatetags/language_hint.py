"""`{% language_hint_terms %}`: the hint's terms for static/hrp/language_hint.js, as a JSON data
block (`<script type="application/json">`, which the CSP allows: it is never executed)."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hrp.language import hint_entries

register = template.Library()


@register.simple_tag
def language_hint_terms() -> SafeString:
    terms = [
        {"pattern": e["pattern"], "term": e["term"], "suggest": e["suggest"]}
        for e in hint_entries()
    ]
    wording = {
        "intro": _("A gentle note on wording (it does not stop you saving):"),
        # The same sentence the note says on saving (sessions/note_views.py).
        "line": _("A suggestion, not a rule: instead of “%(found)s”, consider %(alternatives)s."),
    }
    return json_script({"terms": terms, **wording}, "language-hint-terms")
