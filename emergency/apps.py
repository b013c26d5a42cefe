from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    """Emergency ("break-glass") access: a feature app composing clients and reminders. The
    grant itself (EmergencyGrant) lives in hrp.accounts, because hrp.access reads it."""

    name = "emergency"
    label = "emergency"
    verbose_name = _("Emergency access")
