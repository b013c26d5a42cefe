"""Audit receivers for sign-in events, which Django and axes announce only as signals."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from hrp.accounts.identity import canonical_email
from hrp.accounts.models import User
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record

SESSION_STARTED_KEY = "hrp_signed_in_at"
SESSION_LAST_SEEN_KEY = "hrp_last_seen"


def _account_for(username: str | None) -> User | None:
    # We never store what was typed: a mistyped "email" is sometimes a password.
    if not username:
        return None
    return User.objects.filter(email=canonical_email(username)).first()


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The key axes locks on: the canonical form of the email typed, the same form accounts
    are stored and found by, so every spelling that reaches an account shares its count."""
    # Django's authenticate() passes "username"; axes' own calls name it after the user
    # model's USERNAME_FIELD ("email").
    credentials = credentials or {}
    value = (
        credentials.get("username")
        or credentials.get(User.USERNAME_FIELD)
        or request.POST.get("username", "")
    )
    return canonical_email(str(value))


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_LAST_SEEN_KEY] = now
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.AUTH_LOGIN,
        actor=user,
        obj=user,
    )


@receiver(user_logged_out)
def on_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.AUTH_LOGOUT,
        actor=user,
        obj=user,
        detail=getattr(request, "hrp_logout_reason", "") if request is not None else "",
    )


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    account = _account_for(credentials.get("username"))
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.AUTH_LOGIN_FAILED,
        actor=None,
        obj=account,
        detail="" if account else "unknown account",
    )


@receiver(user_locked_out)
def on_locked_out(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    account = _account_for(username)
    audit_record(
        category=AuditEvent.Category.SECURITY,
        action=AuditAction.AUTH_LOCKOUT,
        actor=None,
        obj=account,
        detail="" if account else "unknown account",
    )
