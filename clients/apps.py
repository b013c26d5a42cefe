from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    """The root of the clinical record: clients, intake, consents, caseloads."""

    name = "clients"
    verbose_name = _("Clients")
