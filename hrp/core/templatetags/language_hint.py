"""`{% language_hint_terms %}`: the hint's terms for static/hrp/language_hint.js, as JSON in a
data attribute of a hidden element (no script element of any kind in the page: the CSP allows
none inline, and tests/core/test_home.py keeps it so)."""

from __future__ import annotations

import json

from django import template
from django.utils.html import format_html
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
    data = json.dumps({"terms": terms, **wording}, ensure_ascii=False)
    return format_html('<div id="language-hint-terms" data-terms="{}" hidden></div>', data)
