"""Session limits and the two-factor requirement, applied to every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import ngettext

from hrp import access
from hrp.accounts.receivers import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from hrp.audit.actions import AuditAction
from hrp.audit.models import AuditEvent
from hrp.audit.services import audit_record
from hrp.clinic import clinic_setting

# Writing the session on every request would be a database write per page; refreshing the
# last-seen stamp at most this often keeps idle logoff accurate to well under a minute.
LAST_SEEN_REFRESH_SECONDS = 30


def idle_times(request: HttpRequest) -> tuple[int, int]:
    """The clinic's idle limit as it is now, and the seconds this session has left before the
    server ends it (from the last-seen stamp), for the browser's timer (idle.js)."""
    idle_seconds = int(clinic_setting("IDLE_TIMEOUT_MINUTES") * 60)
    last_seen = request.session.get(SESSION_LAST_SEEN_KEY) or time.time()
    remaining = idle_seconds - (time.time() - last_seen)
    # Rounded down: the page's timer must end no later than the server's, so the page signs
    # out first and its own request is the one that says why.
    return idle_seconds, max(0, int(remaining))


def idle_headers(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    idle_seconds, remaining = idle_times(request)
    response["X-Idle-Seconds"] = str(idle_seconds)
    response["X-Idle-Remaining"] = str(remaining)
    return response


class UserLanguageMiddleware:
    """A signed-in person sees the interface in the language they chose on "Your account".
    Runs after AuthenticationMiddleware (and after LocaleMiddleware, whose Accept-Language
    choice it overrides; LocaleMiddleware still sets Content-Language from the language active
    at the end). No query of its own: the user is loaded by SessionLimitsMiddleware anyway.
    A language no longer offered leaves the browser's choice in place."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        return self.get_response(request)


class SessionLimitsMiddleware:
    """Idle logoff (IDLE_TIMEOUT_MINUTES) and an absolute limit (SESSION_MAX_HOURS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY)
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY, started)
            reason = ""
            if started is None or now - started > settings.SESSION_MAX_HOURS * 3600:
                reason = "absolute limit"
                text = ngettext(
                    "You were signed out because your session reached %(hours)d hour.",
                    "You were signed out because your session reached %(hours)d hours.",
                    settings.SESSION_MAX_HOURS,
                ) % {"hours": settings.SESSION_MAX_HOURS}
            elif last_seen is None or now - last_seen > clinic_setting("IDLE_TIMEOUT_MINUTES") * 60:
                reason = "idle"
                minutes = clinic_setting("IDLE_TIMEOUT_MINUTES")
                text = ngettext(
                    "You were signed out after %(minutes)d minute without activity.",
                    "You were signed out after %(minutes)d minutes without activity.",
                    minutes,
                ) % {"minutes": minutes}
            if reason:
                request.hrp_logout_reason = reason  # type: ignore[attr-defined]
                logout(request)
                messages.info(request, text)
                if request.headers.get("HX-Request"):
                    # A partial update must not swap the sign-in page into a fragment.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
            elif request.path_info != reverse("accounts:idle_status") and now - last_seen >= min(
                LAST_SEEN_REFRESH_SECONDS, clinic_setting("IDLE_TIMEOUT_MINUTES") * 60 / 10
            ):
                # The browser's timer asking how long is left is not activity.
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


def two_factor_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as reachable by a signed-in user who has not yet passed two-factor."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]
    return view


class TwoFactorRequiredMiddleware:
    """A signed-in user without a verified device reaches only two-factor enrolment or
    verification (and sign-out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], *args: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr]
            return None
        if getattr(view_func, "two_factor_exempt", False):
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("accounts:two_factor")
            return response
        target = reverse("accounts:two_factor")
        if request.method == "GET" and request.path != "/":
            target += "?" + urlencode({"next": request.path})
        return redirect(target)


class EmergencyViewAuditMiddleware:
    """Audits every page opened under an emergency grant as `emergency.view`, with its path:
    the one place that writes these events. `hrp.access.client_for` decides and answers (its
    answer carries the grant); it writes nothing. One insert per client read under a grant on
    the page, none otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with access.emergency_reads() as reads:
            response = self.get_response(request)
        for client in reads.values():
            audit_record(
                category=AuditEvent.Category.SECURITY,
                action=AuditAction.EMERGENCY_VIEW,
                actor=request.user,
                obj=client,
                chart_number=client.chart_number,
                changes={"grant": (None, client.emergency_grant_id)},
                detail=request.path,
            )
        return response
