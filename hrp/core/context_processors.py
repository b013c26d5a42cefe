from typing import Any

from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict[str, Any]:
    return {
        "clinic_name": settings.CLINIC_NAME,
        "demo_mode": settings.DEMO_MODE,
        "idle_timeout_minutes": settings.IDLE_TIMEOUT_MINUTES,
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_MINUTES * 60,
    }
