"""The clinic settings this app owns, registered from SelfReportConfig.ready() (hrp/clinic.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from hrp.clinic import CARE, Spec

SETTINGS = (
    Spec(
        "SELF_REPORT_LINK_DAYS",
        gettext_lazy("Client links stay open for (days)"),
        gettext_lazy("How long a link sent to a client for a measure works if not used. 1 to 30."),
        "int",
        CARE,
        1,
        30,
        order=36,
    ),
)
