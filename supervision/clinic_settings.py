"""The clinic settings this app owns, registered from SupervisionConfig.ready() on the Clinic
settings page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import CARE, Spec

SETTINGS = (
    Spec(
        "NO_CONTACT_DAYS",
        gettext_lazy("Days without contact before a client is flagged"),
        gettext_lazy("On the supervisor's dashboard."),
        "int",
        CARE,
        7,
        365,
        order=31,
    ),
)
