from typing import Any

from django.conf import settings
from django.http import HttpRequest

from hrp.accounts.middleware import idle_times
from hrp.clinic import clinic_setting


def clinic(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic_name": settings.CLINIC_NAME,
        "demo_mode": settings.DEMO_MODE,
        "idle_timeout_minutes": clinic_setting("IDLE_TIMEOUT_MINUTES"),
        "idle_timeout_seconds": clinic_setting("IDLE_TIMEOUT_MINUTES") * 60,
        # What the server will still allow this session, for the page's timer (idle.js).
        "idle_remaining_seconds": (
            idle_times(request)[1]
            if getattr(request, "user", None) and request.user.is_authenticated
            else 0
        ),
    }
