"""Password re-entry and privilege steps: the one way a signed-in person proves their password
again (signing and co-signing a note, emergency access, new recovery codes), and the one way a
session moves up a privilege level.

Every re-entry counts toward the same per-account limit as sign-in (django-axes, keyed by the
canonical email of hrp.accounts.identity): five wrong passwords anywhere lock the account for
the cool-off, and a locked account refuses every password, right or wrong, with the same words
(NIST SP 800-63B 5.2.2, OWASP ASVS V2.2.1). Services call `password_reentry_error` themselves
(they never see the request), so no page can forget it.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hrp.accounts.identity import canonical_email
from hrp.accounts.models import User
from hrp.audit import context as audit_context


def paused_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many wrong passwords for this account, so password entry is paused. "
        "Try again in %(minutes)d minute, or ask a clinic admin to lift the pause.",
        "Too many wrong passwords for this account, so password entry is paused. "
        "Try again in %(minutes)d minutes, or ask a clinic admin to lift the pause.",
        minutes,
    ) % {"minutes": minutes}


def _axes_request() -> HttpRequest:
    """What axes records an attempt against. Axes wants a request; services have none, so the
    address and path come from the audit context (hrp.audit.context), as audit events' do.
    Nothing typed is put on it: axes stores POST data, and there is none."""
    current = audit_context.current()
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = current.path or "/"
    if current.ip_address:
        request.META["REMOTE_ADDR"] = current.ip_address
    return request


def password_reentry_error(*, user: User, password: str, wrong: str = "") -> str | None:
    """None when `password` is `user`'s and the account is not locked; otherwise the message
    refusing it (`wrong`, or a plain default, for a wrong password; the pause message while
    the account is locked, whatever was typed).

    Side effects: a wrong password is a failed attempt in axes (and the attempt that reaches
    the limit locks the account and is audited `auth.lockout`); a right one clears the count,
    as a successful sign-in does. While locked the password is hashed against nothing, so the
    answer takes as long as a check would and says nothing about the password."""
    wrong = wrong or _("That password is not right.")
    request = _axes_request()
    credentials = {"username": canonical_email(user.email)}
    failures = AxesProxyHandler.get_failures(request, credentials) if settings.AXES_ENABLED else 0
    if failures >= get_failure_limit(request, credentials):
        make_password(password or "")
        return paused_message()
    if not password:
        return wrong
    if user.check_password(password):
        if failures and settings.AXES_RESET_ON_SUCCESS:
            AxesProxyHandler.reset_attempts(username=credentials["username"])
        return None
    AxesProxyHandler.user_login_failed(sender=__name__, credentials=credentials, request=request)
    return paused_message() if getattr(request, "axes_locked_out", False) else wrong


def privilege_step(request: HttpRequest) -> None:
    """A new session key whenever the session gains a privilege (password, second factor,
    emergency grant), so a key seen before the step is worth nothing after it (session
    fixation; OWASP ASVS V3.2.1). Django's login() already does this for the password."""
    request.session.cycle_key()
