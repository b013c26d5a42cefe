"""Where a page may send someone next: the one rule for `next` values that arrive with a request
(a hidden field, a query parameter) or that a record carries (a reminder's link).

Only a path on this site qualifies: it starts with a single "/" and passes Django's host and
scheme check. Anything else, including a bare word, is refused, because `redirect()` takes a
bare word for the name of a URL pattern and fails with NoReverseMatch (a 500) on one it does not
know, and a word with a dot would be followed as a relative URL to wherever it points.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request: HttpRequest, raw: str | None) -> str | None:
    """`raw` when it is a path on this site, else None."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\x00" in raw:
        return None
    if not url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return raw
