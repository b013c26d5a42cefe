from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Reminders to staff (in the app and by email) and content-free appointment reminders to
    clients: rows with a due time, claimed and sent by a beat task exactly once."""

    name = "hrp.notifications"
    label = "notifications"
    verbose_name = _("Reminders")
