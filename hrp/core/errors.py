"""What a person sees when a request fails: the page says whether what they just sent was
saved, and how to get the text back. Rendered without the request's context processors, the
session or the database (which may be what failed), from static templates."""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

# PostgreSQL's answers when a write met another at the same moment: a deadlock, a lock that
# could not be had in time, a serialization failure. SQLite says "database is locked".
LOCK_SQLSTATES = {"40P01", "55P03", "40001"}


def is_write_conflict(error: BaseException) -> bool:
    """True when `error` is the database refusing a write because another was under way."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    # psycopg 3 names the code `sqlstate`, psycopg2 `pgcode`.
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if code in LOCK_SQLSTATES:
        return True
    return "database is locked" in str(error) or "database table is locked" in str(error)


def _page(template: str, request: HttpRequest, status: int) -> HttpResponse:
    context = {"was_post": request.method == "POST"}
    return HttpResponse(loader.get_template(template).render(context), status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that cannot be reached answers 503 (try again shortly); any
    other failure 500. A POST is told plainly that it was not saved."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, (InterfaceError, OperationalError)) or (
        isinstance(error, DatabaseError) and "connection" in str(error).lower()
    )
    return _page("500.html", request, 503 if unavailable else 500)


class WriteConflictMiddleware:
    """A write that met another at the same moment in the database (a lock or serialization
    failure that the page itself did not handle) is answered 409 with a page that says nothing
    was saved and to send it again, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_write_conflict(exception):
            return None
        if request.headers.get("HX-Request"):
            # An autosave's status line, not a whole page: the text stays on the page and
            # goes with the next save.
            fragment = loader.get_template("components/_write_conflict.html").render({})
            return HttpResponse(fragment, status=409)
        return _page("409.html", request, 409)
