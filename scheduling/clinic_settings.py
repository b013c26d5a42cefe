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
)
