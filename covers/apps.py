from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoversConfig(AppConfig):
    """Covering clinicians: a therapist covers another's caseload for a date range. The Cover
    model sits in hrp.accounts beside Supervision and EmergencyGrant so that hrp.access, the one
    place access is decided, can read it; this app holds the pages to arrange, list and end
    covers (and, once it fits the caseload page's query budget, the notice on the therapists'
    homes: covers.selectors.home_notices)."""

    name = "covers"
    label = "covers"
    verbose_name = _("Covers")

    # Not yet registered as a home notice (clients.extensions.register_home_notice with
    # selectors.home_notices): it costs one query on the caseload page, which is at the
    # issue's ceiling of 12. To be folded into the home notices' one counting query.
