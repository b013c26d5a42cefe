"""The clinic settings this app owns, registered from AssessmentsConfig.ready() on the Clinic
settings page (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from assessments.measures import MEASURES
from hrp.clinic import CARE, Spec

SETTINGS = (
    Spec(
        "MEASURE_INTERVAL_WEEKS",
        gettext_lazy("Weeks between measures"),
        gettext_lazy("How often each measure falls due again once it has been given."),
        "int_map",
        CARE,
        keys=tuple((code, measure.name, 1, 52) for code, measure in MEASURES.items()),
        order=30,
    ),
)
