"""Who is acting, from where: the one way actor, address and origin reach the audit writer.

The context is set in exactly three places, and nowhere else:

- web requests: `AuditContextMiddleware` (actor = the signed-in user, the client's address,
  the request path);
- Celery tasks: the task_prerun/task_postrun signals in `hrp/celery.py` (origin
  "task:<task name>"; no actor, no address);
- management commands: `AuditedCommand`, the base class of our commands (origin
  "command:<command name>").

Services never see the HttpRequest: they take `actor`, and `audit_record` reads the address
and origin from here. A contextvar (not a thread local) so that an eager task run inside a
request, or async code, gets its own value and gives the caller's back afterwards.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path


@dataclass(frozen=True)
class AuditContext:
    """What the audit writer needs besides the event itself. `path` is the request path for a
    web request, "task:<name>" in a Celery task and "command:<name>" in a management command:
    never anything with clinical content."""

    path: str = ""
    ip_address: str | None = None
    # Resolved when an event is written, not when the context is set: a request's user
    # changes during sign-in and sign-out.
    actor_source: Callable[[], Any] | None = None

    @property
    def actor(self) -> Any:
        user = self.actor_source() if self.actor_source is not None else None
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "hrp_audit_context",
    default=AuditContext(),  # noqa: B039 (frozen: never mutated)
)


def current() -> AuditContext:
    """The audit context of the code running now (empty outside the three ways in)."""
    return _context.get()


@contextmanager
def audit_context(
    *, path: str, ip_address: str | None = None, actor_source: Callable[[], Any] | None = None
) -> Iterator[AuditContext]:
    """Run a block under an audit context; the previous one is restored afterwards."""
    token = _context.set(AuditContext(path=path, ip_address=ip_address, actor_source=actor_source))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def enter(*, path: str) -> contextvars.Token[AuditContext]:
    """Set a context without a block (for the paired Celery signals); undo with `leave`."""
    return _context.set(AuditContext(path=path))


def leave(token: contextvars.Token[AuditContext]) -> None:
    _context.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. The only place that reads it from a request."""
    # Behind the production proxy REMOTE_ADDR is the proxy; the proxy count is fixed at one
    # (see docker-compose.yml), so the last X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """The web way in: actor, address and path of every request. No queries (the user is
    read only when an event is written). Must come after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(
            # As sent on the wire (percent-escaped): a decoded path may hold a NUL, which
            # PostgreSQL refuses in text, and the audit row must be written whatever was typed.
            path=escape_uri_path(request.path)[:255],
            ip_address=client_ip(request),
            actor_source=lambda: getattr(request, "user", None),
        ):
            return self.get_response(request)


class AuditedCommand(BaseCommand):
    """Base class of our management commands: events they write carry the origin
    "command:<name>", so a row written by a script is told apart from one written by a page."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audit_context(path=f"command:{name}"):
            return super().execute(*args, **options)
