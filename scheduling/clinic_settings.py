"""The clinic settings this app owns, registered from SchedulingConfig.ready() on the Clinic
settings page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import GENERAL, Spec

SETTINGS = (
    Spec(
        "SLOT_MINUTES",
        gettext_lazy("Length of a free slot (minutes)"),
        gettext_lazy("Free slots on the calendar are cut from working hours at this length."),
        "int",
        GENERAL,
        15,
        240,
        order=11,
    ),
    Spec(
        "VIDEO_LINK_PATTERN",
        gettext_lazy("Video provider link pattern"),
        gettext_lazy(
            "An https address with {code} where each appointment's own random code goes, "
            "for example https://meet.example.org/hrp-{code}. Empty: video links are pasted."
        ),
        "https_pattern",
        GENERAL,
        maximum=300,
        order=12,
    ),
)
