"""The web server's access log without the secrets some addresses carry.

A client's self-report link (`/r/<token>/`), a clinician's calendar feed
(`/feeds/<token>.ics`) and a new account's set-password link are keys in themselves: whoever
reads the address can open the page.
gunicorn's access log writes every request line, path and Referer, so those tokens would sit in
the log files (and whatever collects them) for as long as the logs are kept. `RedactingLogger`
(gunicorn.conf.py's `logger_class`) writes "(secret)" in their place.

Which addresses carry a secret is derived, not listed: every URL pattern with a `token`
parameter, read from the URL map on first use, so a new tokenised page is covered by itself.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.urls import get_resolver
from gunicorn import glogging

REDACTED = "(secret)"


def _patterns(resolver: Any, prefix: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if hasattr(entry, "url_patterns"):
            routes.extend(_patterns(entry, route))
        else:
            routes.append(route)
    return routes


TOKEN_PARAMETER = re.compile(r"<(?:\w+:)?token>")
PARAMETER = re.compile(r"<[^>]+>")


def _before_token(route: str) -> str:
    """A regex for a route's part before its token: literal text, any other parameter as one
    path segment (the set-password link carries the account's id first)."""
    head = route[: TOKEN_PARAMETER.search(route).start()]
    pieces = PARAMETER.split(head)
    return r"[^/?\s]+".join(re.escape(piece) for piece in pieces)


@cache
def secret_paths() -> re.Pattern[str]:
    """The addresses whose `token` part is a secret: `/<route up to the token>` then the token
    (up to the next "/", "?" or space)."""
    heads = sorted(
        {
            _before_token(route)
            for route in _patterns(get_resolver())
            if TOKEN_PARAMETER.search(route)
        }
    )
    if not heads:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("(/(?:" + "|".join(heads) + r"))[^/?\s]+")


def redact(text: str) -> str:
    return secret_paths().sub(lambda match: match.group(1) + REDACTED, text)


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with the secret part of tokenised addresses replaced."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every text atom: the request line, path and Referer, but also the request headers and
        # environ values a log format may name ("{referer}i", "{raw_uri}e").
        return {key: redact(v) if isinstance(v, str) else v for key, v in atoms.items()}
