from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from hrp.clinic import clinic_setting

logger = logging.getLogger(__name__)


def activate_clinic_time_zone() -> None:
    """Show times in the clinic's zone as set on the Clinic settings page (no query: cached).
    A saved zone this host cannot load (its tzdata lacks it) falls back to the configured one
    rather than failing every page and task."""
    name = clinic_setting("TIME_ZONE")
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, TypeError, ValueError):
        logger.error("clinic time zone %r not available; using %s", name, settings.TIME_ZONE)
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    timezone.activate(zone)


class ClinicTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activate_clinic_time_zone()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivacyHeadersMiddleware:
    """Two headers, set in this one place for every response.

    - `Cache-Control: no-store, private` on everything answered to a signed-in person (also
      mid-sign-in, before the second factor): chart, note, caseload and calendar pages hold
      client information, and a browser must keep no copy that Back shows on a shared
      workstation after sign-out, nor may a proxy keep one. Added to what a view set (a
      "public" is dropped for "private"): nothing a signed-in person sees is fit to store.
      Responses to nobody signed in (the
      sign-in page, static files, /healthz) keep their own caching.
    - `Permissions-Policy` (settings.PERMISSIONS_POLICY) on every response, static files
      included: the clinic uses no camera, microphone, location, payment or device access,
      so no page, nor anything injected into one, may ask for them.

    First in MIDDLEWARE, outside whitenoise, so that static files get the policy too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Permissions-Policy"] = self.permissions_policy
        # Set by AuthenticationMiddleware; whitenoise answers static files before it runs.
        # Read after the view, so that sign-in's own response is covered and sign-out's is
        # not; a page the person was signed in for when it was rendered always is.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
