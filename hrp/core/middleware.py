from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
