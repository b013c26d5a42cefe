from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoversConfig(AppConfig):
    """Covering clinicians: a therapist covers another's caseload for a date range. The Cover
    model sits in hrp.accounts beside Supervision and EmergencyGrant so that hrp.access, the one
    place access is decided, can read it; this app holds the pages to arrange, list and end
    covers (and, once it fits the caseload page's query budget, the notice on the therapists'
    homes: covers.selectors.home_notices, loaded after the caseload page so its query budget
    stays fixed)."""

    name = "covers"
    label = "covers"
    verbose_name = _("Covers")

    def ready(self) -> None:
        from clients import extensions

        extensions.register_deferred_home_notice("covers", "covers:home_notices")
