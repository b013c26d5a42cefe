from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """The clinic admin's oversight pages: the audit trail, per-client access reports and staff
    sign-in activity. Metadata only: who, when, which chart number, what kind of action."""

    name = "oversight"
    label = "oversight"
    verbose_name = _("Oversight")
