"""The clinic settings this app owns, registered from SafetyConfig.ready() on the Clinic settings
page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import CARE, Spec

SETTINGS = (
    Spec(
        "SAFETY_CRISIS_LINES",
        gettext_lazy("Crisis lines on a new safety plan"),
        gettext_lazy(
            "Printed on the client's safety plan; the plan can change it for one client. "
            "In the US: 988 Suicide & Crisis Lifeline."
        ),
        "text",
        CARE,
        maximum=200,
        order=35,
    ),
    Spec(
        "SAFETY_EMERGENCY_NUMBER",
        gettext_lazy("Emergency number on the client's plans"),
        gettext_lazy("Printed on the safety plan and the overdose prevention plan, e.g. 911."),
        "text",
        CARE,
        maximum=20,
        order=36,
    ),
    Spec(
        "TOLERANCE_WINDOW_DAYS",
        gettext_lazy("Days of lower tolerance after release or a break"),
        gettext_lazy(
            "How long a period of lowered tolerance lasts when no last day is given. 7 to 90."
        ),
        "int",
        CARE,
        7,
        90,
        order=37,
    ),
)
